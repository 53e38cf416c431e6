"""Workflow and feed identifiers: slugs derived from the name but editable, unique per
environment, and free to repeat across environments and organizations."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from environments.scoping import environment_scope
from tests.factories import FeedFactory, WorkflowFactory, WorkflowGroupFactory
from workflows import services
from workflows.models import Feed, Workflow


def _url(tenant, environment, name, *args):
    return reverse(name, args=[tenant.organization.slug, environment.slug, *args])


@pytest.fixture
def group(tenant):
    return WorkflowGroupFactory(environment=tenant.development, name="General")


def test_the_identifier_is_derived_from_the_name_when_left_empty(client, login, tenant, group):
    login(tenant.editor.user)
    response = client.post(
        _url(tenant, tenant.development, "workflows:create"),
        {"name": "Order Shipped!", "identifier": "", "group": group.pk, "active": "on"},
    )
    workflow = Workflow.unscoped_across_environments.get(environment=tenant.development)
    assert response.status_code == 302
    assert workflow.identifier == "order-shipped"
    assert workflow.updated_by == tenant.editor.user
    assert response["Location"] == _url(tenant, tenant.development, "workflows:detail", workflow.pk)


def test_an_edited_identifier_is_kept(client, login, tenant, group):
    login(tenant.editor.user)
    client.post(
        _url(tenant, tenant.development, "workflows:create"),
        {"name": "Order shipped", "identifier": "shipment-v2", "group": group.pk},
    )
    assert Workflow.unscoped_across_environments.get().identifier == "shipment-v2"


def test_a_taken_identifier_is_refused_with_a_clear_message(client, login, tenant, group):
    WorkflowFactory(environment=tenant.development, identifier="order-shipped", group=group)
    login(tenant.editor.user)
    response = client.post(
        _url(tenant, tenant.development, "workflows:create"),
        {"name": "Order shipped", "identifier": "", "group": group.pk},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        "Development already has a workflow with the identifier “order-shipped”. "
        "Choose another one." in body
    )
    assert Workflow.unscoped_across_environments.filter(environment=tenant.development).count() == 1


def test_the_same_identifier_in_two_environments_is_fine(client, login, tenant, group):
    production_group = WorkflowGroupFactory(environment=tenant.production, name="General")
    WorkflowFactory(
        environment=tenant.production, identifier="order-shipped", group=production_group
    )
    login(tenant.editor.user)
    response = client.post(
        _url(tenant, tenant.development, "workflows:create"),
        {"name": "Order shipped", "group": group.pk},
    )
    assert response.status_code == 302
    assert Workflow.unscoped_across_environments.filter(identifier="order-shipped").count() == 2


def test_the_same_identifier_in_another_organization_is_fine(
    client, login, tenant, other_tenant, group
):
    other_group = WorkflowGroupFactory(environment=other_tenant.development)
    WorkflowFactory(environment=other_tenant.development, identifier="welcome", group=other_group)
    login(tenant.editor.user)
    response = client.post(
        _url(tenant, tenant.development, "workflows:create"), {"name": "Welcome", "group": group.pk}
    )
    assert response.status_code == 302


def test_renaming_an_identifier_onto_another_workflows_is_refused(client, login, tenant, group):
    WorkflowFactory(environment=tenant.development, identifier="taken", group=group)
    mine = WorkflowFactory(environment=tenant.development, identifier="mine", group=group)
    login(tenant.editor.user)
    response = client.post(
        _url(tenant, tenant.development, "workflows:detail", mine.pk),
        {"name": mine.name, "identifier": "taken", "group": group.pk},
    )
    assert "already has a workflow with the identifier “taken”" in response.content.decode()
    mine.refresh_from_db()
    assert mine.identifier == "mine"


def test_an_identifier_must_be_a_slug(client, login, tenant, group):
    login(tenant.editor.user)
    response = client.post(
        _url(tenant, tenant.development, "workflows:create"),
        {"name": "X", "identifier": "not a slug!", "group": group.pk},
    )
    assert "valid “slug”" in response.content.decode()
    assert not Workflow.unscoped_across_environments.exists()


def test_the_service_refuses_duplicates_too(tenant, group):
    WorkflowFactory(environment=tenant.development, identifier="dup", group=group)
    with environment_scope(tenant.development), pytest.raises(ValidationError) as refused:
        services.workflow_create(
            environment=tenant.development,
            actor=tenant.admin.user,
            name="Dup",
            identifier="dup",
            group=group,
        )
    assert "identifier" in refused.value.message_dict


def test_the_database_refuses_duplicates_in_one_environment(tenant, group):
    WorkflowFactory(environment=tenant.development, identifier="dup", group=group)
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkflowFactory(environment=tenant.development, identifier="dup", group=group)


def test_feed_identifiers_are_unique_per_environment(client, login, tenant):
    FeedFactory(environment=tenant.development, identifier="mentions")
    FeedFactory(environment=tenant.production, identifier="alerts")
    login(tenant.editor.user)
    url = _url(tenant, tenant.development, "feeds:create")

    refused = client.post(url, {"name": "Mentions", "identifier": "mentions"})
    assert "Development already has a feed with the identifier “mentions”" in (
        refused.content.decode()
    )
    accepted = client.post(url, {"name": "Alerts", "identifier": ""})
    assert accepted.status_code == 302
    assert sorted(
        Feed.unscoped_across_environments.filter(identifier="alerts").values_list(
            "environment__slug", flat=True
        )
    ) == ["development", "production"]
