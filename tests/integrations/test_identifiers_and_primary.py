"""Provider Identifiers (generated, unique per environment, editable slugs) and the one
primary per channel, held by the database and moved atomically by the services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from environments.scoping import environment_scope
from integrations.models import Integration
from integrations.services import (
    integration_create,
    integration_delete,
    integration_set_primary,
    integration_update,
)
from tests.factories import IntegrationFactory

SLACK = {"webhookUrl": "https://hooks.example.com/services/T1/B1/secret"}


def _create(tenant, environment=None, **fields):
    fields.setdefault("provider_id", "slack")
    fields.setdefault("credentials", {})
    with environment_scope(environment or tenant.production):
        return integration_create(
            environment=environment or tenant.production, actor=tenant.admin.user, **fields
        )


def test_two_slack_integrations_get_two_provider_identifiers(tenant):
    first, second = _create(tenant), _create(tenant)
    assert first.identifier != second.identifier
    for integration in (first, second):
        assert integration.identifier.startswith("slack-")
        assert len(integration.identifier) == len("slack-") + 6


def test_a_provider_identifier_is_unique_in_its_environment_only(tenant):
    _create(tenant, identifier="team-alerts")
    with pytest.raises(ValidationError) as clash:
        _create(tenant, identifier="team-alerts")
    assert clash.value.status == 409
    assert "Provider Identifier “team-alerts”" in str(clash.value)
    # Another environment may use it: identifiers are per environment.
    assert _create(tenant, tenant.development, identifier="team-alerts").identifier == "team-alerts"


def test_the_database_refuses_a_duplicate_identifier(tenant):
    IntegrationFactory(environment=tenant.production, identifier="mail")
    with pytest.raises(IntegrityError), transaction.atomic():
        IntegrationFactory(environment=tenant.production, identifier="mail")


@pytest.mark.parametrize(
    "identifier", ["Has Spaces", "UPPER", "trailing-", "a--b", "ünï", "x" * 101]
)
def test_an_identifier_must_be_a_slug(tenant, identifier):
    with pytest.raises(ValidationError) as invalid:
        _create(tenant, identifier=identifier)
    assert "identifier" in invalid.value.message_dict


def test_an_identifier_can_be_edited(tenant):
    integration = _create(tenant)
    with environment_scope(tenant.production):
        integration_update(integration=integration, actor=tenant.admin.user, identifier="ops-slack")
    integration.refresh_from_db()
    assert integration.identifier == "ops-slack"


def test_the_first_active_integration_of_a_channel_becomes_primary(tenant):
    first, second = _create(tenant), _create(tenant)
    inactive_email = _create(
        tenant, provider_id="sendgrid", active=False, credentials={"apiKey": "k-123"}
    )
    assert (first.primary, second.primary, inactive_email.primary) == (True, False, False)


def test_the_database_allows_one_primary_per_channel_and_environment(tenant):
    IntegrationFactory(environment=tenant.production, primary=True)
    IntegrationFactory(environment=tenant.development, primary=True)  # another environment
    IntegrationFactory(environment=tenant.production, channel="chat", provider_id="slack",
                       credentials={}, primary=True)  # another channel  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        IntegrationFactory(environment=tenant.production, primary=True)


def test_set_primary_moves_the_primary_in_one_step(tenant):
    first, second = _create(tenant), _create(tenant)
    with environment_scope(tenant.production):
        integration_set_primary(integration=second, actor=tenant.admin.user)
        primaries = list(
            Integration.objects.filter(channel="chat", primary=True).values_list("pk", flat=True)
        )
    assert primaries == [second.pk]
    first.refresh_from_db()
    assert not first.primary


def test_set_primary_activates_and_refuses_an_incomplete_integration(tenant):
    first = _create(tenant)
    inactive = _create(tenant, active=False)
    with environment_scope(tenant.production):
        integration_set_primary(integration=inactive, actor=tenant.admin.user)
    inactive.refresh_from_db()
    assert inactive.active and inactive.primary
    first.refresh_from_db()
    assert not first.primary

    incomplete = _create(
        tenant, provider_id="twilio", active=False, credentials={"accountSid": "AC1"}
    )
    with environment_scope(tenant.production), pytest.raises(ValidationError) as refused:
        integration_set_primary(integration=incomplete, actor=tenant.admin.user)
    assert "credentials.token" in refused.value.message_dict


def test_deactivating_the_primary_stops_it_being_primary(tenant):
    first = _create(tenant)
    with environment_scope(tenant.production):
        integration_update(integration=first, actor=tenant.admin.user, active=False)
    first.refresh_from_db()
    assert (first.active, first.primary) == (False, False)


def test_an_active_integration_needs_its_required_credentials(tenant):
    with pytest.raises(ValidationError) as refused:
        _create(tenant, provider_id="twilio", credentials={"accountSid": "AC1"}, active=True)
    assert refused.value.message_dict == {
        "credentials.token": ["Twilio needs the Auth token to be active (or save it inactive)."],
        "credentials.from": ["Twilio needs the From number to be active (or save it inactive)."],
    }


def test_unknown_providers_and_credentials_are_refused_by_name(tenant):
    with pytest.raises(ValidationError) as unknown:
        _create(tenant, provider_id="carrier-pigeon")
    assert "Unknown provider “carrier-pigeon”" in str(unknown.value)
    with pytest.raises(ValidationError) as extra:
        _create(tenant, credentials={"webhookUrl": "https://hooks.example.com/x", "color": "red"})
    assert "Slack has no credential “color”" in extra.value.message_dict["credentials.color"][0]


def test_the_in_app_feed_cannot_be_added_twice_or_deleted(tenant):
    with pytest.raises(ValidationError) as again:
        _create(tenant, provider_id="novu")
    assert again.value.status == 409
    with environment_scope(tenant.production):
        feed = Integration.objects.get(provider_id="novu")
        with pytest.raises(ValidationError) as kept:
            integration_delete(integration=feed, actor=tenant.admin.user)
    assert "deactivate it instead" in str(kept.value)


def test_only_admins_write_integrations_in_every_environment(tenant):
    for environment in (tenant.development, tenant.production):
        for member in (tenant.editor, tenant.viewer):
            with environment_scope(environment), pytest.raises(PermissionDenied):
                integration_create(
                    environment=environment, actor=member.user, provider_id="slack", credentials={}
                )
        assert _create(tenant, environment).environment == environment
