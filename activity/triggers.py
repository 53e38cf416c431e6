"""Accepting triggers and canceling them.

A trigger is accepted in two statements, in one transaction: the ``Trigger`` row and the task
that expands it. Everything else (subscribers, notifications, rendering, delivery) happens in
the pipeline (``activity.pipeline``), so the API answers as soon as the trigger is stored.

Triggers are runtime data: an API key of the environment writes them in every environment,
Production included (``Write.RUNTIME``). Invalid input raises ``ValidationError`` keyed by the
API's field path (``to[2].email``); a repeated transactionId is a conflict (status 409); a
workflow that is unknown or inactive raises ``TriggerNotActive``.
"""

import json
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone

from activity import tasks
from activity.models import (
    TRANSACTION_ID_MAX_LENGTH,
    ExecutionLog,
    FanOut,
    Job,
    Notification,
    Trigger,
)
from environments import policy
from environments.models import ApiKey, Environment
from environments.policy import Write
from subscribers.models import (
    TOPIC_KEY_MAX_LENGTH,
    Subscriber,
    is_storable_text,
    validate_topic_key,
)
from subscribers.services import SubscriberProfile, conflict, subscriber_id_problem
from workflows.models import Workflow

# Recipients one request may name: subscriber IDs and topics (which fan out in the pipeline).
RECIPIENTS_MAX = 100
EVENTS_PER_BULK_MAX = 100
# The payload is rendered into every message and kept on in-app ones; 64 KB of JSON is far
# beyond a notification's needs and bounds what a trigger can cost.
PAYLOAD_MAX_BYTES = 64 * 1024
PAYLOAD_MAX_DEPTH = 16
OVERRIDES_MAX_BYTES = 16 * 1024

# Model field -> the name Novu's clients send.
PROFILE_API_NAMES = {
    "email": "email",
    "first_name": "firstName",
    "last_name": "lastName",
    "phone": "phone",
    "avatar": "avatar",
    "locale": "locale",
    "data": "data",
}


class TriggerNotActive(Exception):
    """No active workflow has this trigger identifier here (Novu: ``trigger_not_active``)."""

    status = "trigger_not_active"

    def __init__(self, *, identifier: str, environment: Environment):
        super().__init__(
            f"Workflow “{identifier}” is not active in {environment.name}, or does not exist "
            "there: nothing was triggered."
        )


@dataclass(frozen=True)
class SubscriberRecipient:
    subscriber_id: str
    # Fields to create the subscriber with, or to update it with; None: the ID only.
    profile: SubscriberProfile | None = None

    def as_json(self) -> dict:
        recipient: dict = {"subscriberId": self.subscriber_id}
        changes = self.profile.changes() if self.profile else {}
        if changes:
            recipient["profile"] = changes
        return recipient


@dataclass(frozen=True)
class TopicRecipient:
    topic_key: str

    def as_json(self) -> dict:
        return {"type": "Topic", "topicKey": self.topic_key}


Recipient = SubscriberRecipient | TopicRecipient


@dataclass(frozen=True)
class TriggerRequest:
    """One trigger as a backend sends it (Novu's body, parsed)."""

    workflow_identifier: str
    recipients: list[Recipient]
    payload: dict
    overrides: dict
    transaction_id: str | None = None
    # Novu's `actor`: the subscriber the notification is from (shown as its avatar).
    sender: SubscriberRecipient | None = None


# Validation -----------------------------------------------------------------------------------


def _json_problem(value, *, max_bytes: int, max_depth: int) -> str | None:
    """Why ``value`` (decoded JSON) is too big, too deep or not storable, or None."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, str) and not is_storable_text(current):
            return "Remove the NUL characters or unpaired surrogates from its text."
        if isinstance(current, dict | list):
            deepest = max(deepest, depth)
            if deepest > max_depth:
                return f"Nest at most {max_depth} levels deep."
            if isinstance(current, dict):
                if not all(is_storable_text(str(key)) for key in current):
                    return "Remove the NUL characters or unpaired surrogates from its keys."
                pending.extend((child, depth + 1) for child in current.values())
            else:
                pending.extend((child, depth + 1) for child in current)
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > max_bytes:
        return f"Keep it under {max_bytes // 1024} KB of JSON (this is {size:,} bytes)."
    return None


def _profile_errors(profile: SubscriberProfile, *, at: str) -> dict[str, list[str]]:
    """The model's own validation of the profile fields, keyed by API path."""
    candidate = Subscriber(subscriber_id="candidate", **profile.changes())
    try:
        candidate.full_clean(
            exclude=["environment", "subscriber_id"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as invalid:
        return {
            f"{at}.{PROFILE_API_NAMES.get(name, name)}": messages
            for name, messages in invalid.message_dict.items()
        }
    return {}


def _recipient_errors(recipient: Recipient, *, at: str) -> dict[str, list[str]]:
    if isinstance(recipient, TopicRecipient):
        key = recipient.topic_key
        if not key or len(key) > TOPIC_KEY_MAX_LENGTH:
            return {f"{at}.topicKey": [f"Send the topic's key (1 to {TOPIC_KEY_MAX_LENGTH})."]}
        try:
            validate_topic_key(key)
        except ValidationError as invalid:
            return {f"{at}.topicKey": invalid.messages}
        return {}
    problem = subscriber_id_problem(recipient.subscriber_id)
    errors = {f"{at}.subscriberId": [problem]} if problem else {}
    if recipient.profile is not None:
        errors |= _profile_errors(recipient.profile, at=at)
    return errors


def _transaction_id_problem(transaction_id: str) -> str | None:
    if not transaction_id.strip() or len(transaction_id) > TRANSACTION_ID_MAX_LENGTH:
        return f"Send 1 to {TRANSACTION_ID_MAX_LENGTH} characters."
    if not is_storable_text(transaction_id) or any(c < " " for c in transaction_id):
        return "Use printable characters only."
    if "/" in transaction_id:
        # It appears in the cancel URL.
        return "Use a transactionId without slashes."
    return None


def trigger_request_validate(request: TriggerRequest, *, broadcast: bool = False) -> None:
    """Raise ``ValidationError`` keyed by API path for everything wrong with ``request``."""
    errors: dict[str, list[str]] = {}
    if not broadcast and not request.recipients:
        errors["to"] = ["Name at least one subscriber or topic."]
    if len(request.recipients) > RECIPIENTS_MAX:
        errors["to"] = [
            f"Name at most {RECIPIENTS_MAX} subscribers and topics in one trigger (this names "
            f"{len(request.recipients)}); topics reach all their subscribers."
        ]
    else:
        for index, recipient in enumerate(request.recipients):
            errors |= _recipient_errors(recipient, at=f"to[{index}]")
    if request.sender is not None:
        errors |= _recipient_errors(request.sender, at="actor")
    for name, value, max_bytes, max_depth in (
        ("payload", request.payload, PAYLOAD_MAX_BYTES, PAYLOAD_MAX_DEPTH),
        ("overrides", request.overrides, OVERRIDES_MAX_BYTES, PAYLOAD_MAX_DEPTH),
    ):
        if not isinstance(value, dict):
            errors[name] = ["Send a JSON object."]
            continue
        problem = _json_problem(value, max_bytes=max_bytes, max_depth=max_depth)
        if problem:
            errors[name] = [problem]
    if request.transaction_id is not None:
        problem = _transaction_id_problem(request.transaction_id)
        if problem:
            errors["transactionId"] = [problem]
    if errors:
        raise ValidationError(errors)


# Triggers -------------------------------------------------------------------------------------


def _active_workflow_origin(identifier: str) -> Subquery:
    """The origin of the active workflow ``identifier`` of the scope, as a subquery: NULL when
    there is none."""
    return Subquery(
        Workflow.objects.filter(identifier=identifier, active=True)
        .order_by()
        .values("origin_id")[:1]
    )


def _trigger_store(
    *, environment: Environment, request: TriggerRequest, kind: str, actor
) -> Trigger:
    """Store the trigger and its expansion task, in one transaction (on PostgreSQL, one
    statement: ``tasks.trigger_insert_and_enqueue``).

    The workflow is looked up inside the INSERT, which saves the hot path a round trip: with no
    active workflow its origin is NULL and the insert is refused. Only then is the workflow
    looked up on its own, to tell that refusal (422) from a repeated transactionId (409).
    """
    transaction_id = request.transaction_id or uuid.uuid4().hex
    identifier = request.workflow_identifier
    if not is_storable_text(identifier):
        raise TriggerNotActive(identifier=identifier, environment=environment)
    fields = {
        "environment": environment,
        "transaction_id": transaction_id,
        "kind": kind,
        "workflow_identifier": identifier,
        "recipients": [recipient.as_json() for recipient in request.recipients],
        "payload": request.payload,
        "overrides": request.overrides,
        "actor": request.sender.as_json() if request.sender else None,
        "api_key": actor if isinstance(actor, ApiKey) else None,
    }
    try:
        trigger = Trigger(**fields)
        if not tasks.trigger_insert_and_enqueue(trigger):
            with transaction.atomic():
                trigger = Trigger.objects.create(
                    workflow_origin_id=_active_workflow_origin(identifier), **fields
                )
                tasks.trigger_expand_enqueue(trigger)
    except IntegrityError as refused:
        if not Workflow.objects.filter(identifier=identifier, active=True).exists():
            raise TriggerNotActive(identifier=identifier, environment=environment) from refused
        raise conflict(
            "transactionId",
            f"The transactionId “{transaction_id}” was already used in {environment.name}. A "
            "trigger is delivered once: send a new transactionId for a new trigger.",
        ) from refused
    return trigger


def trigger_accept(
    *, environment: Environment, request: TriggerRequest, actor, broadcast: bool = False
) -> Trigger:
    """Store the trigger and enqueue its expansion; the pipeline does the rest.

    A broadcast names no recipients: it reaches every subscriber of the environment.
    """
    policy.require(Write.RUNTIME, environment=environment, actor=actor)
    trigger_request_validate(request, broadcast=broadcast)
    kind = Trigger.Kind.BROADCAST if broadcast else Trigger.Kind.EVENT
    return _trigger_store(environment=environment, request=request, kind=kind, actor=actor)


@dataclass(frozen=True)
class BulkAcknowledgement:
    transaction_id: str
    # None when accepted; otherwise Novu's status and why.
    refusal_status: str | None = None
    refusal: str = ""


def triggers_accept_bulk(
    *, environment: Environment, requests: list[TriggerRequest], actor
) -> list[BulkAcknowledgement]:
    """Accept up to EVENTS_PER_BULK_MAX triggers, each on its own: one whose workflow is not
    active, or whose transactionId was used, is refused in its acknowledgement while the others
    are accepted. Invalid input refuses the whole request (keyed ``events[i].…``)."""
    policy.require(Write.RUNTIME, environment=environment, actor=actor)
    if len(requests) > EVENTS_PER_BULK_MAX:
        raise ValidationError({"events": f"Send at most {EVENTS_PER_BULK_MAX} events at a time."})
    errors = {}
    for index, request in enumerate(requests):
        try:
            trigger_request_validate(request)
        except ValidationError as invalid:
            errors |= {
                f"events[{index}].{key}": value for key, value in invalid.message_dict.items()
            }
    if errors:
        raise ValidationError(errors)
    acknowledgements = []
    for request in requests:
        try:
            trigger = _trigger_store(
                environment=environment, request=request, kind=Trigger.Kind.EVENT, actor=actor
            )
        except TriggerNotActive as inactive:
            acknowledgements.append(
                BulkAcknowledgement(request.transaction_id or "", inactive.status, str(inactive))
            )
        except ValidationError as clash:
            acknowledgements.append(
                BulkAcknowledgement(request.transaction_id or "", "error", " ".join(clash.messages))
            )
        else:
            acknowledgements.append(BulkAcknowledgement(trigger.transaction_id))
    return acknowledgements


@transaction.atomic
def trigger_cancel(*, environment: Environment, trigger: Trigger, actor) -> bool:
    """Cancel what the trigger has not done yet: its expansion, its fan-outs' remaining
    batches and its jobs still pending. Jobs already sent (or being sent) are left as they are.
    Returns whether anything was canceled."""
    policy.require(Write.RUNTIME, environment=environment, actor=actor)
    trigger = Trigger.objects.select_for_update().get(pk=trigger.pk)
    if trigger.status == Trigger.Status.CANCELED:
        return False
    now = timezone.now()
    expansion = trigger.status == Trigger.Status.RECEIVED
    trigger.status = Trigger.Status.CANCELED
    trigger.processed_at = trigger.processed_at or now
    trigger.save(update_fields=["status", "processed_at"])
    fan_outs = FanOut.objects.filter(trigger=trigger, status=FanOut.Status.PENDING).update(
        status=FanOut.Status.CANCELED, finished_at=now
    )
    # The status is a condition on the job row itself, so a job a worker holds locked is
    # re-checked after the worker commits: one it sent meanwhile is not marked canceled.
    jobs = Job.objects.filter(
        status=Job.Status.PENDING,
        notification_id__in=Notification.objects.filter(trigger=trigger).values("pk"),
    ).update(status=Job.Status.CANCELED, updated_at=now)
    canceled = expansion or fan_outs > 0 or jobs > 0
    detail = (
        f"Canceled: {jobs} step{'s' if jobs != 1 else ''} that had not run will not be sent."
        if canceled
        else "Cancel asked for, but every step had already run."
    )
    ExecutionLog.objects.create(
        trigger=trigger,
        stage=ExecutionLog.Stage.CANCELED,
        channel=ExecutionLog.TRIGGER_CHANNEL,
        status=ExecutionLog.Status.WARNING,
        detail=detail,
        raw={"jobs": jobs, "fanOuts": fan_outs, "beforeExpansion": expansion},
    )
    return canceled
