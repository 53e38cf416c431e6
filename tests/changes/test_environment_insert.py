"""Inserting Staging between Development and Production."""

import pytest

from changes import services
from changes.diff import ChangeSet
from changes.services import PromotionRefused, changes_promote_all, environment_insert
from environments.keys import digest_of
from environments.models import ApiKey, Environment
from tests.changes.conftest import rehash
from workflows.models import Step, Workflow


def test_staging_starts_as_a_copy_of_production_and_changes_flow_through_it(tenant, content):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)

    inserted = environment_insert(
        upstream=tenant.development, name="Staging", actor=tenant.admin.user
    )

    staging = inserted.environment
    tenant.production.refresh_from_db()
    assert staging.upstream == tenant.development
    assert tenant.production.upstream == staging
    assert staging.is_read_only and tenant.production.is_read_only
    assert staging.application_identifier != tenant.production.application_identifier
    assert ApiKey.unscoped_across_environments.get(environment=staging).digest == digest_of(
        inserted.issued_key.secret
    )
    # A copy of what is live, with the same origin_ids.
    assert ChangeSet.compute(source=staging, target=tenant.production).changes == []
    copied = Workflow.unscoped_across_environments.get(
        environment=staging, origin_id=content.welcome.origin_id
    )
    assert copied.name == "Welcome"
    assert Step.unscoped_across_environments.filter(workflow=copied).count() == 2
    # The pending change now goes to Staging first, then on to Production.
    [pending] = ChangeSet.compute(source=tenant.development, target=staging).changes
    assert pending.name == "Hello"
    changes_promote_all(source=tenant.development, actor=tenant.editor.user)
    [next_hop] = ChangeSet.compute(source=staging, target=tenant.production).changes
    assert next_hop.name == "Hello"
    changes_promote_all(source=staging, actor=tenant.editor.user)
    assert (
        Workflow.unscoped_across_environments.get(
            environment=tenant.production, origin_id=content.welcome.origin_id
        ).name
        == "Hello"
    )


def test_insert_over_http_shows_the_key_once_and_staging_promotes(tenant, content, login):
    client = login(tenant.admin.user)
    response = client.post(
        tenant.url(tenant.development, "changes/insert-environment/"),
        {"name": "Staging", "upstream": str(tenant.development.pk)},
    )
    html = response.content.decode()
    assert "Staging is ready" in html
    assert "herald_sk_" in html
    staging = Environment.objects.get(organization=tenant.organization, slug="staging")
    # Staging is read-only, but its Changes page still promotes into Production.
    Workflow.unscoped_across_environments.filter(
        environment=staging, origin_id=content.welcome.origin_id
    ).update(name="Drifted")
    rehash(tenant)
    page = client.get(tenant.url(staging, "changes/")).content.decode()
    assert "Staging" in page and "Production" in page and "Drifted" in page
    plan = client.get(tenant.url(staging, "changes/promote/")).content.decode()
    fingerprint = plan.split('name="plan_fingerprint" value="')[1].split('"')[0]
    response = client.post(
        tenant.url(staging, "changes/promote/"), {"plan_fingerprint": fingerprint}
    )
    assert response.status_code == 302
    assert (
        Workflow.unscoped_across_environments.get(
            environment=tenant.production, origin_id=content.welcome.origin_id
        ).name
        == "Drifted"
    )
    last = client.get(tenant.url(tenant.production, "changes/")).content.decode()
    assert "Production is the last environment" in last


def test_a_name_taken_while_inserting_is_refused_not_a_server_error(
    tenant, content, other_tenant, monkeypatch
):
    # Another insert of the same name commits between our checks and our create: the unique
    # constraint refuses the row, and the operator gets a refusal, not a 500.
    unique_slug = services._unique_environment_slug

    def slug_after_a_concurrent_insert(*, organization, name):
        Environment.objects.create(organization=organization, name=name, slug="taken-meanwhile")
        return unique_slug(organization=organization, name=name)

    monkeypatch.setattr(services, "_unique_environment_slug", slug_after_a_concurrent_insert)

    with pytest.raises(PromotionRefused, match="already has an environment named Staging"):
        environment_insert(upstream=tenant.development, name="Staging", actor=tenant.admin.user)

    tenant.production.refresh_from_db()
    assert tenant.production.upstream == tenant.development
    assert Environment.objects.filter(organization=other_tenant.organization).count() == 2


def test_a_duplicate_name_is_refused(tenant, content):
    with pytest.raises(PromotionRefused, match="already has an environment named production"):
        environment_insert(upstream=tenant.development, name="production", actor=tenant.admin.user)
    assert Environment.objects.filter(organization=tenant.organization).count() == 2


def test_an_inserted_environment_gets_the_in_app_feed_integration(tenant):
    from changes.services import environment_insert
    from integrations.models import Integration

    inserted = environment_insert(
        upstream=tenant.development, name="Staging", actor=tenant.admin.user
    ).environment
    feeds = Integration.unscoped_across_environments.filter(environment=inserted, channel="in_app")
    assert [(feed.provider_id, feed.active, feed.primary) for feed in feeds] == [
        ("novu", True, True)
    ]
