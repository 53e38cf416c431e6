"""``/v1/messages``: the messages the pipeline stored, newest first; delete one."""

from django.http import Http404
from ninja import Query

from activity import selectors, services
from activity.models import Message
from activity.selectors import workflow_api_ids
from api.api import key_router
from api.pagination import page_of
from api.schemas.activity import (
    MessageDeleted,
    MessagePage,
    MessageQuery,
    refuse_repeated,
)
from api.schemas.common import ADMISSION_ERRORS, Envelope, Error

router = key_router(tags=["Messages"])


def _text(value: str) -> str | None:
    return value or None


def message_out(message: Message, *, environment, workflow_ids: dict) -> dict:
    notification = message.notification
    return {
        "_id": str(message.public_id),
        "_environmentId": str(environment.pk),
        "_organizationId": str(environment.organization_id),
        "_notificationId": str(notification.public_id),
        "_subscriberId": str(message.subscriber.public_id),
        "_templateId": workflow_ids[message.workflow_origin_id],
        "_jobId": str(message.job.public_id),
        "_feedId": str(message.feed_origin_id) if message.feed_origin_id else None,
        "subscriberId": message.subscriber.subscriber_id,
        "templateIdentifier": message.workflow_identifier,
        "transactionId": notification.trigger.transaction_id,
        "channel": message.channel,
        "subject": _text(message.subject),
        "content": message.content,
        "cta": message.cta or {"type": None, "data": {}},
        "payload": message.payload,
        "seen": message.seen,
        "read": message.read,
        "lastSeenDate": message.last_seen_at,
        "lastReadDate": message.last_read_at,
        "status": message.status,
        "providerId": _text(message.provider_id),
        "errorText": _text(message.error_text),
        "deleted": False,
        "createdAt": message.created_at,
        "updatedAt": message.updated_at,
    }


@router.get(
    "",
    response={200: MessagePage, 400: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="List messages, newest first",
)
def message_list(request, query: Query[MessageQuery]):
    refuse_repeated(request, MessageQuery)
    messages = selectors.message_list(
        subscriber_id=query.subscriberId,
        channel=query.channel,
        transaction_id=query.transactionId,
    )
    page = page_of(messages, page=query.page, limit=query.limit, serialize=lambda m: m, count=False)
    workflow_ids = workflow_api_ids(message.workflow_origin_id for message in page["data"])
    page["data"] = [
        message_out(message, environment=request.environment, workflow_ids=workflow_ids)
        for message in page["data"]
    ]
    return page


@router.delete(
    "/{message_id}",
    response={200: Envelope[MessageDeleted], 404: Error, **ADMISSION_ERRORS},
    summary="Delete a message",
)
def message_delete(request, message_id: str):
    try:
        message = selectors.message_get(public_id=message_id)
    except Message.DoesNotExist as missing:
        raise Http404(f"Message {message_id} was not found.") from missing
    services.message_delete(message=message, actor=request.api_key)
    return {"data": {"acknowledged": True, "status": "deleted"}}
