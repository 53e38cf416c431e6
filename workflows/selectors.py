"""Reads of workflows, steps, groups and feeds, in the current environment's scope."""

from uuid import UUID

from django.db.models import Count, Prefetch, Q, QuerySet

from workflows.models import DEFAULT_GROUP_NAME, Feed, Step, Workflow, WorkflowGroup


def workflow_list(
    *, search: str = "", group_id: int | None = None, active: bool | None = None
) -> QuerySet[Workflow]:
    """Workflows matching the filters, with their group and steps loaded for the list page."""
    workflows = Workflow.objects.select_related("group", "updated_by").prefetch_related(
        Prefetch("steps", queryset=Step.objects.order_by("position").only("workflow", "channel"))
    )
    if search:
        workflows = workflows.filter(
            Q(name__icontains=search)
            | Q(identifier__icontains=search)
            | Q(description__icontains=search)
        )
    if group_id is not None:
        workflows = workflows.filter(group_id=group_id)
    if active is not None:
        workflows = workflows.filter(active=active)
    return workflows.order_by("name", "pk")


def workflow_get(*, pk: int) -> Workflow:
    """The workflow ``pk`` of the current environment; ``Workflow.DoesNotExist`` otherwise."""
    return Workflow.objects.select_related("group", "updated_by").get(pk=pk)


def workflows_with_steps() -> QuerySet[Workflow]:
    """Workflows with their group and whole steps (feed and layout too): the API's documents,
    in a constant number of queries."""
    return (
        Workflow.objects.select_related("group")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=Step.objects.select_related("feed", "layout").order_by("position", "pk"),
            )
        )
        .order_by("name", "pk")
    )


def workflow_get_by_public_id(*, public_id: UUID) -> Workflow:
    """The workflow of the current environment with this ``public_id``; DoesNotExist else."""
    return workflows_with_steps().get(public_id=public_id)


def workflow_steps(*, workflow: Workflow) -> list[Step]:
    return list(
        Step.objects.filter(workflow=workflow)
        .select_related("feed", "layout")
        .order_by("position", "pk")
    )


def step_get(*, workflow: Workflow, pk: int) -> Step:
    return Step.objects.select_related("workflow", "feed", "layout").get(workflow=workflow, pk=pk)


def workflow_group_list() -> QuerySet[WorkflowGroup]:
    return WorkflowGroup.objects.annotate(workflow_count=Count("workflows")).order_by("name")


def workflow_group_get(*, pk: int) -> WorkflowGroup:
    return WorkflowGroup.objects.get(pk=pk)


def default_workflow_group() -> WorkflowGroup | None:
    """The environment's "General" group: where a workflow goes when no group is chosen."""
    return WorkflowGroup.objects.filter(name=DEFAULT_GROUP_NAME).first()


def workflow_group_get_by_public_id(*, public_id: UUID) -> WorkflowGroup:
    return WorkflowGroup.objects.get(public_id=public_id)


def workflows_using_group(*, group: WorkflowGroup) -> list[Workflow]:
    return list(Workflow.objects.filter(group=group).order_by("name"))


def feed_list() -> QuerySet[Feed]:
    return Feed.objects.annotate(
        step_count=Count("steps"), workflow_count=Count("steps__workflow", distinct=True)
    ).order_by("name")


def feed_get(*, pk: int) -> Feed:
    return Feed.objects.get(pk=pk)


def feed_get_by_public_id(*, public_id: UUID) -> Feed:
    return Feed.objects.get(public_id=public_id)


def workflows_using_feed(*, feed: Feed) -> list[Workflow]:
    return list(Workflow.objects.filter(steps__feed=feed).distinct().order_by("name"))
