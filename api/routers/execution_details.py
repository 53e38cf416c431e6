"""``/v1/execution-details``: every stage of one notification's work, in order."""

import json

from django.http import Http404
from ninja import Query

from activity import selectors
from activity.models import ExecutionLog, Notification
from api.api import key_router
from api.schemas.activity import (
    ExecutionDetailOut,
    ExecutionDetailsQuery,
    refuse_repeated,
)
from api.schemas.common import ADMISSION_ERRORS, Envelope, Error

router = key_router(tags=["Execution details"])


def execution_detail_out(
    log: ExecutionLog, *, notification: Notification, template_id: str, environment
) -> dict:
    return {
        "_id": str(log.public_id),
        "_environmentId": str(environment.pk),
        "_organizationId": str(environment.organization_id),
        "_notificationId": str(notification.public_id),
        "_notificationTemplateId": template_id,
        "_subscriberId": str(notification.subscriber.public_id),
        "_jobId": str(log.job_public_id) if log.job_public_id else None,
        "_messageId": str(log.message_public_id) if log.message_public_id else None,
        "transactionId": notification.trigger.transaction_id,
        "channel": log.channel,
        "status": log.status,
        "source": log.source,
        "detail": log.detail,
        # Novu sends raw data as JSON text.
        "raw": json.dumps(log.raw) if log.raw is not None else None,
        "providerId": log.provider_id or None,
        "isTest": False,
        "isRetry": log.is_retry,
        "createdAt": log.created_at,
        "updatedAt": log.created_at,
    }


@router.get(
    "",
    response={200: Envelope[list[ExecutionDetailOut]], 400: Error, 404: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="The execution details of a notification",
)
def execution_details(request, query: Query[ExecutionDetailsQuery]):
    refuse_repeated(request, ExecutionDetailsQuery)
    try:
        logs = selectors.execution_log_list(
            notification_id=query.notificationId, subscriber_id=query.subscriberId
        )
    except Notification.DoesNotExist as missing:
        raise Http404(
            f"Notification {query.notificationId} of subscriber {query.subscriberId} was not found."
            if query.subscriberId
            else f"Notification {query.notificationId} was not found."
        ) from missing
    if not logs:
        return {"data": []}
    notification = logs[0].notification
    template_id = selectors.workflow_api_ids([notification.workflow_origin_id])[
        notification.workflow_origin_id
    ]
    return {
        "data": [
            execution_detail_out(
                log,
                notification=notification,
                template_id=template_id,
                environment=request.environment,
            )
            for log in logs
        ]
    }
