"""Workflows, with their steps in order, their groups and feeds are promoted downstream."""

from changes.registry import Parts, register
from workflows.models import Feed, Step, Workflow, WorkflowGroup

register(WorkflowGroup, url_name="workflow_groups:edit")
register(Feed, url_name="feeds:edit")
register(
    Workflow,
    url_name="workflows:detail",
    parts=Parts(Step, order_field="position"),
    template_fields=("subject", "body", "cta_url"),
    renamed_identifier_consequence="{target} triggers that use “{old}” will stop matching.",
)
