"""The Changes page's "new variable" warning counts what recent triggers of the target
environment carried: Production evidence that the backend does not send a variable yet."""

from activity.models import TriggerVariableSample
from activity.samples import payload_paths
from changes.diff import ChangeSet
from changes.services import changes_promote_all
from tests.activity.conftest import in_app_workflow, run_tasks, scoped
from tests.changes.conftest import opened_page, rehash
from tests.factories import WorkflowGroupFactory
from workflows.models import Step


def workflow_in_sync(tenant):
    WorkflowGroupFactory(environment=tenant.development, name="General")
    workflow = in_app_workflow(tenant.development, identifier="order-confirmation")
    changes_promote_all(source=tenant.development, actor=tenant.admin.user)
    return workflow


def test_payload_paths_are_written_as_templates_read_them():
    assert payload_paths(
        {"order": {"id": 1, "items": [{"sku": "a"}, {"other": 1}]}, "first name": "Ada", "tags": []}
    ) == [
        "payload.order",
        "payload.order.id",
        "payload.order.items",
        "payload.order.items[0]",
        "payload.order.items[0].sku",
        "payload.tags",
        "payload['first name']",
    ]


def test_a_huge_payload_records_a_bounded_number_of_paths():
    payload = {f"key{i}": {"nested": i} for i in range(1000)}
    paths = payload_paths(payload)
    assert len(paths) == 300
    assert all(path.count(".") == 1 for path in paths)  # shallow paths first


def test_only_the_last_100_triggers_of_a_workflow_are_kept(tenant, key_client):
    workflow_in_sync(tenant)
    production = key_client(tenant.production)
    for index in range(103):
        production.trigger("order-confirmation", "ada", payload={"n": index})
    run_tasks()
    with scoped(tenant.production):
        samples = TriggerVariableSample.objects.filter(workflow_identifier="order-confirmation")
        assert samples.count() == 100
    with scoped(tenant.development):
        assert not TriggerVariableSample.objects.exists()


def test_the_warning_says_how_many_production_triggers_carried_each_new_variable(
    tenant, key_client, login
):
    workflow = workflow_in_sync(tenant)
    production = key_client(tenant.production)
    for index in range(4):
        production.trigger("order-confirmation", "ada", payload={"order": {"id": index}})
    production.trigger("order-confirmation", "ada", payload={"order": {"id": 9, "total": 10}})
    # Development triggers do not count for Production.
    key_client(tenant.development).trigger(
        "order-confirmation", "ada", payload={"order": {"id": 1, "total": 1}}
    )
    run_tasks()
    Step.unscoped_across_environments.filter(workflow=workflow).update(
        body="Total {{ payload.order.total }}, {{ payload.order.currency }} for {{ subscriber.firstName }}"
    )

    rehash(tenant)
    [change] = ChangeSet.compute(source=tenant.development, target=tenant.production).changes
    [warning] = change.warnings
    usage = dict(warning.variables)
    assert (usage["payload.order.total"].carried, usage["payload.order.total"].sampled) == (1, 5)
    assert (usage["payload.order.currency"].carried, usage["payload.order.currency"].sampled) == (
        0,
        5,
    )

    page = opened_page(login(tenant.editor.user), tenant.url(tenant.development, "changes/"))
    assert (
        '<code>payload.order.currency</code> <span class="small">(carried by 0 of the last 5 Production triggers)</span>'
        in page
    )
    assert (
        '<code>payload.order.total</code> <span class="small">(carried by 1 of the last 5 Production triggers)</span>'
        in page
    )


def test_without_production_triggers_the_warning_gives_no_numbers(tenant):
    workflow = workflow_in_sync(tenant)
    Step.unscoped_across_environments.filter(workflow=workflow).update(
        body="{{ payload.order.total }}"
    )
    rehash(tenant)
    [change] = ChangeSet.compute(source=tenant.development, target=tenant.production).changes
    [warning] = change.warnings
    assert warning.variables == [("payload.order.total", None)]
