"""``/v1/events/trigger``: trigger a workflow, in bulk, as a broadcast; cancel a trigger.

The routes store the trigger and answer 201 at once; the pipeline expands and delivers it in the
task workers (``activity.pipeline``). A repeated transactionId is 409, and never a second
delivery; a workflow that is unknown or inactive is 422 ``trigger_not_active``.
"""

from django.http import Http404
from ninja import Status

from activity import selectors, triggers
from activity.models import Trigger
from activity.triggers import (
    SubscriberRecipient,
    TopicRecipient,
    TriggerNotActive,
    TriggerRequest,
)
from api.api import key_router
from api.errors import error_body
from api.schemas.activity import (
    BroadcastIn,
    BulkTriggerIn,
    RecipientIn,
    TriggerAck,
    TriggerIn,
    TriggerNotActiveError,
)
from api.schemas.common import ADMISSION_ERRORS, Envelope, Error
from subscribers.services import SubscriberProfile

router = key_router(tags=["Events"])

PROFILE_FIELDS = {
    "email": "email",
    "firstName": "first_name",
    "lastName": "last_name",
    "phone": "phone",
    "avatar": "avatar",
    "locale": "locale",
    "data": "data",
}


def _subscriber_of(value: str | RecipientIn) -> SubscriberRecipient:
    if isinstance(value, str):
        return SubscriberRecipient(subscriber_id=value)
    fields = {model: getattr(value, api) for api, model in PROFILE_FIELDS.items()}
    profile = SubscriberProfile(**fields)
    return SubscriberRecipient(
        subscriber_id=value.subscriberId or "", profile=profile if profile.changes() else None
    )


def _recipient_of(value: str | RecipientIn):
    if isinstance(value, RecipientIn) and (value.type == "Topic" or value.topicKey is not None):
        return TopicRecipient(topic_key=value.topicKey or "")
    return _subscriber_of(value)


def request_of(body: TriggerIn | BroadcastIn) -> TriggerRequest:
    to = getattr(body, "to", [])
    recipients = to if isinstance(to, list) else [to]
    return TriggerRequest(
        workflow_identifier=body.name,
        recipients=[_recipient_of(recipient) for recipient in recipients],
        payload=body.payload or {},
        overrides=body.overrides or {},
        transaction_id=body.transactionId,
        sender=_subscriber_of(body.actor) if body.actor is not None else None,
    )


def _acknowledged(trigger: Trigger) -> dict:
    return {"acknowledged": True, "status": "processed", "transactionId": trigger.transaction_id}


def _not_active(refusal: TriggerNotActive):
    return Status(422, {**error_body(422, str(refusal)), "status": refusal.status})


TRIGGER_RESPONSES = {
    201: Envelope[TriggerAck],
    400: Error,
    409: Error,
    422: TriggerNotActiveError,
    **ADMISSION_ERRORS,
}


@router.post("/trigger", response=TRIGGER_RESPONSES, summary="Trigger a workflow")
def trigger(request, body: TriggerIn):
    try:
        accepted = triggers.trigger_accept(
            environment=request.environment, request=request_of(body), actor=request.api_key
        )
    except TriggerNotActive as refusal:
        return _not_active(refusal)
    return Status(201, {"data": _acknowledged(accepted)})


@router.post(
    "/trigger/bulk",
    response={201: Envelope[list[TriggerAck]], 400: Error, **ADMISSION_ERRORS},
    summary="Trigger up to 100 workflows; each event is acknowledged or refused on its own",
)
def trigger_bulk(request, body: BulkTriggerIn):
    acknowledgements = triggers.triggers_accept_bulk(
        environment=request.environment,
        requests=[request_of(event) for event in body.events],
        actor=request.api_key,
    )
    return Status(
        201,
        {
            "data": [
                {
                    "acknowledged": ack.refusal_status is None,
                    "status": ack.refusal_status or "processed",
                    "transactionId": ack.transaction_id,
                    "error": [ack.refusal] if ack.refusal else None,
                }
                for ack in acknowledgements
            ]
        },
    )


@router.post(
    "/trigger/broadcast",
    response=TRIGGER_RESPONSES,
    summary="Trigger a workflow for every subscriber of the environment",
)
def trigger_broadcast(request, body: BroadcastIn):
    try:
        accepted = triggers.trigger_accept(
            environment=request.environment,
            request=request_of(body),
            actor=request.api_key,
            broadcast=True,
        )
    except TriggerNotActive as refusal:
        return _not_active(refusal)
    return Status(201, {"data": _acknowledged(accepted)})


@router.delete(
    "/trigger/{transaction_id}",
    response={200: Envelope[bool], 404: Error, **ADMISSION_ERRORS},
    summary="Cancel what a trigger has not sent yet; data says whether anything was canceled",
)
def trigger_cancel(request, transaction_id: str):
    try:
        trigger = selectors.trigger_get(transaction_id=transaction_id)
    except Trigger.DoesNotExist as missing:
        raise Http404(
            f"No trigger with the transactionId “{transaction_id}” in {request.environment.name}."
        ) from missing
    canceled = triggers.trigger_cancel(
        environment=request.environment, trigger=trigger, actor=request.api_key
    )
    return {"data": canceled}
