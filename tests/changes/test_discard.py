"""Discard resets the upstream entity to the downstream document, recorded in History."""

import pytest
from django.core.exceptions import PermissionDenied

from changes.diff import ChangeSet
from changes.models import PromotionKind
from changes.services import change_discard, environment_insert
from tests.changes.conftest import rehash
from tests.factories import FeedFactory
from workflows.models import Feed, Step, Workflow


def pending(tenant):
    return ChangeSet.compute(source=tenant.development, target=tenant.production)


def discard(tenant, change, user=None):
    return change_discard(
        source=tenant.development,
        change_id=change.change_id,
        fingerprint=change.fingerprint,
        actor=user or tenant.editor.user,
    )


def test_discarding_an_update_resets_development(tenant, content):
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(subject="Oops")
    rehash(tenant)
    promotion = discard(tenant, pending(tenant).changes[0])
    assert Step.unscoped_across_environments.get(pk=content.steps[1].pk).subject == "Welcome aboard"
    assert pending(tenant).changes == []
    assert promotion.kind == PromotionKind.DISCARD
    assert (promotion.source, promotion.target) == (tenant.production, tenant.development)
    assert promotion.items.get().prior_document["steps"][1]["subject"] == "Oops"


def test_discarding_a_create_deletes_it_upstream(tenant, content):
    FeedFactory(environment=tenant.development, name="Draft", identifier="draft")
    discard(tenant, pending(tenant).changes[0])
    assert not Feed.unscoped_across_environments.filter(
        environment=tenant.development, identifier="draft"
    ).exists()
    assert pending(tenant).changes == []


def test_discarding_a_delete_brings_the_entity_back(tenant, content):
    Workflow.unscoped_across_environments.filter(pk=content.receipt.pk).delete()
    rehash(tenant)
    discard(tenant, pending(tenant).changes[0])
    restored = Workflow.unscoped_across_environments.get(
        environment=tenant.development, origin_id=content.receipt.origin_id
    )
    assert list(
        Step.unscoped_across_environments.filter(workflow=restored).values_list("name", flat=True)
    ) == ["Text"]
    assert pending(tenant).changes == []


def test_discard_over_http_asks_for_confirmation_first(tenant, content, login):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    change = pending(tenant).changes[0]
    client = login(tenant.editor.user)
    url = tenant.url(tenant.development, "changes/discard/")

    page = client.get(url, {"change": change.change_id})
    assert "Discard this change?" in page.content.decode()
    assert Workflow.unscoped_across_environments.get(pk=content.welcome.pk).name == "Hello"

    client.post(url, {"change_id": change.change_id, "fingerprint": change.fingerprint})
    assert Workflow.unscoped_across_environments.get(pk=content.welcome.pk).name == "Welcome"
    history = client.get(tenant.url(tenant.development, "changes/history/")).content.decode()
    assert "Discard" in history


def test_discard_is_refused_in_a_read_only_source(tenant, content):
    staging = environment_insert(
        upstream=tenant.development, name="Staging", actor=tenant.admin.user
    ).environment
    Workflow.unscoped_across_environments.filter(
        environment=staging, origin_id=content.welcome.origin_id
    ).update(name="Drift")
    rehash(tenant)
    change = ChangeSet.compute(source=staging, target=tenant.production).changes[0]
    with pytest.raises(PermissionDenied, match="Staging is read-only"):
        change_discard(
            source=staging,
            change_id=change.change_id,
            fingerprint=change.fingerprint,
            actor=tenant.admin.user,
        )
