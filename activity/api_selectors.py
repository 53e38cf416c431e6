"""Reads of activity, in the current environment's scope.

Lists read newest first from the indexes of ``activity.models``. A transactionId is resolved to
its trigger first (the unique (environment, transactionId) index), and a subscriberId or email to
subscribers, so every filter reaches the big tables through an index that leads with what it
filters on. The Activity pages page by keyset (``notification_page``): page 1,000 costs what
page 1 costs. The Novu-compatible API pages by offset, as Novu does, up to a bounded page.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from activity.models import ExecutionLog, Job, Message, Notification, Trigger
from subscribers.models import Subscriber, is_storable_text
from subscribers.selectors import subscriber_list
from workflows.models import Workflow

# Filters take at most this many values each (subscriber IDs, emails, workflows, channels).
FILTER_VALUES_MAX = 100
FILTER_VALUE_MAX_LENGTH = 254
# Each day read is every notification of that day: at most a month, as Novu's graph shows.
GRAPH_DAYS_MAX = 32
NOTIFICATIONS_PER_PAGE = 20


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _storable(values) -> list[str]:
    return [
        value
        for value in list(values)[:FILTER_VALUES_MAX]
        if len(value) <= FILTER_VALUE_MAX_LENGTH and is_storable_text(value)
    ]


def trigger_get(*, transaction_id: str) -> Trigger:
    """``Trigger.DoesNotExist`` for an unknown transactionId."""
    if not is_storable_text(transaction_id):
        raise Trigger.DoesNotExist("No trigger has this transactionId.")
    return Trigger.objects.get(transaction_id=transaction_id)


def _trigger_pk(transaction_id: str) -> int | None:
    try:
        return trigger_get(transaction_id=transaction_id).pk
    except Trigger.DoesNotExist:
        return None


def workflow_api_ids(origin_ids) -> dict[uuid.UUID, str]:
    """The API ``_id`` of each workflow, by origin: its ``public_id`` where workflows have one,
    else its origin id (also for workflows deleted since)."""
    origin_ids = set(origin_ids)
    ids = {origin_id: str(origin_id) for origin_id in origin_ids}
    if origin_ids and any(f.name == "public_id" for f in Workflow._meta.get_fields()):
        for origin_id, public_id in Workflow.objects.filter(origin_id__in=origin_ids).values_list(
            "origin_id", "public_id"
        ):
            ids[origin_id] = str(public_id)
    return ids


def _workflow_origins(workflow_ids) -> list[uuid.UUID]:
    """Origins of the workflows named by API ``_id``, origin id or trigger identifier."""
    values = _storable(workflow_ids)
    uuids = [parsed for parsed in map(_uuid, values) if parsed is not None]
    match = Q(identifier__in=values) | Q(origin_id__in=uuids)
    if any(f.name == "public_id" for f in Workflow._meta.get_fields()):
        match |= Q(public_id__in=uuids)
    known = set(Workflow.objects.filter(match).values_list("origin_id", flat=True))
    return [*known, *uuids]


# Messages -------------------------------------------------------------------------------------


def message_list(
    *,
    subscriber_id: str | None = None,
    channel: str | None = None,
    transaction_id: str | None = None,
) -> QuerySet[Message]:
    """Messages newest first, with what the API shows of each."""
    messages = Message.objects.select_related("subscriber", "job", "notification__trigger").defer(
        "notification__trigger__payload",
        "notification__trigger__overrides",
        "notification__trigger__recipients",
        "subscriber__data",
    )
    if subscriber_id is not None:
        subscriber = Subscriber.objects.filter(subscriber_id__in=_storable([subscriber_id])).first()
        if subscriber is None:
            return messages.none()
        messages = messages.filter(subscriber=subscriber)
    if channel:
        messages = messages.filter(channel=channel)
    if transaction_id is not None:
        trigger_pk = _trigger_pk(transaction_id)
        if trigger_pk is None:
            return messages.none()
        messages = messages.filter(
            notification_id__in=Notification.objects.filter(trigger_id=trigger_pk).values("pk")
        )
    return messages.order_by("-created_at", "-id")


def message_get(*, public_id) -> Message:
    """``Message.DoesNotExist`` for an unknown or malformed id."""
    parsed = _uuid(public_id)
    if parsed is None:
        raise Message.DoesNotExist("No message has this id.")
    return Message.objects.get(public_id=parsed)


# Notifications --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationFilters:
    """Each kind of filter narrows the list; several values of one kind widen it."""

    channels: tuple[str, ...] = ()
    # API _ids, origin ids or trigger identifiers.
    workflows: tuple[str, ...] = ()
    subscriber_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    transaction_id: str | None = None
    # A transactionId, or the start of a subscriber's ID, email or name.
    search: str = ""


def _with_details(notifications: QuerySet) -> QuerySet:
    return notifications.select_related("trigger", "subscriber").prefetch_related(
        Prefetch("jobs", queryset=Job.objects.order_by("position", "id")),
        Prefetch("logs", queryset=ExecutionLog.objects.order_by("created_at", "id")),
    )


def notification_list(*, filters: NotificationFilters = NotificationFilters()) -> QuerySet:
    """Notifications newest first, with their trigger, subscriber, jobs and execution logs."""
    notifications = Notification.objects.all()
    if filters.transaction_id is not None:
        trigger_pk = _trigger_pk(filters.transaction_id)
        if trigger_pk is None:
            return notifications.none()
        notifications = notifications.filter(trigger_id=trigger_pk)
    if filters.workflows:
        notifications = notifications.filter(
            workflow_origin_id__in=_workflow_origins(filters.workflows)
        )
    if filters.subscriber_ids:
        notifications = notifications.filter(
            subscriber__in=Subscriber.objects.filter(
                subscriber_id__in=_storable(filters.subscriber_ids)
            ).values("pk")[:FILTER_VALUES_MAX]
        )
    if filters.emails:
        notifications = notifications.filter(
            subscriber__in=Subscriber.objects.filter(email__in=_storable(filters.emails)).values(
                "pk"
            )[:FILTER_VALUES_MAX]
        )
    if filters.statuses:
        notifications = notifications.filter(status__in=list(filters.statuses))
    if filters.channels:
        notifications = notifications.filter(
            Exists(
                Job.objects.filter(notification=OuterRef("pk"), channel__in=list(filters.channels))
            )
        )
    search = filters.search.strip()
    if search and is_storable_text(search):
        matching = subscriber_list(search=search).values_list("pk", flat=True)
        match = Q(subscriber__in=list(matching[:FILTER_VALUES_MAX]))
        trigger_pk = _trigger_pk(search)
        if trigger_pk is not None:
            match |= Q(trigger_id=trigger_pk)
        notifications = notifications.filter(match)
    return _with_details(notifications.order_by("-created_at", "-id"))


def notification_get(*, public_id) -> Notification:
    """One notification with its details; ``Notification.DoesNotExist`` otherwise."""
    parsed = _uuid(public_id)
    if parsed is None:
        raise Notification.DoesNotExist("No notification has this id.")
    return _with_details(Notification.objects.all()).get(public_id=parsed)


@dataclass(frozen=True)
class NotificationPage:
    rows: list[Notification]
    # For ``?after=``: the next page, or None at the end.
    next_cursor: str | None


def _cursor_of(notification: Notification) -> str:
    return f"{notification.created_at.isoformat()}_{notification.pk}"


def _parsed_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    created_at, _, pk = (cursor or "").rpartition("_")
    try:
        moment = parse_datetime(created_at)
        return (moment, int(pk)) if moment is not None else None
    except ValueError:
        return None


def notification_page(
    *,
    filters: NotificationFilters = NotificationFilters(),
    after: str | None = None,
    size: int = NOTIFICATIONS_PER_PAGE,
) -> NotificationPage:
    """One page of the Activity list after a cursor, newest first; a cursor that does not parse
    shows the first page."""
    notifications = notification_list(filters=filters)
    cursor = _parsed_cursor(after)
    if cursor is not None:
        created_at, pk = cursor
        notifications = notifications.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk)
        )
    window = list(notifications[: size + 1])
    rows = window[:size]
    return NotificationPage(rows, _cursor_of(rows[-1]) if len(window) > size else None)


def execution_log_list(*, notification_id, subscriber_id: str | None = None) -> list[ExecutionLog]:
    """The execution logs of a notification, in order. ``Notification.DoesNotExist`` when the
    notification is unknown, or is not ``subscriber_id``'s."""
    notification = Notification.objects.select_related("subscriber", "trigger").get(
        public_id=_uuid(notification_id) or uuid.UUID(int=0)
    )
    if subscriber_id is not None and notification.subscriber.subscriber_id != subscriber_id:
        raise Notification.DoesNotExist("This notification is not this subscriber's.")
    logs = ExecutionLog.objects.filter(notification=notification).order_by("created_at", "id")
    for log in logs:
        log.notification = notification
    return list(logs)


# Statistics -----------------------------------------------------------------------------------


def notification_stats(*, now: datetime | None = None) -> tuple[int, int]:
    """Notifications of the last 7 and the last 30 days."""
    now = now or timezone.now()
    recent = Notification.objects.filter(created_at__gte=now - timedelta(days=30)).order_by()
    weekly = recent.filter(created_at__gte=now - timedelta(days=7)).count()
    return weekly, recent.count()


@dataclass(frozen=True)
class DayOfActivity:
    day: str  # ISO date
    count: int
    workflow_origin_ids: list[uuid.UUID]
    channels: list[str]


def notification_graph(*, days: int, now: datetime | None = None) -> list[DayOfActivity]:
    """Notifications per day (UTC) over the last ``days`` days, with the workflows and channels
    of each day; days without any are left out."""
    now = now or timezone.now()
    days = max(1, min(days, GRAPH_DAYS_MAX))
    since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    groups = (
        Notification.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "workflow_origin_id", "channels")
        .annotate(count=Count("id"))
        .order_by()
    )
    by_day: dict = {}
    for day, workflow_origin_id, channels, count in groups:
        entry = by_day.setdefault(day, [0, {}, {}])
        entry[0] += count
        entry[1][workflow_origin_id] = None
        entry[2].update(dict.fromkeys(channels or []))
    return [
        DayOfActivity(day.isoformat(), count, list(workflows), list(channels))
        for day, (count, workflows, channels) in sorted(by_day.items())
    ]
