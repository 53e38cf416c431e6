"""A row's summary and warnings come from its change's stored facts: worked out from the two
documents the first time a page shows the change, read back after that without loading a
document, and never stale, because they are stored under the pair's content hashes."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from branding.models import Layout
from changes.diff import ChangeSet
from changes.facts import FACTS_KEPT, facts_key, facts_of
from changes.models import ChangeFacts
from tests.changes.conftest import opened_page, rehash
from workflows.models import Step, Workflow


def _page(client, tenant) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        html = client.get(tenant.url(tenant.development, "changes/")).content.decode()
    return html, [query["sql"] for query in queries.captured_queries]


def _reads_steps(sql: list[str]) -> bool:
    return any('FROM "workflows_step"' in statement for statement in sql)


def test_a_second_view_reads_the_stored_facts_and_loads_no_document(tenant, content, login):
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(
        subject="Hi {{ payload.orderId }}"
    )
    rehash(tenant)
    client = login(tenant.editor.user)

    first, first_sql = _page(client, tenant)
    assert "subject, 1 step" in first
    assert "1 warning" in first  # the new variable
    assert _reads_steps(first_sql)  # worked out from the documents, steps included
    [stored] = ChangeFacts.objects.filter(source=tenant.development)
    assert stored.summary == "subject, 1 step"
    assert stored.added_variables == ["payload.orderId"]

    second, second_sql = _page(client, tenant)
    assert not _reads_steps(second_sql)  # read back, not worked out
    assert "subject, 1 step" in second and "1 warning" in second
    assert ChangeFacts.objects.filter(source=tenant.development).count() == 1


def test_an_edit_after_a_view_is_shown_at_once(tenant, content, login):
    """The stored facts are keyed by both content hashes: an edit is another key."""
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(subject="Hi")
    rehash(tenant)
    client = login(tenant.editor.user)
    assert "subject, 1 step" in _page(client, tenant)[0]

    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(
        name="Hello", identifier="hello"
    )
    rehash(tenant)

    html, _sql = _page(client, tenant)
    assert "subject, name, identifier, 1 step" in html
    assert "2 warnings" not in html and "1 warning" in html  # the identifier renamed
    assert ChangeFacts.objects.filter(source=tenant.development).count() == 2


def test_stored_facts_equal_the_facts_of_the_documents(tenant, content, login):
    Step.unscoped_across_environments.filter(pk=content.steps[0].pk).update(
        body="Hi {{ subscriber.firstName }} {{ payload.plan }}", channel="chat"
    )
    Workflow.unscoped_across_environments.filter(pk=content.receipt.pk).delete()
    rehash(tenant)
    login(tenant.editor.user).get(tenant.url(tenant.development, "changes/"))

    change_set = ChangeSet(source=tenant.development, target=tenant.production)
    changes = change_set.changes
    change_set.load_documents(changes)
    stored = {row.key: row for row in ChangeFacts.objects.all()}
    assert len(stored) == len(changes) == 2
    for change in changes:
        facts = facts_of(
            change.promotable_type, old=change.downstream_document, new=change.upstream_document
        )
        row = stored[facts_key(change)]
        assert (row.summary, row.added_variables, row.channels) == (
            facts.summary,
            list(facts.added_variables),
            list(facts.channels),
        )
        assert (row.old_identifier, row.new_identifier) == (
            facts.old_identifier,
            facts.new_identifier,
        )


def test_facts_are_kept_per_source_environment(tenant, other_tenant, content, other_content, login):
    for edited in (content, other_content):
        Step.unscoped_across_environments.filter(pk=edited.steps[1].pk).update(subject="Hi")
    rehash(tenant, other_tenant)
    login(tenant.editor.user).get(tenant.url(tenant.development, "changes/"))
    assert ChangeFacts.objects.filter(source=tenant.development).count() == 1
    assert not ChangeFacts.objects.filter(source=other_tenant.development).exists()


def test_old_facts_are_deleted_when_new_ones_are_stored(tenant, content, login):
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(subject="Hi")
    rehash(tenant)
    client = login(tenant.editor.user)
    client.get(tenant.url(tenant.development, "changes/"))
    ChangeFacts.objects.update(created_at=timezone.now() - FACTS_KEPT - timedelta(days=1))
    old_key = ChangeFacts.objects.get().key

    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(subject="Hello")
    rehash(tenant)
    client.get(tenant.url(tenant.development, "changes/"))

    assert [row.key for row in ChangeFacts.objects.all()] != [old_key]
    assert ChangeFacts.objects.count() == 1


def test_a_deleted_layout_still_used_downstream_warns_on_its_row(tenant, content, login):
    """The row counts who still uses it (each workflow once, however many of its steps do);
    the warning names them when the row is opened."""
    production_layout = Layout.unscoped_across_environments.get(
        environment=tenant.production, origin_id=content.layout.origin_id
    )
    Step.unscoped_across_environments.filter(
        environment=tenant.production, workflow__origin_id=content.welcome.origin_id
    ).update(layout=production_layout)
    Step.unscoped_across_environments.filter(layout=content.layout).update(layout=None)
    content.layout.delete()
    rehash(tenant)
    client = login(tenant.editor.user)

    html = opened_page(client, tenant.url(tenant.development, "changes/"))

    row = html.split(f'id="change-layout-{content.layout.origin_id}"')[1].split("</tbody>")[0]
    assert "removed" in row and "1 warning" in row
    assert "Still used in Production by Workflow “Welcome”. Deleting it alone" in html
