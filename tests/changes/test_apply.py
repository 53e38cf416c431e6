"""Apply one, Apply selected: fingerprints, idempotency, dependencies, dangling deletes."""

import pytest

from changes.diff import ChangeSet
from changes.models import Promotion, PromotionKind
from changes.services import ChangeEditedSinceReview, PromotionRefused, changes_apply
from tests.changes.conftest import opened_page, rehash
from tests.factories import FeedFactory, LayoutFactory, StepFactory, WorkflowFactory
from workflows.models import Step, Workflow


def pending(tenant):
    return ChangeSet.compute(source=tenant.development, target=tenant.production)


def production_workflow(tenant, origin_id):
    return Workflow.unscoped_across_environments.filter(
        environment=tenant.production, origin_id=origin_id
    ).first()


def test_apply_one_change_writes_it_and_records_a_promotion(tenant, content):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    Workflow.unscoped_across_environments.filter(pk=content.receipt.pk).update(name="Paid")
    rehash(tenant)
    change = next(c for c in pending(tenant).changes if c.name == "Hello")

    result = changes_apply(
        source=tenant.development,
        selection=[(change.change_id, change.fingerprint)],
        actor=tenant.editor.user,
    )

    assert production_workflow(tenant, content.welcome.origin_id).name == "Hello"
    assert production_workflow(tenant, content.receipt.origin_id).name == "Receipt"
    assert [c.name for c in pending(tenant).changes] == ["Paid"]
    promotion = result.promotion
    assert promotion.kind == PromotionKind.APPLY
    assert promotion.actor == tenant.editor.user
    assert (promotion.source, promotion.target) == (tenant.development, tenant.production)
    [item] = promotion.items.all()
    assert item.name == "Hello"
    assert item.prior_document["name"] == "Welcome"
    assert item.document["name"] == "Hello"
    assert item.summary == "name"


def test_applying_twice_applies_once(tenant, content):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    change = pending(tenant).changes[0]
    selection = [(change.change_id, change.fingerprint)]
    changes_apply(source=tenant.development, selection=selection, actor=tenant.editor.user)
    again = changes_apply(source=tenant.development, selection=selection, actor=tenant.editor.user)
    assert again.promotion is None
    assert again.already_applied == [change.change_id]
    assert Promotion.objects.filter(kind=PromotionKind.APPLY).count() == 1


def test_a_stale_fingerprint_is_refused_and_nothing_is_applied(tenant, content):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    reviewed = pending(tenant).changes[0]
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello!")
    rehash(tenant)

    with pytest.raises(ChangeEditedSinceReview) as refused:
        changes_apply(
            source=tenant.development,
            selection=[(reviewed.change_id, reviewed.fingerprint)],
            actor=tenant.editor.user,
        )

    assert "edited after you reviewed it" in str(refused.value)
    assert refused.value.changes[0].upstream_document["name"] == "Hello!"
    assert production_workflow(tenant, content.welcome.origin_id).name == "Welcome"
    assert not Promotion.objects.filter(kind=PromotionKind.APPLY).exists()


def test_stale_apply_over_http_returns_409_with_the_new_diff(tenant, content, login):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    reviewed = pending(tenant).changes[0]
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Howdy")
    rehash(tenant)
    client = login(tenant.editor.user)

    response = client.post(
        tenant.url(tenant.development, "changes/apply/"),
        {"change_id": reviewed.change_id, "fingerprint": reviewed.fingerprint},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "edited after you reviewed it" in html
    assert "Howdy" in html  # the row shows the diff as it is now
    assert '<details class="change__diff" open>' in html
    assert production_workflow(tenant, content.welcome.origin_id).name == "Welcome"


def test_applying_a_workflow_includes_the_layout_it_needs(tenant, content):
    layout = LayoutFactory(environment=tenant.development, name="Receipt", identifier="receipt")
    Step.unscoped_across_environments.filter(workflow=content.receipt).update(layout=layout)
    rehash(tenant)
    change_set = pending(tenant)
    workflow_change = next(c for c in change_set.changes if c.type_key == "workflow")

    from changes.services import change_dependencies

    assert [(w.label, w.name) for w in change_dependencies(change=workflow_change)] == [
        ("Layout", "Receipt")
    ]

    result = changes_apply(
        source=tenant.development,
        selection=[(workflow_change.change_id, workflow_change.fingerprint)],
        actor=tenant.editor.user,
    )

    step = Step.unscoped_across_environments.get(
        environment=tenant.production, workflow__origin_id=content.receipt.origin_id
    )
    assert step.layout.name == "Receipt"
    assert step.layout.origin_id == layout.origin_id
    assert [
        (item.type_key, item.included_as_dependency) for item in result.promotion.items.all()
    ] == [
        ("layout", True),
        ("workflow", False),
    ]
    assert pending(tenant).changes == []


def test_a_delete_that_would_leave_a_dangling_reference_is_refused(tenant, content):
    # Development deletes Receipt's group after moving it: deleting the group alone would leave
    # Production's Receipt pointing at nothing.
    from tests.factories import WorkflowGroupFactory

    other_group = WorkflowGroupFactory(environment=tenant.development, name="Billing")
    Workflow.unscoped_across_environments.filter(environment=tenant.development).update(
        group=other_group
    )
    content.group.delete()
    rehash(tenant)
    group_delete = next(
        c for c in pending(tenant).changes if c.type_key == "workflow_group" and c.upstream is None
    )

    with pytest.raises(PromotionRefused) as refused:
        changes_apply(
            source=tenant.development,
            selection=[(group_delete.change_id, group_delete.fingerprint)],
            actor=tenant.editor.user,
        )

    message = str(refused.value)
    assert "Workflow group “General” is still used in Production by" in message
    assert "Workflow “Receipt”" in message and "Workflow “Welcome”" in message
    assert Promotion.objects.count() == 1  # only the fixture's initial sync


def test_apply_selected_runs_in_dependency_order(tenant, content):
    from tests.factories import WorkflowGroupFactory

    billing = WorkflowGroupFactory(environment=tenant.development, name="Billing")
    invoice = WorkflowFactory(
        environment=tenant.development, name="Invoice", identifier="invoice", group=billing
    )
    StepFactory(workflow=invoice, name="Mail", channel="email", subject="Invoice")
    Workflow.unscoped_across_environments.filter(pk=content.receipt.pk).delete()
    rehash(tenant)
    change_set = pending(tenant)
    selection = [(c.change_id, c.fingerprint) for c in reversed(change_set.changes)]

    result = changes_apply(
        source=tenant.development,
        selection=selection,
        actor=tenant.editor.user,
        kind=PromotionKind.APPLY_SELECTED,
    )

    order = [(item.type_key, item.action) for item in result.promotion.items.all()]
    assert order == [
        ("workflow_group", "created"),
        ("workflow", "created"),
        ("workflow", "deleted"),
    ]
    assert pending(tenant).changes == []
    assert production_workflow(tenant, invoice.origin_id).group.name == "Billing"


def test_an_apply_that_includes_dependencies_reloads_the_page_with_a_message(
    tenant, content, login
):
    layout = LayoutFactory(environment=tenant.development, name="Receipt", identifier="receipt")
    Step.unscoped_across_environments.filter(workflow=content.receipt).update(layout=layout)
    rehash(tenant)
    change = next(c for c in pending(tenant).changes if c.type_key == "workflow")
    client = login(tenant.editor.user)
    page = opened_page(client, tenant.url(tenant.development, "changes/"))
    assert "Also applies: Layout “Receipt”" in page

    response = client.post(
        tenant.url(tenant.development, "changes/apply/"),
        {"change_id": change.change_id, "fingerprint": change.fingerprint},
        HTTP_HX_REQUEST="true",
    )

    assert response["HX-Redirect"].endswith("/development/changes/")
    page = client.get(tenant.url(tenant.development, "changes/")).content.decode()
    assert "Also applied: Layout “Receipt”." in page
    assert "Development and Production are in sync" in page


def test_apply_selected_over_http_applies_only_the_checked_rows(tenant, content, login):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    Workflow.unscoped_across_environments.filter(pk=content.receipt.pk).update(name="Paid")
    rehash(tenant)
    FeedFactory(environment=tenant.development, name="Billing", identifier="billing")
    chosen = [c for c in pending(tenant).changes if c.type_key == "workflow"]
    client = login(tenant.editor.user)

    response = client.post(
        tenant.url(tenant.development, "changes/apply-selected/"),
        {"selected": [f"{c.change_id}|{c.fingerprint}" for c in chosen]},
        follow=True,
    )

    html = response.content.decode()
    assert "Applied 2 changes to Production." in html
    assert [c.name for c in pending(tenant).changes] == ["Billing"]
    promotion = Promotion.objects.order_by("-pk").first()
    assert promotion.kind == PromotionKind.APPLY_SELECTED
    assert promotion.updated_count == 2
