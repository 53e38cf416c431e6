"""The integrations' side of ``activity.delivery``: email, chat and SMS messages of the trigger
pipeline leave Herald through the environment's integrations.

The pipeline calls a deliverer at most once per message and retries, a bounded number of
times, only what the provider refused before accepting anything (``retry=True``: a timeout, a
5xx, a 429), no sooner than the provider's ``Retry-After`` (``activity.retries``).
"""

from activity.delivery import DeliveryResult, deliverer_register
from integrations.answers import AnswerStatus, ProviderAnswer
from integrations.delivery import channel_message_send
from integrations.plain_text import html_to_text
from workflows.models import Channel


def message_deliver(message) -> DeliveryResult:
    html = message.content if message.channel == Channel.EMAIL else ""
    answer = channel_message_send(
        environment=message.environment,
        channel=message.channel,
        subscriber=message.subscriber,
        overrides=message.notification.trigger.overrides,
        subject=message.subject,
        html=html,
        text=html_to_text(html) if html else "",
        content=message.content,
    )
    if answer.status == AnswerStatus.SENT:
        return DeliveryResult.sent(answer.detail, provider_id=answer.provider_id, raw=answer.raw)
    if answer.status == AnswerStatus.SKIPPED:
        return DeliveryResult.no_integration(answer.detail)
    return DeliveryResult.failed(
        answer.detail,
        provider_id=answer.provider_id,
        raw=_failure_record(answer),
        retry=answer.retryable,
        retry_after=answer.retry_after,
    )


def _failure_record(answer: ProviderAnswer) -> dict:
    """The provider's answer (already redacted) as the execution log keeps it. A timeout or a
    refused connection has no answer: the record says so rather than being empty, so that every
    attempt's log shows what came back."""
    record = dict(answer.raw) if answer.raw else {"status": None, "error": answer.detail}
    if answer.retry_after is not None:
        record["retryAfter"] = answer.retry_after
    return record


def deliverers_register() -> None:
    for channel in (Channel.EMAIL, Channel.CHAT, Channel.SMS):
        deliverer_register(channel, message_deliver)
