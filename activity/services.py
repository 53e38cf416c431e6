"""Writes of activity after delivery: seen and read marks, and deletes of messages, by the
subscriber they belong to (the in-app feed of a client app) or by the environment's API key.
Triggers are accepted in ``activity.triggers``; everything else is written by the pipeline.

Each service asks the policy (``Write.RUNTIME``) with the actor, and the marks touch only the
given subscriber's in-app messages.
"""

import uuid

from django.db import transaction
from django.utils import timezone

from activity.models import Message
from activity.selectors import inbox_messages
from environments import policy
from environments.policy import Write
from subscribers.models import Subscriber
from workflows.models import Channel

MARK_AT_ONCE_MAX = 100


class MessageNotFound(Message.DoesNotExist):
    def __init__(self, message_id):
        super().__init__(f"Message {message_id} was not found in this subscriber's feed.")
        self.message_id = message_id


def _own_in_app(subscriber: Subscriber, message_ids: list[str]) -> list[Message]:
    """The subscriber's in-app messages with these ids; ``MessageNotFound`` names the first
    id that is not one of them."""
    parsed = {}
    for message_id in message_ids:
        try:
            parsed[uuid.UUID(str(message_id))] = message_id
        except ValueError as malformed:
            raise MessageNotFound(message_id) from malformed
    found = list(
        Message.objects.filter(
            subscriber=subscriber, channel=Channel.IN_APP, public_id__in=list(parsed)
        ).order_by("-created_at", "-id")
    )
    missing = set(parsed) - {message.public_id for message in found}
    if missing:
        raise MessageNotFound(parsed[min(missing)])
    return found


def _mark_changes(*, seen: bool | None, read: bool | None, now) -> dict:
    """Novu's rules: read implies seen; unseen implies unread."""
    changes = {}
    if read is True or seen is True:
        changes.update(seen=True, last_seen_at=now)
    if read is True:
        changes.update(read=True, last_read_at=now)
    if read is False:
        changes["read"] = False
    if seen is False:
        changes.update(seen=False, read=False)
    return changes


@transaction.atomic
def messages_mark(
    *,
    subscriber: Subscriber,
    message_ids: list[str],
    seen: bool | None = None,
    read: bool | None = None,
    actor,
) -> list[Message]:
    """Mark the subscriber's in-app messages seen or unseen, read or unread; returns them as
    stored now. ``MessageNotFound`` if an id is not one of theirs (nothing is marked then)."""
    policy.require(Write.RUNTIME, environment=subscriber.environment, actor=actor)
    if len(message_ids) > MARK_AT_ONCE_MAX:
        raise ValueError(f"Mark at most {MARK_AT_ONCE_MAX} messages at a time.")
    messages = _own_in_app(subscriber, message_ids)
    now = timezone.now()
    changes = _mark_changes(seen=seen, read=read, now=now)
    if changes and messages:
        Message.objects.filter(pk__in=[message.pk for message in messages]).update(
            **changes, updated_at=now
        )
        for message in messages:
            for name, value in {**changes, "updated_at": now}.items():
                setattr(message, name, value)
    return messages


@transaction.atomic
def messages_mark_all(
    *, subscriber: Subscriber, feed_identifiers: list[str] | None, read: bool, actor
) -> int:
    """Mark every unread (``read``) or unseen message of the subscriber's inbox, or of the
    given feeds, as read or seen. Returns how many changed."""
    policy.require(Write.RUNTIME, environment=subscriber.environment, actor=actor)
    now = timezone.now()
    if read:
        pending = inbox_messages(
            subscriber=subscriber, feed_identifiers=feed_identifiers, read=False
        )
        changes = _mark_changes(seen=None, read=True, now=now)
    else:
        pending = inbox_messages(
            subscriber=subscriber, feed_identifiers=feed_identifiers, seen=False
        )
        changes = _mark_changes(seen=True, read=None, now=now)
    return pending.order_by().update(**changes, updated_at=now)


def message_delete(*, message: Message, actor) -> None:
    """Delete a message of the environment (the API key's ``DELETE /v1/messages/{id}``)."""
    policy.require(Write.RUNTIME, environment=message.environment, actor=actor)
    Message.objects.filter(pk=message.pk).delete()


@transaction.atomic
def inbox_message_delete(*, subscriber: Subscriber, message_id: str, actor) -> None:
    """Delete one of the subscriber's in-app messages; ``MessageNotFound`` otherwise."""
    policy.require(Write.RUNTIME, environment=subscriber.environment, actor=actor)
    (message,) = _own_in_app(subscriber, [message_id])
    message_delete(message=message, actor=actor)
