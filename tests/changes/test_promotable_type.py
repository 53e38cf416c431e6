"""Adding a promotable type takes its model and its promotion.py: the tests' own Snippet
(tests/promotable_app) is found, compared, listed, linked and promoted with nothing declared in
changes/ (only its URL, in its own promotion.py)."""

import pytest

from changes.diff import Action, ChangeSet
from changes.registry import REGISTRY, promotable_types
from changes.services import changes_promote_all
from tests.changes.conftest import opened_page, rehash
from tests.factories import WorkflowGroupFactory
from tests.promotable_app.models import Snippet

pytestmark = pytest.mark.urls("tests.promotable_app.urls")


def snippet(environment, **values):
    created = Snippet.unscoped_across_environments.create(environment=environment, **values)
    rehash_one(created)
    return created


def rehash_one(instance):
    from changes.documents import content_hash_refresh

    content_hash_refresh(entity=instance)


def test_the_type_is_declared_by_its_model(db):
    snippet_type = REGISTRY["snippet"]
    assert [field.name for field in snippet_type.fields] == [
        "name",
        "identifier",
        "text",
        "tone",
        "group",
    ]
    assert {field.name: field.label for field in snippet_type.fields}["text"] == "Snippet text"
    assert snippet_type.natural_key == "identifier"
    # It references workflow groups, so it comes after them.
    keys = [promotable_type.key for promotable_type in promotable_types()]
    assert keys.index("workflow_group") < keys.index("snippet")


def test_a_new_snippet_shows_on_the_changes_page_and_is_promoted(tenant, other_tenant, login):
    group = WorkflowGroupFactory(environment=tenant.development, name="Billing")
    created = snippet(
        tenant.development,
        name="Signature",
        identifier="signature",
        text="Best,\nThe team",
        tone="warm",
        group=group,
    )
    snippet(other_tenant.development, name="Globex only", identifier="globex")
    client = login(tenant.editor.user)

    page = opened_page(client, tenant.url(tenant.development, "changes/"))

    assert "Signature" in page and "Globex only" not in page
    assert f'href="/{tenant.organization.slug}/development/snippets/{created.pk}/"' in page
    assert "<dt>Snippet text</dt>" in page  # the whole new document, labelled from verbose_name
    assert "Warm" in page  # a choice is shown by its label
    assert "Billing" in page  # the reference is shown by the group's name
    filtered = client.get(tenant.url(tenant.development, "changes/?type=snippet")).content.decode()
    assert filtered.count('data-testid="change-row"') == 1

    changes_promote_all(source=tenant.development, actor=tenant.admin.user)

    copy = Snippet.unscoped_across_environments.get(
        environment=tenant.production, origin_id=created.origin_id
    )
    assert (copy.name, copy.text, copy.tone) == ("Signature", "Best,\nThe team", "warm")
    assert copy.group.environment_id == tenant.production.pk
    assert copy.group.name == "Billing"
    assert copy.content_hash == created.content_hash
    assert len(ChangeSet(source=tenant.development, target=tenant.production)) == 0
    assert (
        Snippet.unscoped_across_environments.filter(environment=other_tenant.production).count()
        == 0
    )


def test_an_edited_snippet_is_one_update_with_a_field_diff(tenant, login):
    created = snippet(tenant.development, name="Signature", identifier="signature", text="Hi")
    changes_promote_all(source=tenant.development, actor=tenant.admin.user)
    Snippet.unscoped_across_environments.filter(pk=created.pk).update(text="Hello", tone="warm")
    rehash(tenant)

    [change] = ChangeSet(source=tenant.development, target=tenant.production).changes

    assert (change.type_key, change.action) == ("snippet", Action.UPDATED)
    assert change.summary == "snippet text, tone"
    html = str(change.comparison.changed_fields[1].htmldiff())
    assert "Plain" in html and "Warm" in html
