"""The delivery adapter: the one way a message leaves Herald through an integration.

The trigger pipeline calls ``channel_message_send`` for each step and subscriber. It picks the
integration (``overrides.{channel}.integrationIdentifier``, else the channel's primary active
one), finds the destination (the subscriber's address, number, or chat webhook, else the
integration's default webhook), sends, and returns a ``ProviderAnswer``: sent, failed (with
``retryable``) or skipped (with the reason). Nothing a provider does raises out of here, so a
failing provider never stops the other steps or subscribers. Retries are the caller's to
schedule, with ``activity.retries``.
"""

import logging
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from environments.scoping import environment_scope
from environments.secrets import EncryptionKeysMissing, SecretUnreadable
from integrations.answers import ProviderAnswer, failed, skipped
from integrations.models import Integration
from integrations.plain_text import html_to_text
from integrations.providers import OutgoingMessage
from integrations.selectors import integration_choice
from workflows.liquid import TemplateRenderError, template_render
from workflows.models import Channel, Step
from workflows.previews import email_compose

logger = logging.getLogger("herald.integrations")


def send_through_integration(
    *,
    integration: Integration,
    to: str,
    channel: str | None = None,
    subject: str = "",
    html: str = "",
    text: str = "",
    content: str = "",
) -> ProviderAnswer:
    """Send one message through ``integration`` and return the provider's answer, redacted.

    ``to`` is an email address, a phone number, or a chat webhook URL (empty: the
    integration's default webhook). Email without ``text`` gets it derived from ``html``.
    Never raises for the provider's sake; a bug in a provider is logged (without secrets) and
    answered as a failure.
    """
    provider = integration.provider
    identity = {
        "provider_id": integration.provider_id,
        "integration_identifier": integration.identifier,
    }
    if provider is None:
        return replace(
            failed(detail="This provider is no longer supported.", retryable=False), **identity
        )
    if channel is not None and channel != integration.channel:
        return replace(
            failed(
                detail=f"“{integration.identifier}” delivers {integration.channel}, not {channel}.",
                retryable=False,
            ),
            **identity,
        )
    try:
        credentials = integration.credentials
    except (SecretUnreadable, EncryptionKeysMissing) as unreadable:
        return _logged(replace(failed(detail=str(unreadable), retryable=False), **identity))
    if integration.channel == Channel.CHAT and not to:
        to = credentials.get("webhookUrl", "")
        if not to:
            return _logged(
                replace(
                    skipped(
                        "No webhook URL: the subscriber has none for this provider and the "
                        "integration has no default webhook."
                    ),
                    **identity,
                )
            )
    missing = provider.missing_credentials(credentials)
    if missing:
        labels = ", ".join(credential.label for credential in missing)
        return _logged(
            replace(failed(detail=f"Missing credentials: {labels}.", retryable=False), **identity)
        )
    if integration.channel == Channel.EMAIL and html and not text:
        text = html_to_text(html)
    message = OutgoingMessage(to=to, subject=subject, html=html, text=text, content=content)
    try:
        answer = provider.send(
            credentials=credentials, message=message, label=integration.identifier
        )
    except Exception as broken:  # a provider's bug must not stop the other deliveries
        logger.error(
            "Provider %s (%s) raised %s while sending.",
            integration.provider_id,
            integration.identifier,
            type(broken).__name__,
        )
        answer = failed(
            detail="Herald could not send through this provider (logged).", retryable=False
        )
    secrets = provider.secret_values(credentials)
    if integration.channel == Channel.CHAT:
        secrets += _webhook_secrets(to)
    return _logged(replace(answer.redacted(secrets), **identity))


def _webhook_secrets(url: str) -> list[str]:
    """A webhook URL is a credential (whoever has it can post): the whole URL and its path
    (which carries the token) are redacted from answers."""
    parts = urlsplit(url or "")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return [url, path] if len(path) > 1 else [url]


def _logged(answer: ProviderAnswer) -> ProviderAnswer:
    log = logger.info if answer.status != "failed" else logger.warning
    log(
        "Delivery through %s (%s): %s%s. %s",
        answer.provider_id,
        answer.integration_identifier,
        answer.status,
        " (retryable)" if answer.retryable else "",
        answer.detail,
    )
    return answer


# The pipeline's call ------------------------------------------------------------------------


def override_identifier(overrides, channel: str) -> str | None:
    """``overrides[channel]["integrationIdentifier"]`` of a trigger, if it is a string."""
    if not isinstance(overrides, dict):
        return None
    channel_overrides = overrides.get(channel)
    if not isinstance(channel_overrides, dict):
        return None
    identifier = channel_overrides.get("integrationIdentifier")
    return identifier if isinstance(identifier, str) and identifier else None


def chat_webhook_for(*, integration: Integration, subscriber) -> str:
    """The subscriber's webhook URL for the integration's provider; a credential tied to
    another integration (its ``integrationIdentifier``) is not used for this one."""
    from subscribers.models import SubscriberCredential

    with environment_scope(integration.environment):
        credential = SubscriberCredential.objects.filter(
            subscriber=subscriber, provider_id=integration.provider_id
        ).first()
    if credential is None or not credential.webhook_url:
        return ""
    if (
        credential.integration_identifier
        and credential.integration_identifier != integration.identifier
    ):
        return ""
    return credential.webhook_url


def channel_message_send(
    *,
    environment,
    channel: str,
    subscriber,
    overrides: dict | None = None,
    subject: str = "",
    html: str = "",
    text: str = "",
    content: str = "",
) -> ProviderAnswer:
    """Deliver one rendered step to one subscriber in ``environment``: the call the trigger
    pipeline makes for each email, chat, SMS and in-app step. Never raises for the provider's
    sake; ``skipped`` answers say why nothing was sent (no active integration, no address)."""
    choice = integration_choice(environment, channel, override_identifier(overrides, channel))
    integration = choice.integration
    if integration is None:
        return skipped(choice.reason)
    if channel == Channel.EMAIL:
        to = subscriber.email
        missing = "The subscriber has no email address."
    elif channel == Channel.SMS:
        to = subscriber.phone
        missing = "The subscriber has no phone number."
    elif channel == Channel.CHAT:
        to, missing = chat_webhook_for(integration=integration, subscriber=subscriber), ""
    else:
        to, missing = subscriber.subscriber_id, ""
    if missing and not to:
        return replace(
            skipped(missing),
            provider_id=integration.provider_id,
            integration_identifier=integration.identifier,
        )
    return send_through_integration(
        integration=integration,
        to=to,
        channel=channel,
        subject=subject,
        html=html,
        text=text,
        content=content,
    )


# Messages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComposedEmail:
    subject: str
    html: str
    text: str


def step_email_compose(*, step: Step, payload: dict, subscriber: dict) -> ComposedEmail:
    """An email step as it is sent: subject rendered, body in its layout with the
    environment's brand (``workflows.previews.email_compose``), and its plain-text part.
    Raises ``TemplateRenderError`` like ``email_compose``."""
    with environment_scope(step.environment):
        scope = {
            "payload": payload,
            "subscriber": subscriber,
            "step": {"name": step.name, "channel": step.channel},
        }
        subject = template_render(step.subject or "", scope, html=False).strip()
        html = email_compose(step=step, payload=payload, subscriber=subscriber)
    return ComposedEmail(subject=subject, html=html, text=html_to_text(html))


TEST_EMAIL_BODY = (
    "<h1>It works</h1>"
    "<p>This is a test of the integration <strong>{{ payload.name }}</strong> "
    "(Provider Identifier <code>{{ payload.identifier }}</code>) in {{ payload.environment }}.</p>"
    "<p>Emails of {{ payload.environment }} are sent this way, in their layout and brand.</p>"
)


def integration_test_message(*, integration: Integration, to: str) -> dict:
    """The keyword arguments of ``send_through_integration`` for a test through
    ``integration``: an email in the environment's default layout and brand, or a short text."""
    environment = integration.environment
    facts = {
        "name": integration.name,
        "identifier": integration.identifier,
        "environment": environment.name,
    }
    if integration.channel == Channel.EMAIL:
        step = Step(
            environment=environment,
            channel=Channel.EMAIL,
            name="Integration test",
            subject="Test from Herald: {{ payload.name }}",
            body=TEST_EMAIL_BODY,
        )
        try:
            composed = step_email_compose(step=step, payload=facts, subscriber={"email": to})
        except TemplateRenderError:
            # A broken default layout must not hide whether the integration works.
            with environment_scope(environment):
                html = template_render(TEST_EMAIL_BODY, {"payload": facts}, html=True)
            composed = ComposedEmail(
                f"Test from Herald: {integration.name}", html, html_to_text(html)
            )
        return {"to": to, "subject": composed.subject, "html": composed.html, "text": composed.text}
    content = (
        f"Test from Herald: the integration {integration.name} ({integration.identifier}) of "
        f"{environment.name} works."
    )
    return {"to": to, "content": content}
