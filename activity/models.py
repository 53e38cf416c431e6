"""Activity: what each trigger became, per subscriber and per step, and every stage of it.

Runtime data of one environment, never promoted:

- ``Trigger``: one accepted ``POST /v1/events/trigger`` (or broadcast), as the backend sent it.
  Its ``transaction_id`` is unique in the environment, so a retried request is refused and never
  delivered twice.
- ``FanOut``: a topic (or, for a broadcast, every subscriber) expanded into notifications a
  batch at a time, with the cursor of the next batch.
- ``Notification``: one subscriber reached by one trigger (Novu's notification).
- ``Job``: one step of one notification, with its state machine (see ``activity.pipeline``).
- ``Message``: the rendered content a channel step sent; an in-app message is the item in the
  subscriber's feed, with its seen and read states.
- ``ExecutionLog``: one stage of the work (trigger received, subscriber resolved, step filtered,
  rendered, sent, failed), with a detail for people and raw data for machines.
- ``TriggerVariableSample``: the payload paths of the last triggers of a workflow, for the
  Changes page's "new variable" warning.

Workflows and steps are content, edited and promoted while activity accumulates: activity names
them by ``origin_id`` (stable across environments, renames and promotions) and keeps the name and
identifier they had, rather than holding a foreign key that an edit or a promotion would cascade
through millions of rows.

Lists read newest first, a page at a time after a ``(created_at, id)`` cursor, from the indexes
declared below; each was checked with ``EXPLAIN`` on PostgreSQL (``benchmarks/README.md``).
"""

import os
import time
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from environments.models import EnvironmentScopedModel
from workflows.models import Channel

TRANSACTION_ID_MAX_LENGTH = 200
WORKFLOW_IDENTIFIER_MAX_LENGTH = 120
TOPIC_KEY_MAX_LENGTH = 100
DETAIL_MAX_LENGTH = 500


def environment_of_a_big_table():
    """The environment of a row of a big table, without an index of its own: every query is
    scoped by environment, and the composite indexes below lead with it, or with what implies it
    (the subscriber, the notification). One index fewer to write for every row."""
    return models.ForeignKey(
        "environments.Environment", on_delete=models.CASCADE, related_name="+", db_index=False
    )


def time_ordered_uuid() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.

    Rows of these tables are created in time order by the million; with ids that sort by time,
    the unique index on ``public_id`` grows at its right edge instead of taking writes at random
    pages. The id reveals when the row was made, as the row's ``createdAt`` does anyway.
    """
    milliseconds = time.time_ns() // 1_000_000
    value = (milliseconds & (2**48 - 1)) << 80 | int.from_bytes(os.urandom(10))
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 9562 variant
    return uuid.UUID(int=value)


class Trigger(EnvironmentScopedModel):
    """A trigger the API accepted: stored, then expanded and delivered by the task workers."""

    class Kind(models.TextChoices):
        EVENT = "event", "Trigger"
        BROADCAST = "broadcast", "Broadcast"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        CANCELED = "canceled", "Canceled"

    environment = environment_of_a_big_table()
    public_id = models.UUIDField(default=time_ordered_uuid, unique=True, editable=False)
    transaction_id = models.CharField(max_length=TRANSACTION_ID_MAX_LENGTH)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EVENT)
    workflow_origin_id = models.UUIDField()
    workflow_identifier = models.CharField(max_length=WORKFLOW_IDENTIFIER_MAX_LENGTH)
    # As validated: [{"subscriberId": ..., profile fields...}, {"type": "Topic", "topicKey": ...}].
    recipients = models.JSONField(default=list, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    overrides = models.JSONField(default=dict, blank=True)
    # {"subscriberId": ..., profile fields...}, or None.
    actor = models.JSONField(null=True, blank=True)
    api_key = models.ForeignKey(
        "environments.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A retried request is refused (409) instead of delivered a second time. Also the
            # index that finds a trigger by its transactionId (cancel, filters).
            models.UniqueConstraint(
                fields=["environment", "transaction_id"], name="trigger_transaction_per_env"
            ),
        ]

    def __str__(self):
        return f"{self.workflow_identifier} · {self.transaction_id}"


class FanOut(EnvironmentScopedModel):
    """A topic's subscribers (or, with an empty ``topic_key``, every subscriber of the
    environment) turned into notifications of ``trigger``, one batch per task.

    ``after_subscriber`` is the primary key of the last subscriber handled: each batch takes the
    next subscribers in key order and moves the cursor in the same transaction, so a batch that
    runs twice finds the cursor moved and does nothing.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        CANCELED = "canceled", "Canceled"

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="fan_outs")
    topic_key = models.CharField(max_length=TOPIC_KEY_MAX_LENGTH, blank=True)
    after_subscriber = models.BigIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trigger", "topic_key"], name="fan_out_once_per_topic"),
        ]

    def __str__(self):
        return f"{self.trigger} → {self.topic_key or 'every subscriber'}"

    @property
    def is_broadcast(self) -> bool:
        return not self.topic_key


class Notification(EnvironmentScopedModel):
    """One subscriber reached by one trigger: its steps are its ``jobs``."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    environment = environment_of_a_big_table()
    public_id = models.UUIDField(default=time_ordered_uuid, unique=True, editable=False)
    trigger = models.ForeignKey(
        Trigger, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    subscriber = models.ForeignKey(
        "subscribers.Subscriber",
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    workflow_origin_id = models.UUIDField()
    workflow_identifier = models.CharField(max_length=WORKFLOW_IDENTIFIER_MAX_LENGTH)
    workflow_name = models.CharField(max_length=120)
    # The channels of its steps, in step order (Novu's `channels`).
    channels = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A subscriber named twice, or in two topics of one trigger, is notified once. Also
            # the index of "this trigger's notifications" (transactionId filters, cascades).
            models.UniqueConstraint(
                fields=["trigger", "subscriber"], name="notification_once_per_subscriber"
            ),
        ]
        indexes = [
            # The Activity list, newest first, a page after a (created_at, id) cursor.
            models.Index(fields=["environment", "-created_at", "-id"], name="notification_newest"),
            models.Index(
                fields=["environment", "workflow_origin_id", "-created_at", "-id"],
                name="notification_by_workflow",
            ),
            models.Index(
                fields=["environment", "status", "-created_at", "-id"],
                name="notification_by_status",
            ),
            # A subscriber belongs to one environment, so the subscriber leads: this also serves
            # the cascade when a subscriber is deleted.
            models.Index(
                fields=["subscriber", "-created_at", "-id"], name="notification_by_subscriber"
            ),
        ]

    def __str__(self):
        return f"{self.workflow_identifier} → {self.subscriber_id}"


class Job(EnvironmentScopedModel):
    """One step of one notification. Its status moves only forward, by conditional updates:

    ``pending`` → ``completed`` | ``skipped`` | ``failed`` | ``canceled``, and for channels
    delivered by a provider ``pending`` → ``sending`` → ``completed`` | ``failed``. A job that
    left ``pending`` is never sent again; see ``activity.pipeline`` for the guarantees.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        COMPLETED = "completed", "Completed"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    # Shown as `_jobId`, never looked up: no index to maintain.
    environment = environment_of_a_big_table()
    public_id = models.UUIDField(default=time_ordered_uuid, editable=False)
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="jobs", db_index=False
    )
    # The step by its origin, so an edit or promotion of the workflow leaves the job pointing
    # at the same step (or at none, if it was removed before the job ran).
    step_origin_id = models.UUIDField()
    step_name = models.CharField(max_length=120)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_id = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            # A notification has one job per step, however often its task runs.
            models.UniqueConstraint(
                fields=["notification", "step_origin_id"], name="job_once_per_step"
            ),
        ]
        indexes = [
            # Jobs interrupted while their provider was called, for the recovery sweep.
            models.Index(
                fields=["updated_at"],
                name="job_sending_since",
                condition=Q(status="sending"),
            ),
        ]

    def __str__(self):
        return f"{self.step_name} ({self.channel}) · {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status not in (self.Status.PENDING, self.Status.SENDING)


class Message(EnvironmentScopedModel):
    """What a channel step rendered and sent. An in-app message is the feed item."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    environment = environment_of_a_big_table()
    public_id = models.UUIDField(default=time_ordered_uuid, unique=True, editable=False)
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="messages"
    )
    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="message")
    subscriber = models.ForeignKey(
        "subscribers.Subscriber", on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    workflow_origin_id = models.UUIDField()
    # Novu's `templateIdentifier`: the workflow's trigger identifier when it was sent.
    workflow_identifier = models.CharField(max_length=WORKFLOW_IDENTIFIER_MAX_LENGTH)
    # The in-app feed the step posts into, by origin (stable) and identifier (as sent).
    feed_origin_id = models.UUIDField(null=True, blank=True)
    feed_identifier = models.CharField(max_length=80, blank=True)
    subject = models.TextField(blank=True)
    content = models.TextField(blank=True)
    # {"type": "redirect", "data": {"url": ...}}, or {} without a call to action.
    cta = models.JSONField(default=dict, blank=True)
    # The trigger's payload, kept on in-app messages: the feed shows it and filters on it.
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    provider_id = models.CharField(max_length=60, blank=True)
    error_text = models.TextField(blank=True)
    seen = models.BooleanField(default=False)
    read = models.BooleanField(default=False)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["environment", "-created_at", "-id"], name="message_newest"),
            models.Index(
                fields=["environment", "channel", "-created_at", "-id"], name="message_by_channel"
            ),
            # A subscriber's messages (of one channel): the API's subscriberId filter and the
            # in-app feed across all feeds. The subscriber implies the environment.
            models.Index(
                fields=["subscriber", "channel", "-created_at", "-id"], name="message_feed"
            ),
            # One feed of a subscriber's inbox.
            models.Index(
                fields=["subscriber", "channel", "feed_origin_id", "-created_at", "-id"],
                name="message_feed_by_feed",
            ),
            # Unseen and unread counts read only the messages still unseen or unread.
            models.Index(
                fields=["subscriber", "channel", "feed_origin_id"],
                name="message_unseen",
                condition=Q(seen=False),
            ),
            models.Index(
                fields=["subscriber", "channel", "feed_origin_id"],
                name="message_unread",
                condition=Q(read=False),
            ),
        ]

    def __str__(self):
        return f"{self.channel} message to {self.subscriber_id}"


class ExecutionLog(EnvironmentScopedModel):
    """One stage of a trigger's work. Statuses, sources and channels use Novu's values."""

    class Stage(models.TextChoices):
        TRIGGER_RECEIVED = "trigger_received", "Trigger received"
        SUBSCRIBER_RESOLVED = "subscriber_resolved", "Subscriber resolved"
        RECIPIENTS_RESOLVED = "recipients_resolved", "Recipients resolved"
        STEP_FILTERED = "step_filtered", "Step filtered"
        MESSAGE_RENDERED = "message_rendered", "Message rendered"
        MESSAGE_SENT = "message_sent", "Message sent"
        RETRYING = "retrying", "Retrying"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    class Status(models.TextChoices):
        SUCCESS = "Success", "Success"
        WARNING = "Warning", "Warning"
        FAILED = "Failed", "Failed"
        PENDING = "Pending", "Pending"
        QUEUED = "Queued", "Queued"

    class Source(models.TextChoices):
        INTERNAL = "Internal", "Internal"
        PAYLOAD = "Payload", "Payload"
        CREDENTIALS = "Credentials", "Credentials"
        WEBHOOK = "Webhook", "Webhook"

    TRIGGER_CHANNEL = "trigger"

    # Shown as `_id`, never looked up.
    environment = environment_of_a_big_table()
    public_id = models.UUIDField(default=time_ordered_uuid, editable=False)
    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="logs")
    notification = models.ForeignKey(
        Notification,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="logs",
        db_index=False,
    )
    # Ids of the job and message it concerns, for the API; the notification owns both.
    job_public_id = models.UUIDField(null=True, blank=True)
    message_public_id = models.UUIDField(null=True, blank=True)
    stage = models.CharField(max_length=24, choices=Stage.choices)
    # A step's channel, or "trigger" for the stages before any step.
    channel = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=Status.choices)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.INTERNAL)
    detail = models.CharField(max_length=DETAIL_MAX_LENGTH)
    raw = models.JSONField(null=True, blank=True)
    provider_id = models.CharField(max_length=60, blank=True)
    is_retry = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # A notification's execution details, in order (and its cascade).
            models.Index(
                fields=["notification", "created_at", "id"], name="execution_log_of_notification"
            ),
        ]

    def __str__(self):
        return f"{self.stage}: {self.detail}"


class TriggerVariableSample(EnvironmentScopedModel):
    """The variable paths one trigger's payload carried (``payload.order.total``…). Only the
    last ``SAMPLES_PER_WORKFLOW`` of each workflow in each environment are kept."""

    SAMPLES_PER_WORKFLOW = 100

    workflow_identifier = models.CharField(max_length=WORKFLOW_IDENTIFIER_MAX_LENGTH)
    paths = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["environment", "workflow_identifier", "-id"],
                name="variable_sample_newest",
            ),
        ]

    def __str__(self):
        return f"{self.workflow_identifier}: {len(self.paths)} paths"
