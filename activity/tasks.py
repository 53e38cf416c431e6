"""The pipeline's tasks on ``django.tasks``, and how they are enqueued.

Each task takes ids (JSON), finds its environment, enters that environment's scope and runs one
stage of ``activity.pipeline``. Enqueuing writes a row of the task table in the caller's
transaction, so a task exists exactly when the state change that asked for it committed.

Priorities: triggers are expanded first, so acknowledged triggers turn into notifications
quickly; deliveries to the recipients a trigger names go before those of topic and broadcast
fan-outs, so one large broadcast does not hold up every other trigger behind it.

``attempt`` counts how often ``activity.recovery`` enqueued the task again after it failed or
its worker died.
"""

from django.tasks import task

from environments.models import Environment
from environments.scoping import environment_scope

EXPAND_PRIORITY = 10
DIRECT_PRIORITY = 0
FAN_OUT_PRIORITY = -10


def _scope_of(environment_id: str):
    environment = Environment.objects.filter(pk=environment_id).first()
    # An environment deleted meanwhile took its activity with it: nothing is left to do.
    return environment_scope(environment) if environment is not None else None


@task(priority=EXPAND_PRIORITY)
def trigger_expand_task(environment_id: str, trigger_id: int, attempt: int = 0) -> None:
    from activity import pipeline

    scope = _scope_of(environment_id)
    if scope is not None:
        with scope:
            pipeline.trigger_expand(trigger_id=trigger_id)


@task(priority=FAN_OUT_PRIORITY)
def fan_out_batch_task(environment_id: str, fan_out_id: int, attempt: int = 0) -> None:
    from activity import pipeline

    scope = _scope_of(environment_id)
    if scope is not None:
        with scope:
            pipeline.fan_out_batch(fan_out_id=fan_out_id)


@task
def notifications_deliver_task(
    environment_id: str, notification_ids: list[int], attempt: int = 0
) -> None:
    from activity import pipeline

    scope = _scope_of(environment_id)
    if scope is not None:
        with scope:
            pipeline.notifications_deliver(notification_ids=notification_ids)


def trigger_expand_enqueue(trigger) -> None:
    trigger_expand_task.enqueue(str(trigger.environment_id), trigger.pk)


def fan_out_batch_enqueue(fan_out) -> None:
    fan_out_batch_task.enqueue(str(fan_out.environment_id), fan_out.pk)


def notifications_deliver_enqueue(notifications, *, priority: int, run_after=None) -> None:
    """One task delivering these notifications (of one environment), in order."""
    notifications_deliver_task.using(priority=priority, run_after=run_after).enqueue(
        str(notifications[0].environment_id), [notification.pk for notification in notifications]
    )
