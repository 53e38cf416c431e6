"""Reads of integrations, in the current environment's scope."""

from dataclasses import dataclass

from django.db.models import Case, QuerySet, When

from environments.scoping import environment_scope
from integrations.models import Integration
from workflows.models import Channel


def integration_list() -> QuerySet[Integration]:
    """The environment's integrations by channel (in-app, email, chat, SMS), the primary
    first, then by name."""
    channel_order = Case(
        *[When(channel=channel, then=position) for position, channel in enumerate(Channel.values)],
        default=len(Channel.values),
    )
    return Integration.objects.order_by(channel_order, "-primary", "name", "id")


def integration_active_list() -> QuerySet[Integration]:
    return Integration.objects.filter(active=True)


def integration_get(*, public_id) -> Integration:
    """Raises ``Integration.DoesNotExist`` for an id of no integration of this environment."""
    return Integration.objects.select_related("environment__organization").get(public_id=public_id)


def channel_label(channel: str) -> str:
    return Channel(channel).label if channel in Channel.values else channel


def channel_noun(channel: str) -> str:
    """The channel as a word inside a sentence: "email", "in-app", "SMS"."""
    label = channel_label(channel)
    return label if label.isupper() else label.lower()


@dataclass(frozen=True)
class IntegrationChoice:
    """The integration a message of ``channel`` goes through, or why there is none."""

    integration: Integration | None
    reason: str = ""


def integration_choice(environment, channel: str, identifier: str | None = None):
    """The override named by ``identifier`` (a Provider Identifier), else the channel's
    primary active integration, else its oldest active one; with the reason when none fits."""
    label = channel_noun(channel)
    with environment_scope(environment):
        if identifier:
            named = Integration.objects.filter(identifier=identifier).first()
            if named is None:
                return IntegrationChoice(
                    None,
                    f"{environment.name} has no integration with the Provider Identifier "
                    f"“{identifier}”.",
                )
            if named.channel != channel:
                return IntegrationChoice(
                    None,
                    f"The integration “{identifier}” is for {channel_noun(named.channel)}"
                    f", not {label}.",
                )
            if not named.active:
                return IntegrationChoice(None, f"The integration “{identifier}” is inactive.")
            return IntegrationChoice(named)
        chosen = (
            Integration.objects.filter(channel=channel, active=True)
            .order_by("-primary", "created_at", "id")
            .first()
        )
    if chosen is None:
        return IntegrationChoice(None, f"{environment.name} has no active {label} integration.")
    return IntegrationChoice(chosen)


def integration_for(environment, channel: str, identifier: str | None = None):
    """The integration to deliver ``channel`` through in ``environment``, or None."""
    return integration_choice(environment, channel, identifier).integration


def channels_with_active_integration(environment) -> set[str]:
    with environment_scope(environment):
        return set(
            Integration.objects.filter(active=True).values_list("channel", flat=True).distinct()
        )
