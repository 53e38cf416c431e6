"""Promote all in chunks: bounded memory, the same result as one batch, deletes by one statement
per type, history that keeps what a revert needs, and a summary without building a diff."""

import zlib

from django.db import connection
from django.test.utils import CaptureQueriesContext

from branding.models import Layout
from changes import comparisons, services
from changes.diff import ChangeSet
from changes.services import changes_promote_all, promotion_revert
from tests.changes.conftest import rehash
from tests.factories import LayoutFactory, StepFactory, WorkflowFactory, WorkflowGroupFactory
from workflows.models import Step, Workflow


def production(tenant, model, **filters):
    return model.unscoped_across_environments.filter(environment=tenant.production, **filters)


def test_promote_all_in_chunks_of_two_gives_the_same_result(tenant, content, monkeypatch):
    monkeypatch.setattr(services, "PROMOTION_CHUNK_SIZE", 2)
    billing = WorkflowGroupFactory(environment=tenant.development, name="Billing")
    layout = LayoutFactory(environment=tenant.development, name="Plain", identifier="plain")
    for number in range(5):
        workflow = WorkflowFactory(
            environment=tenant.development, name=f"New {number}", group=billing
        )
        StepFactory(workflow=workflow, position=0, channel="email", layout=layout, subject="Hi")
        StepFactory(workflow=workflow, position=1, body=f"Step two of {number}")
    Workflow.unscoped_across_environments.filter(pk=content.receipt.pk).delete()
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    pending = ChangeSet(source=tenant.development, target=tenant.production)
    expected = len(pending)

    promotion = changes_promote_all(source=tenant.development, actor=tenant.admin.user).promotion

    assert promotion.change_count == expected == 9
    positions = list(promotion.items.order_by("position").values_list("position", flat=True))
    assert positions == list(range(expected))
    assert len(ChangeSet(source=tenant.development, target=tenant.production)) == 0
    copy = production(tenant, Workflow, name="New 3").get()
    steps = list(production(tenant, Step, workflow=copy).order_by("position"))
    assert [step.body for step in steps][1] == "Step two of 3"
    assert steps[0].layout.environment_id == tenant.production.pk
    assert not production(tenant, Workflow, origin_id=content.receipt.origin_id).exists()


def test_deletes_are_one_statement_per_type(tenant, content):
    for number in range(4):
        WorkflowFactory(
            environment=tenant.development, name=f"Doomed {number}", group=content.group
        )
    changes_promote_all(source=tenant.development, actor=tenant.admin.user)
    Workflow.unscoped_across_environments.filter(
        environment=tenant.development, name__startswith="Doomed"
    ).delete()
    rehash(tenant)

    with CaptureQueriesContext(connection) as captured:
        promotion = changes_promote_all(
            source=tenant.development, actor=tenant.admin.user
        ).promotion

    deletes = [query["sql"] for query in captured if query["sql"].startswith("DELETE")]
    assert promotion.deleted_count == 4
    # The steps of the deleted workflows, subscribers' preferences for them (a cascade from
    # another app), then the workflows: one statement each, not one per 100 rows.
    assert [sql.split('"')[1] for sql in deletes] == [
        "workflows_step",
        "subscribers_subscriberpreference",
        "workflows_workflow",
    ]


def test_history_keeps_both_documents_compressed_and_a_revert_restores_them(tenant, content):
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(subject="New")
    rehash(tenant)
    promotion = changes_promote_all(source=tenant.development, actor=tenant.admin.user).promotion

    [item] = promotion.items.all()
    assert zlib.decompress(bytes(item.document_data))  # stored compressed
    assert item.document["steps"][1]["subject"] == "New"
    assert item.prior_document["steps"][1]["subject"] == "Welcome aboard"
    assert item.summary == "subject, 1 step"

    promotion_revert(promotion=promotion, actor=tenant.admin.user)
    assert production(tenant, Step, origin_id=content.steps[1].origin_id).get().subject == (
        "Welcome aboard"
    )


def test_summaries_come_from_field_equality_not_from_diffs(tenant, content, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a promotion must not build a comparison to summarise a change")

    monkeypatch.setattr(comparisons.DocumentComparison, "__init__", refuse)
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    Step.unscoped_across_environments.filter(pk=content.steps[0].pk).update(body="Changed")
    rehash(tenant)

    promotion = changes_promote_all(source=tenant.development, actor=tenant.admin.user).promotion

    assert promotion.items.get().summary == "body, name, 1 step"


def make_default(tenant, layout, *others):
    Layout.unscoped_across_environments.filter(pk__in=[other.pk for other in others]).update(
        is_default=False
    )
    Layout.unscoped_across_environments.filter(pk=layout.pk).update(is_default=True)
    rehash(tenant)


def test_a_new_default_layout_replaces_the_old_one_in_one_promotion(tenant, content):
    """Found by the property test: unsetting the old default and setting the new one in one
    UPDATE broke the one-default constraint when the new default's row came first."""
    later = LayoutFactory(environment=tenant.development, name="Later", identifier="later")
    make_default(tenant, later, content.layout)
    changes_promote_all(source=tenant.development, actor=tenant.admin.user)
    assert production(tenant, Layout, is_default=True).get().origin_id == later.origin_id
    # Back to the first layout, whose row in Production comes first.
    make_default(tenant, content.layout, later)

    changes_promote_all(source=tenant.development, actor=tenant.admin.user)

    default = production(tenant, Layout, is_default=True).get()
    assert default.origin_id == content.layout.origin_id
    assert len(ChangeSet(source=tenant.development, target=tenant.production)) == 0


def test_the_chunks_are_really_small_in_the_chunked_test(tenant, content, monkeypatch):
    monkeypatch.setattr(services, "PROMOTION_CHUNK_SIZE", 2)
    written = []
    execute = services._execute

    def count_chunks(*, writer, writes):
        written.append(len(writes))
        return execute(writer=writer, writes=writes)

    monkeypatch.setattr(services, "_execute", count_chunks)
    for number in range(5):
        WorkflowFactory(environment=tenant.development, name=f"New {number}", group=content.group)

    changes_promote_all(source=tenant.development, actor=tenant.admin.user)

    assert written == [2, 2, 1]


def test_history_is_written_by_one_counted_statement_per_chunk(tenant, content, monkeypatch):
    # On PostgreSQL it is a COPY, which the driver runs outside Django's cursor wrapper: it
    # must still show in the query log, or query budgets would not see it.
    monkeypatch.setattr(services, "PROMOTION_CHUNK_SIZE", 2)
    for number in range(5):
        WorkflowFactory(environment=tenant.development, name=f"New {number}", group=content.group)
    rehash(tenant)

    with CaptureQueriesContext(connection) as captured:
        promotion = changes_promote_all(
            source=tenant.development, actor=tenant.admin.user
        ).promotion

    history = [
        query["sql"]
        for query in captured.captured_queries
        if "changes_promotionitem" in query["sql"]
        and query["sql"].lstrip('("').upper().startswith(("INSERT", "COPY"))
    ]
    assert len(history) == 3  # chunks of 2, 2 and 1
    assert promotion.items.count() == 5
    assert sorted(promotion.items.values_list("name", flat=True)) == [
        f"New {number}" for number in range(5)
    ]
