"""Changes are computed from both environments' current state, never from an edit log."""

from changes.diff import Action, ChangeSet
from tests.changes.conftest import rehash
from tests.factories import LayoutFactory, StepFactory, WorkflowFactory, WorkflowGroupFactory
from workflows.models import Step, Workflow


def changes_of(tenant):
    return ChangeSet.compute(source=tenant.development, target=tenant.production)


def test_in_sync_after_promotion(tenant, content, other_content):
    assert changes_of(tenant).changes == []


def test_create_update_and_delete_are_detected(tenant, content):
    LayoutFactory(environment=tenant.development, name="Receipt", identifier="receipt-layout")
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    Workflow.unscoped_across_environments.filter(pk=content.receipt.pk).delete()
    rehash(tenant)

    change_set = changes_of(tenant)

    found = {(change.type_key, change.name, change.action) for change in change_set.changes}
    assert found == {
        ("layout", "Receipt", Action.CREATED),
        ("workflow", "Hello", Action.UPDATED),
        ("workflow", "Receipt", Action.DELETED),
    }
    assert change_set.counts() == {"created": 1, "updated": 1, "deleted": 1}
    update = next(change for change in change_set.changes if change.action == Action.UPDATED)
    assert update.summary == "name"
    assert update.previous_name == "Welcome"


def test_an_undone_edit_leaves_no_change(tenant, content):
    step = content.steps[1]
    Step.unscoped_across_environments.filter(pk=step.pk).update(subject="Changed")
    rehash(tenant)
    assert len(changes_of(tenant)) == 1
    Step.unscoped_across_environments.filter(pk=step.pk).update(subject="Welcome aboard")
    rehash(tenant)
    assert changes_of(tenant).changes == []


def test_renaming_and_changing_the_identifier_is_one_update(tenant, content):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(
        name="Greeting", identifier="greeting"
    )
    rehash(tenant)
    change_set = changes_of(tenant)
    assert len(change_set) == 1
    change = change_set.changes[0]
    assert change.action == Action.UPDATED
    assert change.change_id == f"workflow:{content.welcome.origin_id}"
    assert change.summary == "name, identifier"
    kinds = [warning.kind for warning in change.warnings]
    assert kinds == ["identifier_renamed"]
    assert "“welcome” will stop matching" in change.warnings[0].message


def test_change_id_is_stable_and_fingerprint_follows_edits(tenant, content):
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(subject="One")
    rehash(tenant)
    first = changes_of(tenant).changes[0]
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(subject="Two")
    rehash(tenant)
    second = changes_of(tenant).changes[0]
    assert first.change_id == second.change_id
    assert first.fingerprint != second.fingerprint


def test_step_changes_are_called_out(tenant, content):
    inbox, email = content.steps
    Step.unscoped_across_environments.filter(pk=inbox.pk).update(position=1)
    Step.unscoped_across_environments.filter(pk=email.pk).update(
        position=0, subject="Welcome, {{ payload.orderId }}"
    )
    rehash(tenant)
    StepFactory(workflow=content.welcome, position=2, name="SMS", channel="sms", body="Hi")

    change = changes_of(tenant).changes[0]

    steps = change.comparison.steps
    assert steps.reordered
    assert [c.kind for c in steps.step_changes] == ["changed", "added"]
    assert change.summary == "subject, 2 steps, steps reordered"
    html = str(steps.step_changes[0].changed_fields[0].htmldiff())
    assert "Welcome aboard" in html and "Welcome, {{ payload.orderId }}" in html
    warning = change.warnings[0]
    assert warning.kind == "new_variables"
    assert warning.message == (
        "This change adds variables: payload.orderId. Make sure the code that sends them is "
        "deployed to Production first."
    )


def test_long_text_is_diffed_side_by_side_with_words_highlighted(tenant, content):
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(
        body="<p>Hello {{ subscriber.firstName }}</p>\n<p>Thanks for signing up.</p>"
    )
    rehash(tenant)
    change = changes_of(tenant).changes[0]
    body = change.comparison.steps.step_changes[0].changed_fields[0]
    html = str(body.htmldiff())
    assert 'class="diff-sxs"' in html
    assert '<del class="diff-word">joining</del>' in html
    assert '<ins class="diff-word">signing up</ins>' in html or "signing" in html
    assert "&lt;p&gt;" in html  # templates are escaped, never rendered


def test_entities_made_separately_in_each_environment_pair_by_natural_key(tenant):
    """Two "General" groups with different origin_ids are one entity, never a create and a
    delete (the create would break the target's unique name); applying it links them, so a
    workflow that references Development's group resolves in Production."""
    from changes.services import changes_promote_all

    development_group = WorkflowGroupFactory(environment=tenant.development, name="General")
    production_group = WorkflowGroupFactory(environment=tenant.production, name="General")
    WorkflowFactory(environment=tenant.development, name="Hi", group=development_group)

    change_set = changes_of(tenant)
    group_change = next(c for c in change_set.changes if c.type_key == "workflow_group")
    assert group_change.action == Action.UPDATED
    assert group_change.summary.startswith("same content")

    changes_promote_all(source=tenant.development, actor=tenant.admin.user)

    production_group.refresh_from_db()
    assert production_group.origin_id == development_group.origin_id
    assert (
        Workflow.unscoped_across_environments.get(environment=tenant.production, name="Hi").group_id
        == production_group.pk
    )
    assert changes_of(tenant).changes == []


def test_delete_of_something_still_referenced_downstream_is_warned(tenant, content):
    # Development moves Welcome's email off the layout and deletes it.
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(layout=None)
    content.layout.delete()
    rehash(tenant)
    change_set = changes_of(tenant)
    delete = next(change for change in change_set.changes if change.action == Action.DELETED)
    assert delete.warnings[0].kind == "still_referenced"
    assert "Workflow “Welcome”" in delete.warnings[0].message


def test_nothing_crosses_between_organizations(tenant, content, other_tenant, other_content):
    WorkflowFactory(
        environment=other_tenant.development, name="Globex only", group=other_content.group
    )
    assert changes_of(tenant).changes == []
    other = ChangeSet.compute(source=other_tenant.development, target=other_tenant.production)
    assert [change.name for change in other.changes] == ["Globex only"]


def test_applying_only_the_link_keeps_production_references(tenant):
    from changes.services import changes_apply

    development_group = WorkflowGroupFactory(environment=tenant.development, name="General")
    production_group = WorkflowGroupFactory(environment=tenant.production, name="General")
    WorkflowFactory(environment=tenant.development, name="Hi", group=development_group)
    kept = WorkflowFactory(environment=tenant.production, name="Old", group=production_group)
    link = next(c for c in changes_of(tenant).changes if c.type_key == "workflow_group")

    changes_apply(
        source=tenant.development,
        selection=[(link.change_id, link.fingerprint)],
        actor=tenant.editor.user,
    )

    kept.refresh_from_db()
    assert kept.group_id == production_group.pk
    assert [c.type_key for c in changes_of(tenant).changes] == ["workflow", "workflow"]
