"""Public ids (the API's ``_id``) belong to one row in one environment: promotion never copies
them, documents leave them out, and a change names its entity by the source row's public id."""

import uuid

from branding.models import Brand, Layout
from changes.diff import ChangeSet
from changes.documents import canonical_json, environment_content_hashes_refresh
from changes.registry import promotable_types
from changes.services import changes_apply, changes_promote_all, environment_insert
from tests.changes.conftest import rehash
from workflows.models import Feed, Step, Workflow, WorkflowGroup

CONTENT_MODELS = (WorkflowGroup, Feed, Layout, Brand, Workflow, Step)


def public_ids_by_origin(model, environment) -> dict:
    return dict(
        model.unscoped_across_environments.filter(environment=environment).values_list(
            "origin_id", "public_id"
        )
    )


def test_each_copy_downstream_has_its_own_public_id(tenant, content):
    for model in CONTENT_MODELS:
        development = public_ids_by_origin(model, tenant.development)
        production = public_ids_by_origin(model, tenant.production)
        assert development.keys() == production.keys() != set(), model.__name__
        for origin_id, public_id in development.items():
            assert isinstance(public_id, uuid.UUID)
            assert public_id not in (production[origin_id], origin_id)


def test_an_update_promoted_downstream_keeps_the_target_rows_public_ids(tenant, content):
    before = {model: public_ids_by_origin(model, tenant.production) for model in CONTENT_MODELS}
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    Step.unscoped_across_environments.filter(pk=content.steps[0].pk).update(body="Hey")
    Feed.unscoped_across_environments.filter(pk=content.feed.pk).update(name="News")
    rehash(tenant)

    changes_promote_all(source=tenant.development, actor=tenant.editor.user)

    assert (
        Workflow.unscoped_across_environments.get(
            environment=tenant.production, origin_id=content.welcome.origin_id
        ).name
        == "Hello"
    )
    for model in CONTENT_MODELS:
        assert public_ids_by_origin(model, tenant.production) == before[model], model.__name__


def test_public_ids_are_not_in_documents_and_never_show_as_changes(tenant, content):
    states = [
        state
        for promotable_type in promotable_types()
        for state in promotable_type.load(promotable_type.rows(tenant.development))
    ]
    public_ids = {state.public_id for state in states}
    documents = canonical_json([state.document for state in states])
    assert "public_id" not in documents
    assert "created_at" not in documents
    assert not [public_id for public_id in public_ids if public_id in documents]
    for model in CONTENT_MODELS:
        for pk in model.unscoped_across_environments.filter(
            environment=tenant.development
        ).values_list("pk", flat=True):
            model.unscoped_across_environments.filter(pk=pk).update(public_id=uuid.uuid4())

    # New public ids leave every stored content hash right: none is recomputed.
    assert environment_content_hashes_refresh(environments=[tenant.development]) == 0
    assert ChangeSet.compute(source=tenant.development, target=tenant.production).changes == []


def test_a_change_names_its_entity_by_the_source_rows_public_id(tenant, content):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    doomed_production_feed = Feed.unscoped_across_environments.get(
        environment=tenant.production, origin_id=content.feed.origin_id
    )
    Step.unscoped_across_environments.filter(feed=content.feed).update(feed=None)
    Feed.unscoped_across_environments.filter(pk=content.feed.pk).delete()
    rehash(tenant)
    changes = ChangeSet.compute(source=tenant.development, target=tenant.production).by_id

    update = changes[f"workflow:{content.welcome.origin_id}"]
    delete = changes[f"feed:{content.feed.origin_id}"]

    assert update.entity_public_id == str(content.welcome.public_id)
    # A delete has no source row: it names the row that the apply will delete.
    assert delete.entity_public_id == str(doomed_production_feed.public_id)
    result = changes_apply(
        source=tenant.development,
        selection=[(update.change_id, update.fingerprint)],
        actor=tenant.editor.user,
    )
    [item] = result.promotion.items.all()
    assert item.entity_public_id == content.welcome.public_id


def test_a_created_entity_gets_a_new_public_id_downstream(tenant, content):
    created = Workflow.unscoped_across_environments.create(
        environment=tenant.development, name="New", identifier="new", group=content.group
    )
    rehash(tenant)

    changes_promote_all(source=tenant.development, actor=tenant.editor.user)

    copy = Workflow.unscoped_across_environments.get(
        environment=tenant.production, origin_id=created.origin_id
    )
    assert copy.public_id != created.public_id


def test_an_inserted_environment_gets_public_ids_of_its_own(tenant, content):
    staging = environment_insert(
        upstream=tenant.development, name="Staging", actor=tenant.admin.user
    ).environment

    for model in CONTENT_MODELS:
        production = set(public_ids_by_origin(model, tenant.production).values())
        copied = set(public_ids_by_origin(model, staging).values())
        assert copied and not copied & production, model.__name__
