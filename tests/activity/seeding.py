"""One notification as the pipeline leaves it: seeded directly, since these tests read activity
and do not run the pipeline. Everything that needs a delivered notification calls
``notification_seed``; swapping its body for a real trigger (``POST /v1/events/trigger`` and the
worker) changes no test."""

import datetime

from django.utils import timezone

from activity.models import ExecutionLog, Job, Message, Notification
from subscribers.models import Subscriber
from tests.factories import (
    ExecutionLogFactory,
    JobFactory,
    MessageFactory,
    NotificationFactory,
    StepFactory,
    SubscriberFactory,
    TriggerFactory,
    WorkflowFactory,
)
from workflows.models import Channel, Workflow

EMAIL_HTML = "<html><body><h1>Welcome, Ada</h1><p>Your order <b>1042</b> shipped.</p></body></html>"


def _workflow(environment, identifier: str) -> Workflow:
    workflow = Workflow.unscoped_across_environments.filter(
        environment=environment, identifier=identifier
    ).first()
    if workflow is None:
        workflow = WorkflowFactory(
            environment=environment, identifier=identifier, name=identifier.title()
        )
        StepFactory(workflow=workflow, channel=Channel.IN_APP, name="In-app", position=0)
        StepFactory(workflow=workflow, channel=Channel.EMAIL, name="Email", position=1)
    return workflow


def _subscriber(environment, subscriber_id: str) -> Subscriber:
    return Subscriber.unscoped_across_environments.filter(
        environment=environment, subscriber_id=subscriber_id
    ).first() or SubscriberFactory(environment=environment, subscriber_id=subscriber_id)


def notification_seed(
    *,
    environment,
    subscriber_id: str = "ada",
    workflow_identifier: str = "welcome",
    payload: dict | None = None,
    in_app_content: str = "Your order 1042 shipped.",
    transaction_id: str | None = None,
    created_at: datetime.datetime | None = None,
    feed=None,
    email: bool = True,
    status: str = Notification.Status.COMPLETED,
) -> Notification:
    """A trigger of ``workflow_identifier`` for ``subscriber_id`` (both made when missing) that
    sent an in-app message (and an email), with the execution logs of every stage."""
    workflow = _workflow(environment, workflow_identifier)
    subscriber = _subscriber(environment, subscriber_id)
    created_at = created_at or timezone.now()
    payload = {"order": {"id": 1042, "status": "shipped"}} if payload is None else payload
    trigger_fields = {"transaction_id": transaction_id} if transaction_id else {}
    trigger = TriggerFactory(
        environment=environment,
        workflow_origin_id=workflow.origin_id,
        workflow_identifier=workflow.identifier,
        payload=payload,
        created_at=created_at,
        **trigger_fields,
    )
    channels = [Channel.IN_APP, Channel.EMAIL] if email else [Channel.IN_APP]
    notification = NotificationFactory(
        trigger=trigger,
        subscriber=subscriber,
        workflow_name=workflow.name,
        channels=[str(channel) for channel in channels],
        status=status,
        created_at=created_at,
    )
    ExecutionLogFactory(
        notification=None,
        trigger=trigger,
        environment=environment,
        stage=ExecutionLog.Stage.TRIGGER_RECEIVED,
        channel=ExecutionLog.TRIGGER_CHANNEL,
        detail="Trigger received",
        raw=payload,
        created_at=created_at,
    )
    ExecutionLogFactory(
        notification=notification,
        stage=ExecutionLog.Stage.SUBSCRIBER_RESOLVED,
        channel=ExecutionLog.TRIGGER_CHANNEL,
        detail=f"Subscriber {subscriber.subscriber_id} resolved",
        created_at=created_at,
    )
    steps = {
        step.channel: step for step in workflow.steps(manager="unscoped_across_environments").all()
    }
    for position, channel in enumerate(channels):
        job = JobFactory(
            notification=notification,
            step_origin_id=steps[channel].origin_id,
            step_name=steps[channel].name,
            channel=channel,
            position=position,
            status=Job.Status.COMPLETED,
            created_at=created_at,
        )
        message = MessageFactory(
            job=job,
            subject="Welcome, Ada" if channel == Channel.EMAIL else "",
            content=EMAIL_HTML if channel == Channel.EMAIL else in_app_content,
            cta={"type": "redirect", "data": {"url": "https://example.com/orders/1042"}}
            if channel == Channel.IN_APP
            else {},
            payload=payload if channel == Channel.IN_APP else {},
            feed_origin_id=feed.origin_id if feed and channel == Channel.IN_APP else None,
            feed_identifier=feed.identifier if feed and channel == Channel.IN_APP else "",
            status=Message.Status.SENT,
            created_at=created_at,
        )
        for stage, detail in (
            (ExecutionLog.Stage.MESSAGE_RENDERED, f"{steps[channel].name} rendered"),
            (ExecutionLog.Stage.MESSAGE_SENT, f"{steps[channel].name} sent"),
        ):
            ExecutionLogFactory(
                notification=notification,
                job_public_id=job.public_id,
                message_public_id=message.public_id,
                stage=stage,
                channel=channel,
                detail=detail,
                created_at=created_at,
            )
    return notification
