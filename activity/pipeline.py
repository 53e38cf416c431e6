"""The trigger pipeline: from a stored ``Trigger`` to notifications, jobs, messages and logs.

Three stages, run by tasks (``activity.tasks``) inside the trigger's environment scope:

1. ``trigger_expand``: the trigger's own recipients (at most 100) become subscribers, created or
   updated from the profile fields sent; each gets a ``Notification`` with one ``Job`` per active
   step. Each topic, or for a broadcast the whole environment, gets a ``FanOut``. The same task
   then delivers the first ``DELIVERY_CHUNK`` notifications itself (a trigger to one subscriber
   is one task), and enqueues a delivery task for each further chunk.
2. ``fan_out_batch``: the next ``BATCH_SIZE`` subscribers of a fan-out become notifications,
   delivered by tasks of ``DELIVERY_CHUNK``; the batch enqueues the next one.
3. ``notifications_deliver``: each notification's jobs in step order: the subscriber's
   preferences, the render, the message, its delivery.

Guarantees
----------
- Once per trigger, subscriber and step. Each stage locks the row it advances (the trigger, the
  fan-out, the job) and reads its state under the lock; unique constraints back that up (one
  notification per trigger and subscriber, one job per notification and step). A stage that
  runs twice, or twice at once, finds its work done and does nothing.
- A state change commits together with the tasks it enqueues: the task queue is a table of the
  same database. No task runs for a change that rolled back; no change waits for a task that
  was never enqueued.
- A job leaves ``pending`` once, under its row lock. An in-app message is stored and delivered
  in that transaction. Provider channels commit ``sending`` first and call the provider
  afterwards; a worker that dies during the call leaves the job ``sending``, and recovery fails
  it rather than risk a second send: at most once.
- A provider that refused before accepting anything (a timeout, a 5xx, a 429) is tried again
  under ``activity.retries``' policy: the job goes back to ``pending`` and its notification's
  delivery is enqueued for later. Every attempt is one execution log with the provider's
  (redacted) answer. The notification's later steps wait for the retried one, as steps keep
  their order; other notifications never wait for it.
- Nothing is lost. A stage that raises, or whose worker dies, is enqueued again by
  ``activity.recovery`` a bounded number of times; after that its remaining work fails with an
  execution log that says why.
- A step that cannot be rendered is the operator's problem, not the pipeline's: it fails with
  an execution log quoting the template error, and the other steps go on.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from activity import tasks
from activity.delivery import DeliveryResult, Outcome, deliver, deliverer_for
from activity.models import ExecutionLog, FanOut, Job, Message, Notification, Trigger
from activity.rendering import StepRenderFailed, render_scope, step_render
from activity.retries import next_attempt_at
from activity.samples import variable_sample_record
from subscribers.models import Subscriber, SubscriberPreference, Topic, TopicSubscription
from subscribers.selectors import effective_preference
from subscribers.services import BulkEntry, SubscriberProfile, subscribers_bulk_create
from workflows.models import Channel, Step, Workflow

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# Notifications per delivery task: few enough to spread a fan-out over the workers, enough to
# share the task's own cost (and the workflow and steps it reads) between them.
DELIVERY_CHUNK = 20
# Rows read with their related rows lock only themselves: locking the environment (or the
# trigger of every job) would serialise unrelated work.
LOCK_ONLY_THE_ROW = ("self",)
# A job still ``sending`` this long after it started is taken to be interrupted.
SENDING_LEASE = timedelta(minutes=15)

Status = ExecutionLog.Status
Stage = ExecutionLog.Stage


def _log(
    *,
    trigger: Trigger,
    stage: str,
    status: str,
    detail: str,
    notification: Notification | None = None,
    job: Job | None = None,
    message: Message | None = None,
    source: str = ExecutionLog.Source.INTERNAL,
    raw: dict | None = None,
    provider_id: str = "",
    is_retry: bool = False,
    created_at=None,
) -> ExecutionLog:
    """An unsaved log row, for ``bulk_create``."""
    return ExecutionLog(
        environment_id=trigger.environment_id,
        trigger=trigger,
        notification=notification,
        job_public_id=job.public_id if job else None,
        message_public_id=message.public_id if message else None,
        stage=stage,
        channel=job.channel if job else ExecutionLog.TRIGGER_CHANNEL,
        status=status,
        source=source,
        detail=detail[: ExecutionLog._meta.get_field("detail").max_length],
        raw=raw,
        provider_id=provider_id,
        is_retry=is_retry,
        created_at=created_at or timezone.now(),
    )


def _active_workflow(trigger: Trigger) -> Workflow | None:
    return Workflow.objects.filter(origin_id=trigger.workflow_origin_id, active=True).first()


def _active_steps(workflow: Workflow) -> list[Step]:
    return list(
        Step.objects.filter(workflow=workflow, active=True)
        .select_related("feed", "layout")
        .order_by("position", "pk")
    )


def _trigger_failure(trigger: Trigger, detail: str, *, raw: dict | None = None) -> None:
    """A failure of the trigger as a whole, before any notification."""
    log = _log(trigger=trigger, stage=Stage.FAILED, status=Status.FAILED, detail=detail, raw=raw)
    ExecutionLog.objects.bulk_create([log])


# Stage 1: the trigger's own recipients ------------------------------------------------------


@dataclass
class _Recipient:
    subscriber: Subscriber
    how: str  # "found", "created", "updated", or how a fan-out reached it


def _profile_of(fields: dict | None) -> SubscriberProfile:
    return SubscriberProfile(**(fields or {}))


def _direct_recipients(trigger: Trigger) -> tuple[list[_Recipient], list[ExecutionLog]]:
    """The subscribers named in the trigger, created or updated from the profiles sent (a plain
    subscriberId that is new creates a subscriber with only that ID, as Novu does)."""
    wanted: dict[str, dict | None] = {}
    for recipient in trigger.recipients:
        if "subscriberId" in recipient:
            wanted[recipient["subscriberId"]] = recipient.get("profile") or wanted.get(
                recipient["subscriberId"]
            )
    if not wanted:
        return [], []
    known = {s.subscriber_id: s for s in Subscriber.objects.filter(subscriber_id__in=list(wanted))}
    actor = trigger.actor or {}
    writes = [
        BulkEntry(subscriber_id=subscriber_id, profile=_profile_of(profile))
        for subscriber_id, profile in wanted.items()
        if profile or subscriber_id not in known
    ]
    if actor.get("profile"):
        writes.append(BulkEntry(actor["subscriberId"], _profile_of(actor["profile"])))
    how = dict.fromkeys(known, "found")
    failures = []
    if writes:
        try:
            outcome = subscribers_bulk_create(
                environment=trigger.environment, entries=writes, actor=trigger.api_key
            )
        except (PermissionDenied, ValidationError) as refused:
            outcome = None
            failures.append(
                _log(
                    trigger=trigger,
                    stage=Stage.FAILED,
                    status=Status.FAILED,
                    detail=f"The recipients could not be created or updated: {refused}",
                )
            )
        if outcome is not None:
            how |= dict.fromkeys(outcome.created, "created") | dict.fromkeys(
                outcome.updated, "updated"
            )
            failures += [
                _log(
                    trigger=trigger,
                    stage=Stage.FAILED,
                    status=Status.FAILED,
                    source=ExecutionLog.Source.PAYLOAD,
                    detail=f"Subscriber {failure.subscriber_id} was not notified: "
                    f"{failure.message}",
                    raw={"subscriberId": failure.subscriber_id},
                )
                for failure in outcome.failed
            ]
            written = outcome.created + outcome.updated
            known |= {
                s.subscriber_id: s for s in Subscriber.objects.filter(subscriber_id__in=written)
            }
    return [
        _Recipient(known[subscriber_id], how.get(subscriber_id, "found"))
        for subscriber_id in wanted
        if subscriber_id in known
    ], failures


def _notify(
    *,
    trigger: Trigger,
    workflow: Workflow,
    steps: list[Step],
    recipients: list[_Recipient],
    first_of_trigger: bool = False,
) -> list[Notification]:
    """Notifications, jobs and their first logs for the recipients this trigger has not
    notified yet (``first_of_trigger``: it has notified no one). Runs under the trigger's row
    lock. Returns the notifications that have steps to deliver."""
    by_pk = {recipient.subscriber.pk: recipient for recipient in recipients}
    already = set()
    if not first_of_trigger:
        already = set(
            Notification.objects.filter(trigger=trigger, subscriber_id__in=list(by_pk)).values_list(
                "subscriber_id", flat=True
            )
        )
    fresh = [recipient for pk, recipient in by_pk.items() if pk not in already]
    if not fresh:
        return []
    now = timezone.now()
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                environment_id=trigger.environment_id,
                trigger=trigger,
                subscriber=recipient.subscriber,
                workflow_origin_id=workflow.origin_id,
                workflow_identifier=workflow.identifier,
                workflow_name=workflow.name,
                channels=[step.channel for step in steps],
                status=Notification.Status.PENDING if steps else Notification.Status.COMPLETED,
                created_at=now,
                finished_at=None if steps else now,
            )
            for recipient in fresh
        ]
    )
    Job.objects.bulk_create(
        [
            Job(
                environment_id=trigger.environment_id,
                notification=notification,
                step_origin_id=step.origin_id,
                step_name=step.name,
                channel=step.channel,
                position=position,
                created_at=now,
                updated_at=now,
            )
            for notification in notifications
            for position, step in enumerate(steps)
        ]
    )
    logs = []
    for notification, recipient in zip(notifications, fresh, strict=True):
        subscriber_id = recipient.subscriber.subscriber_id
        logs += [
            _log(
                trigger=trigger,
                notification=notification,
                stage=Stage.TRIGGER_RECEIVED,
                status=Status.SUCCESS,
                detail=f"Trigger received: {trigger.workflow_identifier}, transaction "
                f"{trigger.transaction_id}.",
                raw={"transactionId": trigger.transaction_id, "kind": trigger.kind},
                created_at=trigger.created_at,
            ),
            _log(
                trigger=trigger,
                notification=notification,
                stage=Stage.SUBSCRIBER_RESOLVED,
                status=Status.SUCCESS,
                detail=f"Subscriber {subscriber_id} {recipient.how}.",
                raw={"subscriberId": subscriber_id},
                created_at=now,
            ),
        ]
        if not steps:
            logs.append(
                _log(
                    trigger=trigger,
                    notification=notification,
                    stage=Stage.STEP_FILTERED,
                    status=Status.WARNING,
                    detail=f"“{workflow.name}” has no active steps: there was nothing to send.",
                    created_at=now,
                )
            )
    ExecutionLog.objects.bulk_create(logs)
    return notifications if steps else []


def _deliveries_enqueue(notifications: list[Notification], *, priority: int) -> None:
    """One delivery task per DELIVERY_CHUNK notifications."""
    for start in range(0, len(notifications), DELIVERY_CHUNK):
        tasks.notifications_deliver_enqueue(
            notifications[start : start + DELIVERY_CHUNK], priority=priority
        )


def _first_chunk(trigger_id: int) -> list[int]:
    """The notifications the expansion task delivers itself: the trigger's first pending ones.
    (A delivery task may hold some of them too: whoever locks a job first sends it.)"""
    return list(
        Notification.objects.filter(trigger_id=trigger_id, status=Notification.Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)[:DELIVERY_CHUNK]
    )


def trigger_expand(*, trigger_id: int) -> None:
    """Stage 1, then stage 3 for the first DELIVERY_CHUNK notifications: a trigger to one
    subscriber is one task. Run again (its worker died), it expands nothing twice and delivers
    what is still pending of that first chunk.

    When every step is delivered inside Herald (in-app), nothing leaves before the commit, so
    the expansion and those deliveries commit together; otherwise the expansion commits first.
    """
    with transaction.atomic():
        expanded, local_only = _trigger_expand(trigger_id=trigger_id)
        if expanded and local_only:
            notifications_deliver(notification_ids=[n.pk for n in expanded[:DELIVERY_CHUNK]])
            return
    first = [n.pk for n in expanded[:DELIVERY_CHUNK]] if expanded else _first_chunk(trigger_id)
    if first:
        notifications_deliver(notification_ids=first)


def _trigger_expand(*, trigger_id: int) -> tuple[list[Notification] | None, bool]:
    """Expand a received trigger, in the caller's transaction: its notifications (None when it
    was expanded or canceled already), and whether all its steps are delivered locally."""
    trigger = (
        Trigger.objects.select_for_update(of=LOCK_ONLY_THE_ROW)
        .select_related("environment", "api_key")
        .filter(pk=trigger_id)
        .first()
    )
    if trigger is None or trigger.status != Trigger.Status.RECEIVED:
        return None, False
    trigger.status, trigger.processed_at = Trigger.Status.PROCESSED, timezone.now()
    trigger.save(update_fields=["status", "processed_at"])
    workflow = _active_workflow(trigger)
    if workflow is None:
        _trigger_failure(
            trigger,
            f"The workflow “{trigger.workflow_identifier}” was deleted or deactivated "
            "before the trigger was processed: nothing was sent.",
        )
        return [], False
    variable_sample_record(workflow_identifier=trigger.workflow_identifier, payload=trigger.payload)
    steps = _active_steps(workflow)
    recipients, failures = _direct_recipients(trigger)
    ExecutionLog.objects.bulk_create(failures)
    notifications = _notify(
        trigger=trigger,
        workflow=workflow,
        steps=steps,
        recipients=recipients,
        first_of_trigger=True,
    )
    # The first chunk is delivered by this task (see trigger_expand).
    _deliveries_enqueue(notifications[DELIVERY_CHUNK:], priority=tasks.DIRECT_PRIORITY)
    topic_keys = list(dict.fromkeys(r["topicKey"] for r in trigger.recipients if "topicKey" in r))
    if trigger.kind == Trigger.Kind.BROADCAST:
        topic_keys = [""]
    fan_outs = FanOut.objects.bulk_create(
        [
            FanOut(environment_id=trigger.environment_id, trigger=trigger, topic_key=key)
            for key in topic_keys
        ]
    )
    for fan_out in fan_outs:
        tasks.fan_out_batch_enqueue(fan_out)
    return notifications, all(deliverer_for(step.channel).local for step in steps)


# Stage 2: topics and broadcasts, a batch at a time -----------------------------------------


def _fan_out_finish(fan_out: FanOut, status: str = FanOut.Status.DONE) -> None:
    fan_out.status, fan_out.finished_at = status, timezone.now()
    fan_out.save(update_fields=["status", "finished_at", "after_subscriber", "batches"])


def _actor_subscriber_id(trigger: Trigger) -> str | None:
    return (trigger.actor or {}).get("subscriberId")


def fan_out_batch(*, fan_out_id: int) -> None:
    """Stage 2: the next batch of the fan-out's subscribers. The actor of the trigger is left
    out of topics and broadcasts, as Novu leaves it out."""
    with transaction.atomic():
        fan_out = FanOut.objects.select_for_update().filter(pk=fan_out_id).first()
        if fan_out is None or fan_out.status != FanOut.Status.PENDING:
            return
        # One batch of a trigger at a time, and none after it was canceled.
        trigger = (
            Trigger.objects.select_for_update(of=LOCK_ONLY_THE_ROW)
            .select_related("environment")
            .get(pk=fan_out.trigger_id)
        )
        if trigger.status == Trigger.Status.CANCELED:
            _fan_out_finish(fan_out, FanOut.Status.CANCELED)
            return
        workflow = _active_workflow(trigger)
        if workflow is None:
            _trigger_failure(
                trigger,
                f"The workflow “{trigger.workflow_identifier}” was deleted or deactivated "
                "while its subscribers were being notified: the rest were not.",
            )
            _fan_out_finish(fan_out)
            return
        cursor = fan_out.after_subscriber
        if fan_out.is_broadcast:
            how = "reached by the broadcast"
            batch = list(Subscriber.objects.filter(pk__gt=cursor).order_by("pk")[:BATCH_SIZE])
        else:
            how = f"subscribed to the topic “{fan_out.topic_key}”"
            topic = Topic.objects.filter(key=fan_out.topic_key).first()
            if topic is None:
                _trigger_failure(
                    trigger,
                    f"There is no topic “{fan_out.topic_key}” in {trigger.environment.name}: "
                    "no one was notified through it.",
                    raw={"topicKey": fan_out.topic_key},
                )
                _fan_out_finish(fan_out)
                return
            batch = [
                subscription.subscriber
                for subscription in TopicSubscription.objects.filter(
                    topic=topic, subscriber_id__gt=cursor
                )
                .select_related("subscriber")
                .order_by("subscriber_id")[:BATCH_SIZE]
            ]
        fan_out.batches += 1
        if batch:
            fan_out.after_subscriber = batch[-1].pk
        if len(batch) == BATCH_SIZE:
            # Enqueued before this batch's deliveries, so the next batch runs beside them.
            tasks.fan_out_batch_enqueue(fan_out)
            fan_out.save(update_fields=["after_subscriber", "batches"])
        else:
            _fan_out_finish(fan_out)
        actor = _actor_subscriber_id(trigger)
        notifications = _notify(
            trigger=trigger,
            workflow=workflow,
            steps=_active_steps(workflow),
            recipients=[_Recipient(s, how) for s in batch if s.subscriber_id != actor],
        )
        _deliveries_enqueue(notifications, priority=tasks.FAN_OUT_PRIORITY)


# Stage 3: notifications' jobs ----------------------------------------------------------------


@dataclass
class _Delivery:
    """What the jobs of one delivery task need, read once for all its notifications: their
    workflows, steps, and the subscribers' choices."""

    workflows: dict = field(default_factory=dict)  # by origin id
    steps: dict = field(default_factory=dict)  # by origin id
    chosen: dict = field(default_factory=dict)  # by (subscriber pk, workflow pk)

    @classmethod
    def of(cls, notifications: list[Notification]) -> "_Delivery":
        workflows = {
            workflow.origin_id: workflow
            for workflow in Workflow.objects.filter(
                origin_id__in={n.workflow_origin_id for n in notifications}
            )
        }
        if not workflows:
            return cls()
        steps = Step.objects.filter(workflow__in=list(workflows.values())).select_related(
            "feed", "layout"
        )
        chosen = SubscriberPreference.objects.filter(
            workflow__in=list(workflows.values()),
            subscriber_id__in={n.subscriber_id for n in notifications},
        )
        return cls(
            workflows,
            {step.origin_id: step for step in steps},
            {(p.subscriber_id, p.workflow_id): p for p in chosen},
        )

    def skip_reason(self, notification: Notification, job: Job) -> str | None:
        workflow = self.workflows.get(notification.workflow_origin_id)
        if workflow is None:
            return "The workflow was deleted before the step ran."
        step = self.steps.get(job.step_origin_id)
        if step is None or step.workflow_id != workflow.pk:
            return "The step was removed from the workflow before it ran."
        if not step.active:
            return "The step was deactivated before it ran."
        preference = effective_preference(
            workflow=workflow, chosen=self.chosen.get((notification.subscriber_id, workflow.pk))
        )
        if not preference.enabled:
            return f"Step filtered by subscriber preferences: “{workflow.name}” is turned off."
        if not preference.channels.get(job.channel, True):
            label = Channel(job.channel).label
            return f"Step filtered by subscriber preferences: {label} is off for “{workflow.name}”."
        return None


def _job_close(job: Job, status: str, *, provider_id: str = "") -> None:
    job.status, job.updated_at = status, timezone.now()
    job.provider_id = provider_id or job.provider_id
    job.save(update_fields=["status", "updated_at", "provider_id"])


def _message_of(job: Job, step: Step, notification: Notification, rendered) -> Message:
    """The message of a rendered step, not stored yet."""
    in_app = job.channel == Channel.IN_APP
    feed = step.feed if in_app else None
    return Message(
        environment_id=notification.environment_id,
        notification=notification,
        job=job,
        subscriber_id=notification.subscriber_id,
        channel=job.channel,
        workflow_origin_id=notification.workflow_origin_id,
        workflow_identifier=notification.workflow_identifier,
        feed_origin_id=feed.origin_id if feed else None,
        feed_identifier=feed.identifier if feed else "",
        subject=rendered.subject,
        content=rendered.content,
        cta=rendered.cta(),
        payload=notification.trigger.payload if in_app else {},
    )


def _result_apply(
    job: Job, message: Message, result: DeliveryResult, notification: Notification
) -> ExecutionLog:
    """Record a delivery's outcome on the job and the message (storing the message if it is
    not yet); returns the log to save with them. A channel without an active integration (or a
    subscriber without an address for it) is a skipped step, not a failure: the message is kept,
    as a warning, to show what would have been sent."""
    sent = result.outcome is Outcome.SENT
    skipped = result.outcome is Outcome.NO_INTEGRATION
    if sent:
        message.status, job_status, stage, status = (
            Message.Status.SENT, Job.Status.COMPLETED, Stage.MESSAGE_SENT, Status.SUCCESS
        )  # fmt: skip
    elif skipped:
        message.status, job_status, stage, status = (
            Message.Status.WARNING, Job.Status.SKIPPED, Stage.STEP_FILTERED, Status.WARNING
        )  # fmt: skip
    else:
        message.status, job_status, stage, status = (
            Message.Status.ERROR, Job.Status.FAILED, Stage.FAILED, Status.FAILED
        )  # fmt: skip
    message.error_text = "" if sent else result.detail
    message.provider_id, message.updated_at = result.provider_id, timezone.now()
    if message.pk is None:
        Message.objects.bulk_create([message])
    else:
        message.save(update_fields=["status", "error_text", "provider_id", "updated_at"])
    _job_close(job, job_status, provider_id=result.provider_id)
    return _log(
        trigger=notification.trigger,
        notification=notification,
        job=job,
        message=message,
        stage=stage,
        status=status,
        source=ExecutionLog.Source.CREDENTIALS if skipped else ExecutionLog.Source.INTERNAL,
        detail=f"Skipped: {result.detail}" if skipped else result.detail,
        raw=result.raw or None,
        provider_id=result.provider_id,
    )


def _job_prepare(
    job: Job, notification: Notification, delivery: _Delivery
) -> tuple[Message | None, list[ExecutionLog]]:
    """Under the job's lock: skip it, fail it, or render its message (not stored yet, unless
    an earlier attempt stored it). None when the job is closed; with the logs to save."""
    trigger = notification.trigger
    common = {"trigger": trigger, "notification": notification, "job": job}
    reason = delivery.skip_reason(notification, job)
    if reason is not None:
        _job_close(job, Job.Status.SKIPPED)
        log = _log(**common, stage=Stage.STEP_FILTERED, status=Status.SUCCESS, detail=reason)
        return None, [log]
    if job.attempts:
        # Stored by an earlier attempt that the provider asked to retry: sent as it was.
        stored = Message.objects.filter(job=job).first()
        if stored is not None:
            return stored, []
    step = delivery.steps[job.step_origin_id]
    scope = render_scope(payload=trigger.payload, subscriber=notification.subscriber, step=step)
    try:
        rendered = step_render(step=step, scope=scope, strict=settings.ACTIVITY_STRICT_VARIABLES)
    except StepRenderFailed as failure:
        _job_close(job, Job.Status.FAILED)
        return None, [
            _log(
                **common,
                stage=Stage.FAILED,
                status=Status.FAILED,
                source=ExecutionLog.Source.PAYLOAD,
                detail=f"Message content could not be generated: {failure}",
                raw={"field": failure.field, "error": failure.message},
            )
        ]
    message = _message_of(job, step, notification, rendered)
    logs = [
        _log(
            **common,
            message=message,
            stage=Stage.MESSAGE_RENDERED,
            status=Status.SUCCESS,
            detail=f"Message rendered for {Channel(job.channel).label}.",
        )
    ]
    if rendered.cta_url_refusal:
        logs.append(
            _log(
                **common,
                message=message,
                stage=Stage.MESSAGE_RENDERED,
                status=Status.WARNING,
                source=ExecutionLog.Source.PAYLOAD,
                detail=f"The call-to-action URL was left out: {rendered.cta_url_refusal}",
                raw={"url": rendered.refused_cta_url[:2000]},
            )
        )
    return message, logs


def _notification_run(notification: Notification, delivery: _Delivery) -> bool:
    """Run the notification's pending jobs in step order, then settle its status. False when a
    job waits for a retry (its delivery task is enqueued again).

    Jobs are locked and advanced in one transaction, as far as the next job that needs a
    provider: that one is committed as ``sending`` and its provider called outside any
    transaction, then the rest go on. An in-app notification is one transaction."""
    while True:
        sending = None
        with transaction.atomic():
            logs = []
            pending = Job.objects.select_for_update().filter(
                notification=notification, status=Job.Status.PENDING
            )
            for job in pending.order_by("position", "id"):
                message, job_logs = _job_prepare(job, notification, delivery)
                logs += job_logs
                if message is None:
                    continue
                if deliverer_for(job.channel).local:
                    logs.append(_result_apply(job, message, deliver(message), notification))
                    continue
                if message.pk is None:
                    # Stored before the provider is called; confirmed by its answer.
                    message.status = Message.Status.WARNING
                    Message.objects.bulk_create([message])
                job.status, job.updated_at = Job.Status.SENDING, timezone.now()
                job.attempts += 1
                job.save(update_fields=["status", "updated_at", "attempts"])
                sending = (job, message)
                break
            ExecutionLog.objects.bulk_create(logs)
            if sending is None:
                notification_finish(notification)
                return True
        if not _job_send(*sending, notification):
            return False


def _job_send(job: Job, message: Message, notification: Notification) -> bool:
    """Call the provider for a job committed as ``sending``, then record its answer: one
    execution log per attempt. False when the provider refused in a way worth another try
    (``activity.retries``) and the job waits for it."""
    result = deliver(message)
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job.pk, status=Job.Status.SENDING).first()
        if job is None:
            return True  # recovery took it to be interrupted meanwhile
        now = timezone.now()
        retry_at = next_attempt_at(result, attempt=job.attempts, now=now)
        if retry_at is not None:
            _job_retry_later(job, message, result, notification, now=now, retry_at=retry_at)
            return False
        ExecutionLog.objects.bulk_create([_result_apply(job, message, result, notification)])
    return True


def _job_retry_later(
    job: Job,
    message: Message,
    result: DeliveryResult,
    notification: Notification,
    *,
    now,
    retry_at,
) -> None:
    """Back to ``pending``, with this attempt's log, and the notification's delivery enqueued
    again for ``retry_at``. The message stays stored and is sent as it is."""
    job.status, job.updated_at = Job.Status.PENDING, now
    job.save(update_fields=["status", "updated_at"])
    seconds = (retry_at - now).total_seconds()
    log = _log(
        trigger=notification.trigger,
        notification=notification,
        job=job,
        message=message,
        stage=Stage.RETRYING,
        status=Status.WARNING,
        detail=f"{result.detail} Trying again in {seconds:.0f} s (attempt {job.attempts} of "
        f"{settings.DELIVERY_MAX_ATTEMPTS}).",
        raw=result.raw or None,
        provider_id=result.provider_id,
        is_retry=True,
        created_at=now,
    )
    ExecutionLog.objects.bulk_create([log])
    tasks.notifications_deliver_enqueue(
        [notification], priority=tasks.DIRECT_PRIORITY, run_after=retry_at
    )


def notification_finish(notification: Notification) -> None:
    """Settle the notification's status once none of its jobs is pending or sending."""
    statuses = set(Job.objects.filter(notification=notification).values_list("status", flat=True))
    if statuses & {Job.Status.PENDING, Job.Status.SENDING}:
        return
    if Job.Status.FAILED in statuses:
        status = Notification.Status.FAILED
    elif statuses == {Job.Status.CANCELED}:
        status = Notification.Status.CANCELED
    else:
        status = Notification.Status.COMPLETED
    settled = Notification.objects.filter(
        pk=notification.pk, status=Notification.Status.PENDING
    ).update(status=status, finished_at=timezone.now())
    if settled and Job.Status.CANCELED in statuses:
        log = _log(
            trigger=notification.trigger,
            notification=notification,
            stage=Stage.CANCELED,
            status=Status.WARNING,
            detail="The trigger was canceled: the steps that had not run were not sent.",
        )
        ExecutionLog.objects.bulk_create([log])


def notifications_deliver(*, notification_ids: list[int]) -> None:
    """Stage 3: deliver each notification still pending, in order."""
    notifications = list(
        Notification.objects.select_related("trigger", "subscriber")
        .filter(pk__in=notification_ids, status=Notification.Status.PENDING)
        .order_by("pk")
    )
    if not notifications:
        return
    delivery = _Delivery.of(notifications)
    for notification in notifications:
        _notification_run(notification, delivery)


# Giving up ---------------------------------------------------------------------------------
# After ``activity.recovery`` enqueued a stage again as often as it will, the stage's remaining
# work fails with a log that says so, rather than waiting for ever.


def trigger_abandon(*, trigger_id: int, reason: str) -> None:
    """Give up the expansion, or the first chunk of deliveries that goes with it."""
    with transaction.atomic():
        trigger = Trigger.objects.select_for_update().filter(pk=trigger_id).first()
        if trigger is None:
            return
        if trigger.status == Trigger.Status.RECEIVED:
            trigger.status, trigger.processed_at = Trigger.Status.PROCESSED, timezone.now()
            trigger.save(update_fields=["status", "processed_at"])
            _trigger_failure(trigger, f"The trigger could not be processed: {reason}")
            return
    notifications_abandon(notification_ids=_first_chunk(trigger_id), reason=reason)


def fan_out_abandon(*, fan_out_id: int, reason: str) -> None:
    with transaction.atomic():
        fan_out = (
            FanOut.objects.select_for_update(of=LOCK_ONLY_THE_ROW)
            .select_related("trigger")
            .filter(pk=fan_out_id)
            .first()
        )
        if fan_out is None or fan_out.status != FanOut.Status.PENDING:
            return
        _fan_out_finish(fan_out)
        whom = f"the topic “{fan_out.topic_key}”" if fan_out.topic_key else "the broadcast"
        _trigger_failure(fan_out.trigger, f"Subscribers of {whom} were left un-notified: {reason}")


def notifications_abandon(*, notification_ids: list[int], reason: str) -> None:
    with transaction.atomic():
        notifications = Notification.objects.select_related("trigger").filter(
            pk__in=notification_ids, status=Notification.Status.PENDING
        )
        for notification in notifications:
            jobs = list(
                Job.objects.select_for_update().filter(
                    notification=notification, status=Job.Status.PENDING
                )
            )
            for job in jobs:
                _job_close(job, Job.Status.FAILED)
            ExecutionLog.objects.bulk_create(
                [
                    _log(
                        trigger=notification.trigger,
                        notification=notification,
                        job=job,
                        stage=Stage.FAILED,
                        status=Status.FAILED,
                        detail=f"The step could not be run: {reason}",
                    )
                    for job in jobs
                ]
            )
            notification_finish(notification)


def jobs_interrupted_fail(*, job_ids: list[int], reason: str) -> int:
    """Fail jobs still ``sending`` (their provider call was interrupted). Not sent again: the
    provider may have accepted the message. Returns how many were failed."""
    failed = 0
    for job_id in job_ids:
        with transaction.atomic():
            job = (
                Job.objects.select_for_update(of=LOCK_ONLY_THE_ROW)
                .filter(pk=job_id, status=Job.Status.SENDING)
                .select_related("notification__trigger")
                .first()
            )
            if job is None:
                continue
            _job_close(job, Job.Status.FAILED)
            message = Message.objects.filter(job=job).first()
            if message is not None:
                message.status, message.error_text = Message.Status.ERROR, reason
                message.save(update_fields=["status", "error_text"])
            log = _log(
                trigger=job.notification.trigger,
                notification=job.notification,
                job=job,
                message=message,
                stage=Stage.FAILED,
                status=Status.FAILED,
                detail=reason,
            )
            ExecutionLog.objects.bulk_create([log])
            notification_finish(job.notification)
            failed += 1
    return failed
