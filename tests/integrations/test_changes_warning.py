"""The Changes page warns when a workflow has a channel that the target environment has no
active integration for: that step will be skipped there."""

from changes.diff import ChangeSet
from tests.changes.conftest import opened_page
from tests.factories import IntegrationFactory, StepFactory, WorkflowFactory


def workflow_warnings(tenant):
    change_set = ChangeSet.compute(source=tenant.development, target=tenant.production)
    [change] = [change for change in change_set.changes if change.type_key == "workflow"]
    return [warning.message for warning in change.warnings if warning.kind == "channel_skipped"]


def test_a_chat_step_without_a_chat_integration_downstream_is_warned_about(tenant, login):
    workflow = WorkflowFactory(environment=tenant.development, identifier="deploys")
    StepFactory(workflow=workflow, channel="chat", body="Deployed")
    StepFactory(workflow=workflow, channel="in_app", body="Deployed")
    IntegrationFactory(environment=tenant.development, channel="chat", provider_id="slack",
                       credentials={}, primary=True)  # fmt: skip

    assert workflow_warnings(tenant) == [
        "Production has no active chat integration: this step will be skipped there."
    ]
    page = opened_page(login(tenant.editor.user), tenant.url(tenant.development, "changes/"))
    assert "Production has no active chat integration: this step will be skipped there." in page


def test_an_active_integration_downstream_silences_it_and_an_inactive_one_does_not(tenant):
    workflow = WorkflowFactory(environment=tenant.development)
    StepFactory(workflow=workflow, channel="sms", body="Code 1234")
    inactive = IntegrationFactory(environment=tenant.production, channel="sms",
                                  provider_id="twilio", credentials={}, active=False)  # fmt: skip
    assert workflow_warnings(tenant) == [
        "Production has no active SMS integration: this step will be skipped there."
    ]
    inactive.active = True
    inactive.save()
    assert workflow_warnings(tenant) == []


def test_inactive_steps_are_not_warned_about(tenant):
    workflow = WorkflowFactory(environment=tenant.development)
    StepFactory(workflow=workflow, channel="email", active=False)
    assert workflow_warnings(tenant) == []


def test_the_target_is_read_once_for_all_changes(tenant, django_assert_num_queries):
    for _ in range(5):
        StepFactory(workflow=WorkflowFactory(environment=tenant.development), channel="email")
    change_set = ChangeSet.compute(source=tenant.development, target=tenant.production)
    changes = change_set.changes
    change_set.prefetch(changes)  # the changes' documents, loaded as a page loads them
    # One query for the target's integrations, one for which of its workflows have recorded
    # triggers (when the variables are shown): whatever the number of changes.
    with django_assert_num_queries(2):
        warnings = [warning for change in changes for warning in change.warnings]
        shown = [(warning.message, warning.variables) for warning in warnings]
    assert [warning.kind for warning in warnings].count("channel_skipped") == 5
    assert len(shown) == len(warnings)
