"""Reads of activity, in the current environment's scope: the Activity pages and their chart,
the Novu-compatible API's lists and statistics, and a subscriber's in-app feed (as client apps
and the dashboard's preview read it).

Lists read newest first from the indexes of ``activity.models``. A transactionId is resolved to
its trigger first (the unique (environment, transactionId) index), and a subscriberId or email to
subscribers, so every filter reaches the big tables through an index that leads with what it
filters on. The Activity pages page by keyset on ``(created_at, id)``
(``notification_keyset_page``): a page is "the next rows after this cursor", so page 1,000 costs
what page 1 costs and nothing counts the table. The Novu-compatible API pages by offset, as Novu
does, up to a bounded page.
"""

import base64
import binascii
import datetime
import json
import uuid
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import TruncDate
from django.utils import timezone

from activity.models import ExecutionLog, Job, Message, Notification, Trigger
from environments.keysets import KeysetPage, keyset_page
from environments.scoping import current_environment
from subscribers.models import Subscriber, is_storable_text
from subscribers.selectors import subscriber_list
from workflows.models import Channel, Feed, Workflow

NOTIFICATIONS_PER_PAGE = 50
# Filters take at most this many values each (subscriber IDs, emails, workflows, channels).
FILTER_VALUES_MAX = 100
FILTER_VALUE_MAX_LENGTH = 254
# Each day read is every notification of that day: at most a month, as Novu's graph shows.
GRAPH_DAYS_MAX = 32
LOGS_PER_NOTIFICATION = 500
CHART_DAYS = 14
CHART_CACHE_SECONDS = 60 * 60

# Filters on the trigger payload (the feed's ``payload``): small, flat enough to be cheap.
PAYLOAD_FILTER_MAX_BYTES = 2048
PAYLOAD_FILTER_MAX_CONDITIONS = 10
PAYLOAD_FILTER_MAX_DEPTH = 5
FEED_IDENTIFIERS_MAX = 10
# The feed pages by page number (Novu's clients do); past this many messages it stops, so no
# request reads deeper into an index than this. ``totalCount`` counts at most this many too.
FEED_DEPTH_MAX = 10_000


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


# Keyset pages --------------------------------------------------------------------------------


def cursor_of(row) -> str:
    """``<microseconds since the epoch>.<id>`` of a row (a model instance, or a named row with
    ``created_at`` and ``id``): where a page ends."""
    moment = row.created_at
    micros = (moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)) // datetime.timedelta(
        microseconds=1
    )
    return f"{micros}.{row.id}"


def cursor_parse(cursor: str | None) -> tuple[datetime.datetime, int] | None:
    """The ``(created_at, id)`` of a cursor; None for a cursor that does not parse."""
    if not cursor or len(cursor) > 40:
        return None
    micros, _, pk = cursor.partition(".")
    try:
        moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            microseconds=int(micros)
        )
        return moment, int(pk)
    except (ValueError, OverflowError):
        return None


def _older_than(rows: QuerySet, position) -> QuerySet:
    moment, pk = position
    # The first condition alone bounds the index range; the second settles rows of that moment.
    return rows.filter(created_at__lte=moment).filter(Q(created_at__lt=moment) | Q(id__lt=pk))


def _newer_than(rows: QuerySet, position) -> QuerySet:
    moment, pk = position
    return rows.filter(created_at__gte=moment).filter(Q(created_at__gt=moment) | Q(id__gt=pk))


def _past(rows: QuerySet, position, forward: bool) -> QuerySet:
    return _older_than(rows, position) if forward else _newer_than(rows, position)


def notification_keyset_page(
    rows: QuerySet, *, after: str | None, before: str | None, size: int
) -> KeysetPage:
    """``rows`` newest first by ``(created_at, id)``, ``size`` at a time around a cursor."""
    return keyset_page(
        rows,
        after=after,
        before=before,
        size=size,
        ordering=["-created_at", "-id"],
        past=_past,
        cursor_of=cursor_of,
        parse=cursor_parse,
    )


# Lists of notifications ----------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationFilters:
    """Which notifications a list shows: the Activity page's form and the API's query both make
    one. Each kind of filter narrows the list, several values of one kind widen it, and a kind
    left empty filters nothing."""

    # Origin ids (the API's ``_id``) or trigger identifiers.
    workflows: tuple[str, ...] = ()
    subscriber_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    # None filters nothing; any other value names one trigger (or none).
    transaction_id: str | None = None
    # A transactionId, or the start of a subscriber's ID, email or name.
    search: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None

    @property
    def any(self) -> bool:
        return any(getattr(self, name) not in (None, "", ()) for name in self.__dataclass_fields__)


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


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


def _subscriber_pks(**lookup) -> list[int]:
    return list(
        Subscriber.objects.filter(**lookup).values_list("pk", flat=True)[:FILTER_VALUES_MAX]
    )


def notifications_matching(filters: NotificationFilters) -> QuerySet[Notification]:
    """Notifications of the scope's environment that pass ``filters``, unordered.

    Each filter narrows an index range: the workflow, the status and the subscriber have
    indexes that lead with them; subscribers (by ID, email or search) and a transactionId's
    trigger are looked up first, so the notifications are read by their keys; dates bound the
    ``created_at`` range of any of them. The channel is a condition on each notification's
    steps (the job index)."""
    rows = Notification.objects.all()
    if filters.transaction_id is not None:
        trigger_pk = _trigger_pk(filters.transaction_id)
        if trigger_pk is None:
            return rows.none()
        rows = rows.filter(trigger_id=trigger_pk)
    if filters.workflows:
        rows = rows.filter(workflow_origin_id__in=_workflow_origins(filters.workflows))
    for lookup, values in (
        ("subscriber_id__in", filters.subscriber_ids),
        ("email__in", filters.emails),
    ):
        if values:
            subscribers = _subscriber_pks(**{lookup: _storable(values)})
            if not subscribers:
                return rows.none()
            rows = rows.filter(subscriber_id__in=subscribers)
    if filters.statuses:
        rows = rows.filter(status__in=list(filters.statuses))
    search = filters.search.strip()
    if search and is_storable_text(search):
        matching = subscriber_list(search=search).values_list("pk", flat=True)
        match = Q(subscriber__in=list(matching[:FILTER_VALUES_MAX]))
        trigger_pk = _trigger_pk(search)
        if trigger_pk is not None:
            match |= Q(trigger_id=trigger_pk)
        rows = rows.filter(match)
    if filters.since:
        rows = rows.filter(created_at__gte=_start_of(filters.since))
    if filters.until:
        rows = rows.filter(created_at__lt=_start_of(filters.until + datetime.timedelta(days=1)))
    if filters.channels:
        steps = Job.objects.filter(notification=OuterRef("pk"), channel__in=list(filters.channels))
        rows = rows.filter(Exists(steps))
    return rows


def notification_page(
    *,
    filters: NotificationFilters,
    after: str | None = None,
    before: str | None = None,
    size: int | None = None,
) -> KeysetPage:
    """One page of the Activity list: named rows (``row.workflow_name``,
    ``row.subscriber__subscriber_id``) with each one's subscriber and transactionId, read in
    one query. Rows rather than model instances: the list only prints them, and building 150
    instances (each notification, its subscriber and its trigger) costs more than the query."""
    rows = notifications_matching(filters).values_list(
        "id",
        "public_id",
        "workflow_identifier",
        "workflow_name",
        "channels",
        "status",
        "created_at",
        "subscriber__public_id",
        "subscriber__subscriber_id",
        "trigger__transaction_id",
        named=True,
    )
    return notification_keyset_page(
        rows, after=after, before=before, size=size or NOTIFICATIONS_PER_PAGE
    )


def _with_details(notifications: QuerySet) -> QuerySet:
    return notifications.select_related("trigger", "subscriber").prefetch_related(
        Prefetch("jobs", queryset=Job.objects.order_by("position", "id")),
        Prefetch("logs", queryset=ExecutionLog.objects.order_by("created_at", "id")),
    )


def notification_list(*, filters: NotificationFilters = NotificationFilters()) -> QuerySet:
    """Notifications newest first, with their trigger, subscriber, jobs and execution logs (the
    API's list, which pages it by offset)."""
    return _with_details(notifications_matching(filters).order_by("-created_at", "-id"))


# One notification ----------------------------------------------------------------------------


@dataclass
class StepTimeline:
    """A step of a notification: its job, the message it sent (if any) and its logs."""

    job: Job
    message: Message | None
    logs: list[ExecutionLog] = field(default_factory=list)


@dataclass
class NotificationTimeline:
    notification: Notification
    # Stages before any step: the trigger received, the subscriber resolved…
    trigger_logs: list[ExecutionLog]
    steps: list[StepTimeline]
    logs_truncated: bool


def notification_timeline(*, public_id) -> NotificationTimeline:
    """A notification with its steps, messages and execution logs, in four queries however
    many steps it has; ``Notification.DoesNotExist`` for an unknown or malformed id."""
    parsed = _uuid(public_id)
    if parsed is None:
        raise Notification.DoesNotExist("No such notification.")
    notification = Notification.objects.select_related("subscriber", "trigger").get(
        public_id=parsed
    )
    jobs = list(Job.objects.filter(notification=notification).order_by("position", "id"))
    messages = {
        message.job_id: message for message in Message.objects.filter(notification=notification)
    }
    logs = list(
        ExecutionLog.objects.filter(
            Q(notification=notification) | Q(trigger=notification.trigger, notification=None)
        ).order_by("created_at", "id")[: LOGS_PER_NOTIFICATION + 1]
    )
    truncated = len(logs) > LOGS_PER_NOTIFICATION
    steps = [StepTimeline(job=job, message=messages.get(job.pk)) for job in jobs]
    by_job = {step.job.public_id: step for step in steps}
    trigger_logs = []
    for log in logs[:LOGS_PER_NOTIFICATION]:
        step = by_job.get(log.job_public_id)
        (step.logs if step else trigger_logs).append(log)
    return NotificationTimeline(
        notification=notification, trigger_logs=trigger_logs, steps=steps, logs_truncated=truncated
    )


def notification_get(*, public_id) -> Notification:
    """One notification with its details; ``Notification.DoesNotExist`` otherwise."""
    parsed = _uuid(public_id)
    if parsed is None:
        raise Notification.DoesNotExist("No notification has this id.")
    return _with_details(Notification.objects.all()).get(public_id=parsed)


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


# Messages -------------------------------------------------------------------------------------


def message_get(*, public_id) -> Message:
    """``Message.DoesNotExist`` for an unknown or malformed id."""
    parsed = _uuid(public_id)
    if parsed is None:
        raise Message.DoesNotExist("No message has this id.")
    return Message.objects.get(public_id=parsed)


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


# The chart of the last days ------------------------------------------------------------------


@dataclass(frozen=True)
class DailyCounts:
    """Rows per day and status over the chart's days, oldest first."""

    days: list[datetime.date]
    statuses: list[tuple[str, str]]  # (value, label), in stacking order
    counts: dict[datetime.date, dict[str, int]]

    def total_of(self, day: datetime.date) -> int:
        return sum(self.counts[day].values())

    @property
    def total(self) -> int:
        return sum(self.total_of(day) for day in self.days)


def _grouped_counts(rows: QuerySet, *, since: datetime.date, before: datetime.date | None):
    """``{day: {status: rows}}`` of ``rows`` created on the days from ``since`` (inclusive) to
    ``before`` (exclusive, or on): one query, grouped by the database."""
    rows = rows.filter(created_at__gte=_start_of(since))
    if before is not None:
        rows = rows.filter(created_at__lt=_start_of(before))
    grouped = (
        rows.annotate(day=TruncDate("created_at"))
        .values_list("day", "status")
        .annotate(rows=Count("id"))
        .order_by()
    )
    counts: dict = {}
    for day, status, number in grouped:
        counts.setdefault(day, {})[status] = number
    return counts


def _daily_counts(
    rows: QuerySet, statuses, *, kind: str, days: int, today: datetime.date
) -> DailyCounts:
    """Rows per day and status over ``days`` days up to ``today``, in one aggregate query.

    Days before today are over: their counts are kept in the cache (an hour), so a page view
    usually aggregates only today's rows, whatever the volume of the other days. On a cold
    cache the one query covers every day and fills it.
    """
    first = today - datetime.timedelta(days=days - 1)
    span = [first + datetime.timedelta(days=number) for number in range(days)]
    environment = current_environment()
    keys = {
        day: f"herald:activity-chart:{kind}:{environment.pk}:{day.isoformat()}" for day in span[:-1]
    }
    cached = cache.get_many(list(keys.values()))
    past = {day: cached[key] for day, key in keys.items() if key in cached}
    if len(past) == len(keys):
        grouped = _grouped_counts(rows, since=today, before=None)
    else:
        grouped = _grouped_counts(rows, since=first, before=None)
        past = {day: grouped.get(day, {}) for day in span[:-1]}
        cache.set_many({keys[day]: counts for day, counts in past.items()}, CHART_CACHE_SECONDS)
    by_day = {**past, today: grouped.get(today, {})}
    counts = {
        day: {value: by_day.get(day, {}).get(value, 0) for value, _ in statuses} for day in span
    }
    return DailyCounts(days=span, statuses=list(statuses), counts=counts)


def trigger_daily_counts(*, days: int = CHART_DAYS, today=None) -> DailyCounts:
    """Triggers received per day and status (one aggregate query)."""
    today = today or timezone.localdate()
    return _daily_counts(
        Trigger.objects.all(), Trigger.Status.choices, kind="triggers", days=days, today=today
    )


def message_daily_counts(*, days: int = CHART_DAYS, today=None) -> DailyCounts:
    """Messages sent per day and status (one aggregate query)."""
    today = today or timezone.localdate()
    return _daily_counts(
        Message.objects.all(), Message.Status.choices, kind="messages", days=days, today=today
    )


# Statistics of the API -----------------------------------------------------------------------


def notification_stats(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Notifications of the last 7 and the last 30 days."""
    now = now or timezone.now()
    recent = Notification.objects.filter(
        created_at__gte=now - datetime.timedelta(days=30)
    ).order_by()
    weekly = recent.filter(created_at__gte=now - datetime.timedelta(days=7)).count()
    return weekly, recent.count()


@dataclass(frozen=True)
class DayOfActivity:
    day: str  # ISO date
    count: int
    workflow_origin_ids: list[uuid.UUID]
    channels: list[str]


def notification_graph(*, days: int, now: datetime.datetime | None = None) -> list[DayOfActivity]:
    """Notifications per day (UTC) over the last ``days`` days, with the workflows and channels
    of each day; days without any are left out."""
    now = now or timezone.now()
    days = max(1, min(days, GRAPH_DAYS_MAX))
    since = (now - datetime.timedelta(days=days - 1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
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


# A subscriber's in-app feed ------------------------------------------------------------------


class PayloadFilterInvalid(ValueError):
    pass


def payload_filter_parse(encoded: str) -> dict:
    """The feed's ``payload`` parameter: base64 of a JSON object whose leaves (strings, numbers,
    booleans, null) must equal the trigger payload's at the same path. Bounded in size, depth
    and number of conditions; ``PayloadFilterInvalid`` says what is wrong."""
    if len(encoded) > PAYLOAD_FILTER_MAX_BYTES * 2:
        raise PayloadFilterInvalid(f"Keep the payload filter under {PAYLOAD_FILTER_MAX_BYTES} B.")
    try:
        padded = encoded + "=" * (-len(encoded) % 4)
        text = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        value = json.loads(text)
    except (binascii.Error, ValueError, UnicodeDecodeError) as invalid:
        raise PayloadFilterInvalid("Send base64 of a JSON object.") from invalid
    if len(text) > PAYLOAD_FILTER_MAX_BYTES:
        raise PayloadFilterInvalid(f"Keep the payload filter under {PAYLOAD_FILTER_MAX_BYTES} B.")
    if not isinstance(value, dict):
        raise PayloadFilterInvalid("Send base64 of a JSON object.")
    payload_conditions(value)  # checks the shape
    return value


def payload_conditions(value: dict) -> list[tuple[tuple[str, ...], object]]:
    """``(path, leaf)`` of every leaf of a payload filter."""
    conditions, pending = [], [((), value)]
    while pending:
        path, current = pending.pop()
        if len(path) > PAYLOAD_FILTER_MAX_DEPTH:
            raise PayloadFilterInvalid(
                f"Nest the payload filter at most {PAYLOAD_FILTER_MAX_DEPTH}."
            )
        if isinstance(current, dict):
            for key, child in current.items():
                if not is_storable_text(key):
                    raise PayloadFilterInvalid("Payload filter keys must be plain text.")
                pending.append(((*path, key), child))
        elif isinstance(current, list):
            raise PayloadFilterInvalid("Payload filters compare single values, not lists.")
        else:
            if isinstance(current, str) and not is_storable_text(current):
                raise PayloadFilterInvalid("Payload filter values must be plain text.")
            conditions.append((path, current))
    if len(conditions) > PAYLOAD_FILTER_MAX_CONDITIONS:
        raise PayloadFilterInvalid(
            f"Use at most {PAYLOAD_FILTER_MAX_CONDITIONS} conditions in the payload filter."
        )
    return conditions


def _payload_equals(rows: QuerySet, payload: dict) -> QuerySet:
    for number, (path, leaf) in enumerate(payload_conditions(payload)):
        expression = "payload"
        for key in path:
            # An expression, not a ``payload__a__b`` keyword: a key may contain "__".
            expression = KeyTransform(key, expression)
        alias = f"payload_condition_{number}"
        rows = rows.alias(**{alias: expression}).filter(**{alias: leaf})
    return rows


def inbox_messages(
    *,
    subscriber: Subscriber,
    feed_identifiers: list[str] | None = None,
    seen: bool | None = None,
    read: bool | None = None,
    payload: dict | None = None,
) -> QuerySet[Message]:
    """The subscriber's in-app messages, newest first, as their inbox shows them. Feeds are
    named by identifier; an unknown one matches nothing."""
    rows = Message.objects.filter(subscriber=subscriber, channel=Channel.IN_APP)
    if feed_identifiers:
        wanted = [
            name for name in feed_identifiers[:FEED_IDENTIFIERS_MAX] if is_storable_text(name)
        ]
        origins = list(
            Feed.objects.filter(identifier__in=wanted).values_list("origin_id", flat=True)
        )
        rows = rows.filter(feed_origin_id__in=origins)
    if seen is not None:
        rows = rows.filter(seen=seen)
    if read is not None:
        rows = rows.filter(read=read)
    if payload:
        rows = _payload_equals(rows, payload)
    return rows.order_by("-created_at", "-id")


@dataclass(frozen=True)
class InboxPage:
    rows: list[Message]
    has_more: bool
    total_count: int


def inbox_page(rows: QuerySet[Message], *, page: int, limit: int) -> InboxPage:
    """Page ``page`` (0-based) of ``limit`` messages. Reads at most FEED_DEPTH_MAX rows deep;
    the caller refuses deeper pages. ``total_count`` counts at most FEED_DEPTH_MAX."""
    offset = page * limit
    window = list(rows[offset : offset + limit + 1])
    # A short page ends the list, so its count is known without counting.
    ends_here = 0 < len(window) <= limit or offset == 0
    total = offset + len(window) if ends_here and len(window) <= limit else None
    if total is None:
        total = rows[:FEED_DEPTH_MAX].count()
    return InboxPage(rows=window[:limit], has_more=len(window) > limit, total_count=total)


def inbox_count(rows: QuerySet[Message], *, limit: int) -> int:
    """How many of ``rows``, counted up to ``limit`` (Novu's clients show "99+")."""
    return rows.order_by()[:limit].count()


def workflows_of(messages: list[Message]) -> dict[uuid.UUID, Workflow]:
    """The workflows of these messages, by origin id (one query)."""
    origins = {message.workflow_origin_id for message in messages}
    return {row.origin_id: row for row in Workflow.objects.filter(origin_id__in=origins)}


def feeds_of(messages: list[Message]) -> dict[uuid.UUID, Feed]:
    """The feeds these messages were posted into, by origin id (one query, none without)."""
    origins = {message.feed_origin_id for message in messages if message.feed_origin_id}
    if not origins:
        return {}
    return {row.origin_id: row for row in Feed.objects.filter(origin_id__in=origins)}


def workflow_by_origin(*, origin_id) -> Workflow:
    """``Workflow.DoesNotExist`` for an unknown or malformed id."""
    parsed = _uuid(origin_id)
    if parsed is None:
        raise Workflow.DoesNotExist("No such workflow.")
    return Workflow.objects.get(origin_id=parsed)


# A subscriber on the dashboard ----------------------------------------------------------------

SUBSCRIBER_FEED_PREVIEW_SIZE = 10
SUBSCRIBER_RECENT_NOTIFICATIONS = 10


@dataclass(frozen=True)
class SubscriberActivity:
    """What the subscriber's page shows of activity: their inbox as they see it, and their
    latest notifications."""

    subscriber: Subscriber
    inbox: list[Message]
    inbox_has_more: bool
    unseen: int
    unread: int
    notifications: list[Notification]
    notifications_have_more: bool


def subscriber_activity(*, subscriber: Subscriber) -> SubscriberActivity:
    """Four queries, however much activity the subscriber has."""
    inbox = list(inbox_messages(subscriber=subscriber)[: SUBSCRIBER_FEED_PREVIEW_SIZE + 1])
    notifications = list(
        Notification.objects.filter(subscriber=subscriber)
        .select_related("trigger")
        .only(
            "public_id",
            "workflow_name",
            "workflow_identifier",
            "channels",
            "status",
            "created_at",
            "environment_id",
            "trigger__transaction_id",
            "trigger__environment_id",
        )
        .order_by("-created_at", "-id")[: SUBSCRIBER_RECENT_NOTIFICATIONS + 1]
    )
    return SubscriberActivity(
        subscriber=subscriber,
        inbox=inbox[:SUBSCRIBER_FEED_PREVIEW_SIZE],
        inbox_has_more=len(inbox) > SUBSCRIBER_FEED_PREVIEW_SIZE,
        unseen=inbox_count(inbox_messages(subscriber=subscriber, seen=False), limit=100),
        unread=inbox_count(inbox_messages(subscriber=subscriber, read=False), limit=100),
        notifications=notifications[:SUBSCRIBER_RECENT_NOTIFICATIONS],
        notifications_have_more=len(notifications) > SUBSCRIBER_RECENT_NOTIFICATIONS,
    )
