"""The sidebar badge is stored under both environments' change stamps: served by one query
while nothing changes, and counted again after every kind of write, on either side."""

from branding.services import layout_delete
from changes.diff import ChangeSet
from changes.selectors import pending_change_count
from changes.services import change_discard, changes_apply, changes_promote_all
from environments.scoping import environment_scope
from tests.changes.conftest import rehash
from tests.factories import LayoutFactory
from workflows.models import Workflow
from workflows.services import workflow_create, workflow_delete, workflow_update


def counted(tenant) -> int:
    return len(ChangeSet(source=tenant.development, target=tenant.production))


def badge(tenant) -> int | None:
    return pending_change_count(tenant.development)


def test_an_unchanged_badge_is_one_query(tenant, content, django_assert_num_queries):
    with environment_scope(tenant.development):
        workflow_update(workflow=content.welcome, actor=tenant.editor.user, name="Hello")
    assert badge(tenant) == counted(tenant) == 1
    with django_assert_num_queries(1):
        assert badge(tenant) == 1


def test_the_badge_follows_every_write_path(tenant, content):
    editor = tenant.editor.user
    assert badge(tenant) == 0
    with environment_scope(tenant.development):
        workflow_update(workflow=content.welcome, actor=editor, name="Hello")
        assert badge(tenant) == counted(tenant) == 1
        created = workflow_create(
            environment=tenant.development,
            actor=editor,
            name="New",
            identifier="new",
            group=content.group,
        )
        assert badge(tenant) == counted(tenant) == 2
        workflow_delete(workflow=content.receipt, actor=editor)
        assert badge(tenant) == counted(tenant) == 3
        workflow_delete(workflow=created, actor=editor)
        assert badge(tenant) == counted(tenant) == 2
    change = ChangeSet(source=tenant.development, target=tenant.production).get(
        f"workflow:{content.welcome.origin_id}"
    )
    changes_apply(
        source=tenant.development, selection=[(change.change_id, change.fingerprint)], actor=editor
    )
    assert badge(tenant) == counted(tenant) == 1
    change = ChangeSet(source=tenant.development, target=tenant.production).get(
        f"workflow:{content.receipt.origin_id}"
    )
    change_discard(
        source=tenant.development,
        change_id=change.change_id,
        fingerprint=change.fingerprint,
        actor=editor,
    )
    assert badge(tenant) == counted(tenant) == 0


def test_the_badge_follows_deletes_and_writes_on_the_downstream_side(tenant, content):
    editor = tenant.editor.user
    spare = LayoutFactory(environment=tenant.development, name="Spare", identifier="spare")
    changes_promote_all(source=tenant.development, actor=tenant.admin.user)
    assert badge(tenant) == 0
    with environment_scope(tenant.development):
        layout_delete(layout=spare, actor=editor)
    assert badge(tenant) == counted(tenant) == 1
    changes_promote_all(source=tenant.development, actor=tenant.admin.user)
    assert badge(tenant) == counted(tenant) == 0
    # Rows written around the services are stamped when their hashes are refreshed.
    Workflow.unscoped_across_environments.filter(
        environment=tenant.production, origin_id=content.welcome.origin_id
    ).update(name="Edited in SQL")
    rehash(tenant)
    assert badge(tenant) == counted(tenant) == 1


def test_the_changes_page_counts_are_stored_until_the_next_write(
    tenant, content, login, django_assert_num_queries
):
    with environment_scope(tenant.development):
        workflow_update(workflow=content.welcome, actor=tenant.editor.user, name="Hello")
    client = login(tenant.editor.user)
    url = tenant.url(tenant.development, "changes/")
    assert "1 pending change" in client.get(url).content.decode()
    change_set = ChangeSet(source=tenant.development, target=tenant.production, stamped=True)
    with django_assert_num_queries(1):
        assert change_set.counts_by_type() == {"workflow": 1} | {
            key: 0 for key in change_set.counts_by_type() if key != "workflow"
        }
        assert len(change_set) == 1
    with environment_scope(tenant.development):
        workflow_update(workflow=content.receipt, actor=tenant.editor.user, name="Paid")
    assert "2 pending changes" in client.get(url).content.decode()
