"""``/v1/notifications``: the Activity feed. Each notification comes with its workflow, its
subscriber, and its jobs (steps) with their execution details."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Query

from activity import selectors
from activity.models import Job, Notification
from activity.selectors import NotificationFilters, workflow_api_ids
from api.api import key_router
from api.pagination import page_of
from api.routers.execution_details import execution_detail_out
from api.schemas.activity import (
    GraphDayOut,
    GraphQuery,
    NotificationOut,
    NotificationPage,
    NotificationQuery,
    NotificationStats,
    refuse_repeated,
)
from api.schemas.common import ADMISSION_ERRORS, Envelope, Error
from workflows.models import Channel

router = key_router(tags=["Notifications"])

# Novu's job statuses: a job waiting for its provider is "running".
JOB_STATUS_NAMES = {Job.Status.SENDING: "running"}


def _text(value: str) -> str | None:
    return value or None


def _job_out(job: Job, *, notification: Notification, details: list[dict]) -> dict:
    return {
        "_id": str(job.public_id),
        "_notificationId": str(notification.public_id),
        "type": job.channel,
        "status": JOB_STATUS_NAMES.get(job.status, job.status),
        "providerId": _text(job.provider_id),
        "step": {
            "_id": str(job.step_origin_id),
            "name": job.step_name,
            "filters": [],
            "template": {"type": job.channel},
        },
        "executionDetails": details,
        "payload": notification.trigger.payload,
        "createdAt": job.created_at,
        "updatedAt": job.updated_at,
    }


def notification_out(notification: Notification, *, environment, workflow_ids: dict) -> dict:
    template_id = workflow_ids[notification.workflow_origin_id]
    subscriber = notification.subscriber
    details: dict = {}
    for log in notification.logs.all():
        detail = execution_detail_out(
            log, notification=notification, template_id=template_id, environment=environment
        )
        details.setdefault(log.job_public_id, []).append(detail)
    jobs = [
        _job_out(job, notification=notification, details=details.get(job.public_id, []))
        for job in notification.jobs.all()
    ]
    return {
        "_id": str(notification.public_id),
        "_environmentId": str(environment.pk),
        "_organizationId": str(environment.organization_id),
        "_templateId": template_id,
        "_subscriberId": str(subscriber.public_id),
        "transactionId": notification.trigger.transaction_id,
        "channels": notification.channels,
        "status": notification.status,
        "template": {
            "_id": template_id,
            "name": notification.workflow_name,
            "triggers": [
                {"type": "event", "identifier": notification.workflow_identifier, "variables": []}
            ],
        },
        "subscriber": {
            "_id": str(subscriber.public_id),
            "subscriberId": subscriber.subscriber_id,
            "email": _text(subscriber.email),
            "firstName": _text(subscriber.first_name),
            "lastName": _text(subscriber.last_name),
            "phone": _text(subscriber.phone),
        },
        "jobs": jobs,
        "createdAt": notification.created_at,
        "updatedAt": notification.finished_at or notification.created_at,
    }


def _listed(request, name: str) -> tuple[str, ...]:
    """Every value of ``name`` and ``name[]``: Novu's clients send either, repeated."""
    return tuple(request.GET.getlist(name) + request.GET.getlist(f"{name}[]"))


def _channels(request, query: NotificationQuery) -> tuple[str, ...]:
    bracketed = request.GET.getlist("channels[]")
    unknown = sorted(set(bracketed) - set(Channel.values))
    if unknown:
        raise ValidationError(
            {"channels[]": f"Unknown channel {unknown[0]}; use {', '.join(Channel.values)}."}
        )
    return (*query.channels, *bracketed)


@router.get(
    "",
    response={200: NotificationPage, 400: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="The Activity feed: notifications newest first",
)
def notification_list(request, query: Query[NotificationQuery]):
    refuse_repeated(request, NotificationQuery)
    filters = NotificationFilters(
        channels=_channels(request, query),
        workflows=_listed(request, "templates"),
        subscriber_ids=_listed(request, "subscriberIds"),
        emails=_listed(request, "emails"),
        transaction_id=query.transactionId,
        search=query.search or "",
    )
    page = page_of(
        selectors.notification_list(filters=filters),
        page=query.page,
        limit=query.limit,
        serialize=lambda notification: notification,
        count=False,
    )
    workflow_ids = workflow_api_ids(n.workflow_origin_id for n in page["data"])
    page["data"] = [
        notification_out(n, environment=request.environment, workflow_ids=workflow_ids)
        for n in page["data"]
    ]
    return page


@router.get(
    "/stats",
    response={200: Envelope[NotificationStats], **ADMISSION_ERRORS},
    summary="Notifications of the last 7 and 30 days",
)
def notification_stats(request):
    weekly, monthly = selectors.notification_stats(now=timezone.now())
    return {"data": {"weeklySent": weekly, "monthlySent": monthly}}


@router.get(
    "/graph/stats",
    response={200: Envelope[list[GraphDayOut]], 400: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="Notifications per day, with their workflows and channels",
)
def notification_graph_stats(request, query: Query[GraphQuery]):
    refuse_repeated(request, GraphQuery)
    days = selectors.notification_graph(days=query.days, now=timezone.now())
    workflow_ids = workflow_api_ids(o for day in days for o in day.workflow_origin_ids)
    return {
        "data": [
            {
                "_id": day.day,
                "count": day.count,
                "templates": [workflow_ids[o] for o in day.workflow_origin_ids],
                "channels": day.channels,
            }
            for day in days
        ]
    }


@router.get(
    "/{notification_id}",
    response={200: Envelope[NotificationOut], 404: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="One notification with its jobs and execution details",
)
def notification_get(request, notification_id: str):
    try:
        notification = selectors.notification_get(public_id=notification_id)
    except Notification.DoesNotExist as missing:
        raise Http404(f"Notification {notification_id} was not found.") from missing
    workflow_ids = workflow_api_ids([notification.workflow_origin_id])
    return {
        "data": notification_out(
            notification, environment=request.environment, workflow_ids=workflow_ids
        )
    }
