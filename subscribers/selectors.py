"""Reads of subscribers and topics, in the current environment's scope.

Lists that grow with a customer's user base page by keyset: a page is "the next N rows after
this cursor" in an indexed order, so page 1,000 costs what page 1 costs and nothing counts the
table.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from environments.keysets import KeysetPage, keyset_page
from subscribers.models import (
    PREFERENCE_CHANNELS,
    Subscriber,
    SubscriberPreference,
    Topic,
    TopicSubscription,
    is_storable_text,
)
from workflows.models import Workflow

SUBSCRIBERS_PER_PAGE = 20
TOPICS_PER_PAGE = 20
TOPIC_MEMBERS_PER_PAGE = 20
SEARCH_MAX_LENGTH = 200


# Keyset pages --------------------------------------------------------------------------------


def _keyset_page(
    rows: QuerySet,
    *,
    field: str,
    descending: bool,
    after: str | None,
    before: str | None,
    size: int,
    parse: Callable[[str], object],
) -> KeysetPage:
    """Rows ordered by the unique ``field``, ``size`` at a time around a cursor."""

    def past(rows: QuerySet, value, forward: bool) -> QuerySet:
        lookup = "lt" if descending == forward else "gt"
        return rows.filter(**{f"{field}__{lookup}": value})

    return keyset_page(
        rows,
        after=after,
        before=before,
        size=size,
        ordering=["-" + field if descending else field],
        past=past,
        cursor_of=lambda row: str(getattr(row, field)),
        parse=parse,
    )


# Subscribers ---------------------------------------------------------------------------------


def _matching(subscribers: QuerySet, search: str) -> QuerySet:
    """Case-insensitive prefix match on the subscriber ID, the email, the first or last name,
    or "first last". Each is an indexed ``lower(column) LIKE 'prefix%'``."""
    search = search.strip().lower()[:SEARCH_MAX_LENGTH]
    if not search or not is_storable_text(search):
        return subscribers
    subscribers = subscribers.alias(
        subscriber_id_lower=Lower("subscriber_id"),
        email_lower=Lower("email"),
        first_name_lower=Lower("first_name"),
        last_name_lower=Lower("last_name"),
    )
    match = (
        Q(subscriber_id_lower__startswith=search)
        | Q(email_lower__startswith=search)
        | Q(first_name_lower__startswith=search)
        | Q(last_name_lower__startswith=search)
    )
    first, _, last = search.partition(" ")
    if last.strip():
        match |= Q(first_name_lower=first, last_name_lower__startswith=last.strip())
    return subscribers.filter(match)


def subscriber_list(*, search: str = "") -> QuerySet[Subscriber]:
    """Subscribers newest first, with their channel credentials (the API's list)."""
    return _matching(Subscriber.objects.prefetch_related("credentials"), search).order_by("-id")


def subscriber_page(
    *,
    search: str = "",
    after: str | None = None,
    before: str | None = None,
    size: int = SUBSCRIBERS_PER_PAGE,
) -> KeysetPage:
    """One page of the dashboard's list, newest first."""
    return _keyset_page(
        _matching(Subscriber.objects.all(), search),
        field="id",
        descending=True,
        after=after,
        before=before,
        size=size,
        parse=int,
    )


def subscriber_get(*, subscriber_id: str) -> Subscriber:
    """The subscriber known to the client as ``subscriber_id``; ``Subscriber.DoesNotExist``
    otherwise."""
    if not is_storable_text(subscriber_id):
        raise Subscriber.DoesNotExist("No subscriber has this ID.")
    return Subscriber.objects.prefetch_related("credentials").get(subscriber_id=subscriber_id)


def subscriber_exists(*, subscriber_id: str) -> bool:
    if not is_storable_text(subscriber_id):
        return False
    return Subscriber.objects.filter(subscriber_id=subscriber_id).exists()


def subscriber_get_by_public_id(*, public_id) -> Subscriber:
    """``Subscriber.DoesNotExist`` for an unknown or malformed id."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError as malformed:
        raise Subscriber.DoesNotExist("No such subscriber.") from malformed
    return Subscriber.objects.prefetch_related("credentials").get(public_id=public_id)


@dataclass(frozen=True)
class EffectivePreference:
    """What a subscriber receives from one workflow: their choice over the workflow's defaults,
    or everything when the workflow is critical."""

    workflow: Workflow
    enabled: bool
    channels: dict[str, bool]
    # The stored choice: None when the subscriber never chose.
    chosen: SubscriberPreference | None


def effective_preference(
    *, workflow: Workflow, chosen: SubscriberPreference | None
) -> EffectivePreference:
    if workflow.critical:
        return EffectivePreference(workflow, True, dict.fromkeys(PREFERENCE_CHANNELS, True), chosen)
    defaults = workflow.preference_defaults or {}
    channels = {}
    for channel in PREFERENCE_CHANNELS:
        choice = getattr(chosen, channel, None)
        channels[channel] = choice if choice is not None else bool(defaults.get(channel, True))
    enabled = chosen.enabled if chosen is not None else True
    return EffectivePreference(workflow, enabled, channels, chosen)


def subscriber_preferences(*, subscriber: Subscriber) -> list[EffectivePreference]:
    """Every workflow of the environment, by name, with the subscriber's effective preference.
    Two queries, however many workflows."""
    chosen = {
        preference.workflow_id: preference
        for preference in SubscriberPreference.objects.filter(subscriber=subscriber)
    }
    return [
        effective_preference(workflow=workflow, chosen=chosen.get(workflow.pk))
        for workflow in Workflow.objects.order_by("name", "pk")
    ]


def subscriber_topics(*, subscriber: Subscriber, limit: int) -> list[Topic]:
    """The subscriber's topics by key, at most ``limit``."""
    return list(Topic.objects.filter(subscriptions__subscriber=subscriber).order_by("key")[:limit])


def workflow_by_public_id(*, public_id) -> Workflow:
    """The workflow whose API ``_id`` is ``public_id``; ``Workflow.DoesNotExist`` otherwise.

    Relies on ``Workflow.public_id`` (a UUID), which content models receive with the content
    API.
    """
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError as malformed:
        raise Workflow.DoesNotExist("No such workflow.") from malformed
    return Workflow.objects.get(public_id=public_id)


# Topics --------------------------------------------------------------------------------------


def _with_first_members(topics: QuerySet, *, limit: int) -> QuerySet:
    """Prefetch each topic's first ``limit`` subscriber IDs as ``first_members``."""
    members = (
        TopicSubscription.objects.select_related("subscriber")
        .only("topic_id", "subscriber__subscriber_id")
        .order_by("subscriber_id")
    )
    return topics.prefetch_related(
        Prefetch("subscriptions", queryset=members[:limit], to_attr="first_members")
    )


def topic_list(*, key: str = "", members_limit: int = 0) -> QuerySet[Topic]:
    """Topics by key (one key only, when given), each with its first subscriber IDs."""
    topics = Topic.objects.order_by("key")
    if key and not is_storable_text(key):
        return topics.none()
    if key:
        topics = topics.filter(key=key)
    return _with_first_members(topics, limit=members_limit) if members_limit else topics


def topic_page(
    *, after: str | None = None, before: str | None = None, size: int = TOPICS_PER_PAGE
) -> KeysetPage:
    return _keyset_page(
        Topic.objects.all(),
        field="key",
        descending=False,
        after=after,
        before=before,
        size=size,
        parse=str,
    )


def topic_get(*, key: str, members_limit: int = 0) -> Topic:
    """``Topic.DoesNotExist`` for an unknown key."""
    if not is_storable_text(key):
        raise Topic.DoesNotExist("No topic has this key.")
    topics = Topic.objects.filter(key=key)
    if members_limit:
        topics = _with_first_members(topics, limit=members_limit)
    return topics.get()


def topic_get_by_public_id(*, public_id) -> Topic:
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError as malformed:
        raise Topic.DoesNotExist("No such topic.") from malformed
    return Topic.objects.get(public_id=public_id)


def topic_has_subscribers(*, topic: Topic) -> bool:
    return TopicSubscription.objects.filter(topic=topic).exists()


def topic_members_page(
    *,
    topic: Topic,
    after: str | None = None,
    before: str | None = None,
    size: int = TOPIC_MEMBERS_PER_PAGE,
) -> KeysetPage:
    """A topic's subscriptions (with their subscribers), in subscriber order."""
    return _keyset_page(
        TopicSubscription.objects.filter(topic=topic).select_related("subscriber"),
        field="subscriber_id",
        descending=True,
        after=after,
        before=before,
        size=size,
        parse=int,
    )


def topic_subscription_get(*, topic: Topic, subscriber_id: str) -> TopicSubscription:
    """The membership of ``subscriber_id`` in ``topic``; ``TopicSubscription.DoesNotExist`` when
    the subscriber is unknown or not a member."""
    if not is_storable_text(subscriber_id):
        raise TopicSubscription.DoesNotExist("No subscriber has this ID.")
    return TopicSubscription.objects.select_related("subscriber", "topic").get(
        topic=topic, subscriber__subscriber_id=subscriber_id
    )
