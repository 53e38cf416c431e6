"""Writes of integrations: environment-local settings (``Write.SETTINGS``).

Admins write them in every environment, Production included, and so does an API key of the
environment; nothing promotes them. Every service asks the policy again. Writes that can move
the primary run one after the other per environment (the environment's row is locked), and the
database allows one primary per channel, so a race ends in order, not in two primaries.

Invalid values raise ``ValidationError`` keyed ``name``, ``identifier``, ``providerId`` or
``credentials.<key>``; a clash carries ``status = 409`` for the API.
"""

import string
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from environments import policy
from environments.models import Environment
from environments.policy import Write
from environments.secrets import KEYS_MISSING_MESSAGE, EncryptionKeysMissing, SecretUnreadable
from integrations.answers import ProviderAnswer
from integrations.delivery import integration_test_message, send_through_integration
from integrations.models import (
    IDENTIFIER_MAX_LENGTH,
    NAME_MAX_LENGTH,
    Integration,
    validate_identifier,
)
from integrations.providers import IN_APP_PROVIDER_ID, PROVIDERS, SECRET_MASK, provider_get
from integrations.providers.base import CredentialField, Provider
from subscribers.models import validate_phone
from workflows.models import Channel

IDENTIFIER_SUFFIX_LENGTH = 6
IDENTIFIER_ATTEMPTS = 5


def _error(field: str, message: str, *, status: int = 400) -> ValidationError:
    error = ValidationError({field: message})
    error.status = status
    return error


def _identifier_clash(identifier: str) -> ValidationError:
    return _error(
        "identifier",
        f"Another integration of this environment has the Provider Identifier “{identifier}”.",
        status=409,
    )


def integration_identifier_generate(provider_id: str) -> str:
    """The provider's id and a short random suffix: ``sendgrid-x7k2p9``."""
    suffix = get_random_string(IDENTIFIER_SUFFIX_LENGTH, string.ascii_lowercase + string.digits)
    return f"{provider_id}-{suffix}"


def _lock_integrations_of(environment: Environment) -> None:
    """Serialise this environment's integration writes until the transaction ends, so each
    reads the primary as the one before left it. FOR NO KEY UPDATE, as promotion and layouts
    take it, so inserts referencing the environment never wait for it."""
    Environment.objects.select_for_update(no_key=True).filter(pk=environment.pk).exists()


def _clean_name(name: str, *, provider: Provider) -> str:
    name = (name or "").strip() or provider.name
    if len(name) > NAME_MAX_LENGTH:
        raise _error("name", f"Keep the name under {NAME_MAX_LENGTH} characters.")
    if "\x00" in name or any(0xD800 <= ord(character) <= 0xDFFF for character in name):
        raise _error("name", "Remove the NUL characters or unpaired surrogates.")
    return name


def _clean_identifier(identifier: str) -> str:
    identifier = (identifier or "").strip()
    if len(identifier) > IDENTIFIER_MAX_LENGTH:
        raise _error(
            "identifier", f"Keep the Provider Identifier under {IDENTIFIER_MAX_LENGTH} characters."
        )
    try:
        validate_identifier(identifier)
    except ValidationError as invalid:
        raise _error("identifier", invalid.messages[0]) from invalid
    return identifier


def credentials_merge(*, provider: Provider, stored: dict, given: dict | None) -> dict:
    """``stored`` with ``given`` applied, each value cleaned by its field.

    Secrets are write-only: an empty value, or the mask that answers show, keeps the stored
    secret. ``None`` removes a value. A key the provider does not have is refused.
    """
    merged, errors = dict(stored), {}
    fields = provider.fields_by_key
    if given is not None and not isinstance(given, dict):
        raise _error("credentials", "Send an object of credential values.")
    for key, value in (given or {}).items():
        credential = fields.get(key)
        if credential is None:
            known = ", ".join(fields) or "none"
            errors[f"credentials.{key}"] = (
                f"{provider.name} has no credential “{key}” (its credentials: {known})."
            )
            continue
        if value is None:
            merged.pop(key, None)
            continue
        if credential.secret and value in ("", SECRET_MASK):
            continue
        if value == "":
            merged.pop(key, None)
            continue
        try:
            cleaned = credential.clean(value)
        except ValidationError as invalid:
            errors[f"credentials.{key}"] = invalid.messages[0]
            continue
        if cleaned == "":
            merged.pop(key, None)
        else:
            merged[key] = cleaned
    if errors:
        raise ValidationError(errors)
    return merged


def _require_complete(*, provider: Provider, credentials: dict, active: bool) -> None:
    """An active integration must be able to send: its required credentials are set."""
    missing = provider.missing_credentials(credentials) if active else []
    if missing:
        raise ValidationError(
            {
                f"credentials.{credential.key}": f"{provider.name} needs the {credential.label} "
                "to be active (or save it inactive)."
                for credential in missing
            }
        )


def _store_credentials(integration: Integration, values: dict) -> None:
    try:
        integration.store_credentials(values)
    except EncryptionKeysMissing as missing:
        raise _error("credentials", KEYS_MISSING_MESSAGE, status=503) from missing


def _demote_primaries(integration: Integration) -> None:
    # The other primary goes first: the database allows one primary per channel.
    Integration.objects.filter(channel=integration.channel, primary=True).exclude(
        pk=integration.pk
    ).update(primary=False, updated_at=timezone.now())


def _save(integration: Integration, *, generated_identifier: bool) -> Integration:
    """Insert or update; a generated identifier that clashes is drawn again."""
    for _attempt in range(IDENTIFIER_ATTEMPTS):
        try:
            with transaction.atomic():
                integration.save()
            return integration
        except IntegrityError as clash:
            if not generated_identifier:
                raise _identifier_clash(integration.identifier) from clash
            integration.identifier = integration_identifier_generate(integration.provider_id)
    raise _identifier_clash(integration.identifier)


@transaction.atomic
def integration_create(
    *,
    environment: Environment,
    actor,
    provider_id: str,
    channel: str | None = None,
    name: str = "",
    identifier: str = "",
    credentials: dict | None = None,
    active: bool = True,
    primary: bool = False,
) -> Integration:
    """Add an integration. The first active one of its channel becomes the primary."""
    policy.require(Write.SETTINGS, environment=environment, actor=actor)
    provider = provider_get(provider_id)
    if provider is None:
        raise _error(
            "providerId",
            f"Unknown provider “{provider_id}”. Known providers: {', '.join(PROVIDERS)}.",
        )
    if channel is not None and channel != provider.channel:
        raise _error("channel", f"{provider.name} is a {provider.channel} provider.")
    if provider.built_in:
        raise _error(
            "providerId",
            f"Every environment has the {provider.name} already; it cannot be added again.",
            status=409,
        )
    integration = Integration(
        environment=environment,
        channel=provider.channel,
        provider_id=provider.id,
        name=_clean_name(name, provider=provider),
        active=active,
    )
    generated = not (identifier or "").strip()
    integration.identifier = (
        integration_identifier_generate(provider.id) if generated else _clean_identifier(identifier)
    )
    values = credentials_merge(provider=provider, stored={}, given=credentials)
    _require_complete(provider=provider, credentials=values, active=active)
    _store_credentials(integration, values)
    _lock_integrations_of(environment)
    has_primary = Integration.objects.filter(channel=provider.channel, primary=True).exists()
    integration.primary = active and (primary or not has_primary)
    if integration.primary:
        _demote_primaries(integration)
    return _save(integration, generated_identifier=generated)


def _current(integration: Integration) -> Integration:
    """The integration as committed, locked; refused if it was deleted meanwhile."""
    current = Integration.objects.select_for_update().filter(pk=integration.pk).first()
    if current is None:
        raise _error("integration", f"“{integration.name}” was deleted meanwhile.", status=404)
    return current


@transaction.atomic
def integration_update(
    *,
    integration: Integration,
    actor,
    name: str | None = None,
    identifier: str | None = None,
    credentials: dict | None = None,
    active: bool | None = None,
    provider_id: str | None = None,
    channel: str | None = None,
) -> Integration:
    """Change what is given; ``None`` keeps a value. Deactivating the primary leaves the
    channel to its other active integrations (the oldest delivers until one is made primary)."""
    policy.require(Write.SETTINGS, environment=integration.environment, actor=actor)
    _lock_integrations_of(integration.environment)
    current = _current(integration)
    provider = current.provider
    if provider_id is not None and provider_id != current.provider_id:
        raise _error("providerId", "The provider of an integration cannot change; add another.")
    if channel is not None and channel != current.channel:
        raise _error("channel", "The channel of an integration cannot change; add another.")
    if name is not None:
        current.name = _clean_name(name, provider=provider)
    if identifier is not None and identifier.strip() != current.identifier:
        current.identifier = _clean_identifier(identifier)
    if active is not None:
        current.active = active
        if not active:
            current.primary = False
    try:
        stored = current.credentials
    except SecretUnreadable:
        # Encrypted under a key that is gone: new values replace them, nothing else can.
        stored = None
    if stored is not None or credentials is not None:
        values = credentials_merge(provider=provider, stored=stored or {}, given=credentials)
        _require_complete(provider=provider, credentials=values, active=current.active)
        if credentials is not None:
            _store_credentials(current, values)
    current.updated_at = timezone.now()
    return _save(current, generated_identifier=False)


@transaction.atomic
def integration_set_primary(*, integration: Integration, actor) -> Integration:
    """Make ``integration`` its channel's primary (and active), in one step: the previous
    primary stops being one in the same transaction."""
    policy.require(Write.SETTINGS, environment=integration.environment, actor=actor)
    _lock_integrations_of(integration.environment)
    current = _current(integration)
    try:
        stored = current.credentials
    except SecretUnreadable:
        stored = {}
    _require_complete(provider=current.provider, credentials=stored, active=True)
    _demote_primaries(current)
    current.primary = current.active = True
    current.updated_at = timezone.now()
    current.save(update_fields=["primary", "active", "updated_at"])
    return current


@transaction.atomic
def integration_delete(*, integration: Integration, actor) -> None:
    """Delete an integration and its credentials. The in-app feed stays: deactivate it."""
    policy.require(Write.SETTINGS, environment=integration.environment, actor=actor)
    if integration.provider is not None and integration.provider.built_in:
        raise _error(
            "integration",
            f"The {integration.provider.name} is part of every environment; deactivate it instead.",
            status=409,
        )
    _lock_integrations_of(integration.environment)
    Integration.objects.filter(pk=integration.pk).delete()


def integration_test_send(*, integration: Integration, actor, destination: str) -> ProviderAnswer:
    """Send a real test message through ``integration`` to ``destination`` (an address, a
    webhook URL, a phone number) and return the provider's answer. Writes nothing."""
    policy.require(Write.SETTINGS, environment=integration.environment, actor=actor)
    provider = integration.provider
    if provider is None or provider.test_destination is None:
        raise _error("destination", "This integration has nothing to send a test through.")
    spec = provider.test_destination
    destination = (destination or "").strip()
    if not destination and spec.required:
        raise _error("destination", f"Enter where to send the test ({spec.label.lower()}).")
    # An empty chat destination means the integration's default webhook.
    try:
        destination = CredentialField("destination", spec.label, spec.kind).clean(destination)
        if destination and integration.channel == Channel.SMS:
            validate_phone(destination)
    except ValidationError as invalid:
        raise _error("destination", invalid.messages[0]) from invalid
    message = integration_test_message(integration=integration, to=destination)
    return send_through_integration(integration=integration, **message)


@transaction.atomic
def in_app_integration_ensure(*, environments: Iterable[Environment]) -> list[Integration]:
    """Give each environment Herald's in-app feed integration, active and primary, unless it
    has one. Provisioning: no permission check (its callers have checked)."""
    provider = provider_get(IN_APP_PROVIDER_ID)
    integrations = []
    for environment in environments:
        existing = Integration.unscoped_across_environments.filter(
            environment=environment, provider_id=provider.id
        ).first()
        if existing is None:
            existing = Integration.unscoped_across_environments.create(
                environment=environment,
                channel=provider.channel,
                provider_id=provider.id,
                name=provider.name,
                identifier=integration_identifier_generate(provider.id),
                active=True,
                primary=not Integration.unscoped_across_environments.filter(
                    environment=environment, channel=provider.channel, primary=True
                ).exists(),
            )
        integrations.append(existing)
    return integrations
