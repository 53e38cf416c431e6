"""How a stored message leaves Herald: ``deliver(message) -> DeliveryResult``.

One deliverer per channel, in a registry:

- ``in_app`` is Herald's own: the message *is* the item in the subscriber's feed. Its deliverer
  is ``local``: the pipeline calls it in the transaction that stores the message, so the message
  and its delivery commit together, exactly once.
- ``email``, ``chat`` and ``sms`` go through providers. The integrations app registers a
  deliverer per channel with ``deliverer_register``; until it does, their messages are stored
  and recorded as having no integration.

What a deliverer promises, and may rely on:

- It is called at most once per message: the job is marked ``sending`` (committed) first, and a
  job found still ``sending`` after its worker died is failed, never sent again.
- It returns a ``DeliveryResult`` for every outcome, a provider's refusal included. An exception
  that escapes is recorded as a failure whose outcome is unknown (the message may have left),
  and the message is not sent again.
- ``DeliveryResult.failed(..., retry=True)`` says the provider refused before accepting
  anything (a timeout, a 5xx, a 429): the pipeline tries again later, a bounded number of
  times, with backoff (``activity.retries``); ``retry_after`` passes on the delay the provider
  asked for. A refusal that would fail the same way again (any other 4xx) has ``retry=False``.
- It bounds its own time (provider timeouts well under ``activity.pipeline.SENDING_LEASE``) and
  passes ``message.public_id`` to providers that take an idempotency key.
- It reads what it needs from the message: ``message.channel``, ``subject``, ``content``,
  ``cta``, ``message.subscriber`` (email, phone, chat credentials), ``message.environment`` and
  ``message.notification.trigger.overrides``.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from activity.models import Message
from workflows.models import Channel

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    NO_INTEGRATION = "no_integration"


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Outcome
    # For people: what happened, e.g. "Accepted by SendGrid" or the provider's error message.
    detail: str
    provider_id: str = ""
    # For machines: the provider's response, stored with the execution log.
    raw: dict = field(default_factory=dict)
    # The provider refused before accepting anything: trying again cannot send twice.
    retry: bool = False
    # Seconds the provider asked to wait before trying again (its Retry-After), if it said.
    retry_after: float | None = None

    @classmethod
    def sent(cls, detail: str, *, provider_id: str = "", raw: dict | None = None):
        return cls(Outcome.SENT, detail, provider_id, raw or {})

    @classmethod
    def failed(
        cls,
        detail: str,
        *,
        provider_id: str = "",
        raw: dict | None = None,
        retry: bool = False,
        retry_after: float | None = None,
    ):
        return cls(Outcome.FAILED, detail, provider_id, raw or {}, retry, retry_after)

    @classmethod
    def no_integration(cls, detail: str):
        return cls(Outcome.NO_INTEGRATION, detail)


Send = Callable[[Message], DeliveryResult]


@dataclass(frozen=True)
class Deliverer:
    send: Send
    # Delivers by writing Herald's own database (the in-app feed), so it runs inside the
    # transaction that stores the message.
    local: bool = False


def _into_the_feed(message: Message) -> DeliveryResult:
    feed = f" “{message.feed_identifier}”" if message.feed_identifier else ""
    return DeliveryResult.sent(f"Posted to the subscriber's in-app feed{feed}.")


def _without_integration(message: Message) -> DeliveryResult:
    label = Channel(message.channel).label
    return DeliveryResult.no_integration(
        f"No active {label} integration in {message.environment.name}: the message was stored "
        "but not sent."
    )


_deliverers: dict[str, Deliverer] = {Channel.IN_APP: Deliverer(_into_the_feed, local=True)}


def deliverer_register(channel: str, send: Send, *, local: bool = False) -> None:
    """Make ``send`` deliver the messages of ``channel`` (the integrations app calls this from
    its ``AppConfig.ready``). Registering a channel again replaces its deliverer."""
    _deliverers[Channel(channel)] = Deliverer(send, local=local)


def deliverer_unregister(channel: str) -> None:
    """Back to no integration for ``channel``; the in-app feed cannot be unregistered."""
    if Channel(channel) != Channel.IN_APP:
        _deliverers.pop(Channel(channel), None)


def deliverer_for(channel: str) -> Deliverer:
    return _deliverers.get(Channel(channel)) or Deliverer(_without_integration)


def deliver(message: Message) -> DeliveryResult:
    """Send ``message`` through its channel's deliverer; never raises."""
    try:
        return deliverer_for(message.channel).send(message)
    except Exception as error:
        logger.exception("Delivering message %s raised", message.public_id)
        return DeliveryResult.failed(
            f"The {Channel(message.channel).label} delivery raised {type(error).__name__}; it "
            "may or may not have been sent, so it is not sent again.",
            raw={"exception": type(error).__name__, "message": str(error)[:500]},
        )
