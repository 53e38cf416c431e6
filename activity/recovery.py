"""Pipeline work whose task died is put back in the queue, a bounded number of times.

django-tasks-db runs each task once. A task that raises is recorded as failed; one whose worker
process dies (killed, out of memory, the machine gone) stays "running" for ever. Either way the
pipeline rows it was advancing stay unfinished. ``work_recover`` finds them:

- A pipeline task that failed, or has been running longer than ``TASK_LEASE``, is enqueued again
  (a copy of it, with ``attempt + 1``, after a growing delay), and the old task row is marked so
  that it is handled once. After ``TASK_ATTEMPTS_MAX`` attempts the stage gives up instead: its
  remaining work fails with an execution log saying why, so a trigger that always crashes its
  worker cannot occupy the workers for ever.
- A job ``sending`` for longer than ``SENDING_LEASE`` is failed: its provider call was
  interrupted, and the provider may have accepted the message, so it is not sent again.

Every stage is idempotent (see ``activity.pipeline``): a copy of a task that was in fact still
running waits for the row lock and finds its work done.

It runs from ``manage.py activity_recover`` (cron, or ``--every 60``), and in every worker after
a task finishes, at most once every ``ACTIVITY_RECOVERY_SECONDS`` per process: workers recover
each other's work while triggers flow.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.tasks import Task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from activity import pipeline, tasks
from activity.models import Job
from environments.models import Environment
from environments.scoping import environment_scope

logger = logging.getLogger(__name__)

TASK_LEASE = timedelta(minutes=10)
TASK_ATTEMPTS_MAX = 5
RETRY_DELAYS = (timedelta(seconds=10), timedelta(minutes=1), timedelta(minutes=5))
# Rows handled per sweep.
SWEEP_SIZE = 200

RUNNING, FAILED = "RUNNING", "FAILED"


@dataclass(frozen=True)
class _Stage:
    task: Task
    # The name of the id the task takes after the environment's.
    object_argument: str
    abandon: Callable[..., None]


_STAGES = {
    stage.task.module_path: stage
    for stage in (
        _Stage(tasks.trigger_expand_task, "trigger_id", pipeline.trigger_abandon),
        _Stage(tasks.fan_out_batch_task, "fan_out_id", pipeline.fan_out_abandon),
        _Stage(
            tasks.notifications_deliver_task, "notification_ids", pipeline.notifications_abandon
        ),
    )
}


class WorkerLost(Exception):
    """Recorded on a task whose worker stopped while running it."""


@dataclass
class RecoveryReport:
    requeued: int = 0
    abandoned: int = 0
    interrupted: int = 0

    @property
    def handled(self) -> int:
        return self.requeued + self.abandoned + self.interrupted


def _arguments(task_row: DBTaskResult, stage: _Stage) -> tuple[str, int, int]:
    """(environment id, object id, attempt) of a pipeline task, however it was called."""
    names = ("environment_id", stage.object_argument, "attempt")
    values = dict(zip(names, task_row.args_kwargs["args"], strict=False))
    values |= task_row.args_kwargs["kwargs"]
    return values["environment_id"], values[stage.object_argument], values.get("attempt", 0)


def _why(task_row: DBTaskResult) -> str:
    if task_row.status == RUNNING:
        return "its worker stopped while running it"
    exception = task_row.exception_class_path.rpartition(".")[2] or "an error"
    return f"it raised {exception}"


def _recover_task(task_row: DBTaskResult, *, now) -> str:
    """Enqueue one dead task again, or give its stage up: "requeued", "abandoned", or "" when
    another sweep handled it first."""
    stage = _STAGES[task_row.task_path]
    environment_id, object_id, attempt = _arguments(task_row, stage)
    why = _why(task_row)
    gave_up = attempt + 1 >= TASK_ATTEMPTS_MAX
    with transaction.atomic():
        # The old row is handled once, whichever sweep claims it first.
        claimed = DBTaskResult.objects.filter(
            pk=task_row.pk, status=task_row.status, return_value__isnull=True
        ).update(
            status=FAILED,
            return_value={"recovery": "abandoned" if gave_up else "requeued", "reason": why},
            finished_at=task_row.finished_at or now,
            exception_class_path=task_row.exception_class_path
            or f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback=task_row.traceback
            or f"The worker running this task stopped: it started at {task_row.started_at} "
            f"and had not finished {TASK_LEASE} later.",
        )
        if not claimed:
            return ""
        if not gave_up:
            delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
            stage.task.using(priority=task_row.priority, run_after=now + delay).enqueue(
                environment_id, object_id, attempt=attempt + 1
            )
            return "requeued"
        environment = Environment.objects.filter(pk=environment_id).first()
        if environment is not None:
            reason = f"Herald tried {TASK_ATTEMPTS_MAX} times, and {why} each time."
            with environment_scope(environment):
                stage.abandon(**{stage.object_argument: object_id, "reason": reason})
    return "abandoned"


def _dead_tasks(*, now) -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path__in=list(_STAGES), return_value__isnull=True)
        .filter(Q(status=FAILED) | Q(status=RUNNING, started_at__lt=now - TASK_LEASE))
        .order_by("started_at")[:SWEEP_SIZE]
    )


def _interrupted_jobs(*, now) -> dict[str, list[int]]:
    """Ids of jobs sending since before the lease, by environment (maintenance: every
    environment is swept, each job then handled in its own environment's scope)."""
    stuck = (
        Job.unscoped_across_environments.filter(
            status=Job.Status.SENDING, updated_at__lt=now - pipeline.SENDING_LEASE
        )
        .values_list("environment_id", "pk")
        .order_by()[:SWEEP_SIZE]
    )
    by_environment: dict[str, list[int]] = {}
    for environment_id, job_id in stuck:
        by_environment.setdefault(str(environment_id), []).append(job_id)
    return by_environment


def work_recover(*, now=None) -> RecoveryReport:
    """One sweep. Safe to run from several processes at once."""
    now = now or timezone.now()
    report = RecoveryReport()
    for task_row in _dead_tasks(now=now):
        done = _recover_task(task_row, now=now)
        report.requeued += done == "requeued"
        report.abandoned += done == "abandoned"
    for environment_id, job_ids in _interrupted_jobs(now=now).items():
        environment = Environment.objects.get(pk=environment_id)
        with environment_scope(environment):
            report.interrupted += pipeline.jobs_interrupted_fail(
                job_ids=job_ids,
                reason="The worker stopped while the provider was being called. The message "
                "may or may not have been sent, so it is not sent again.",
            )
    if report.handled:
        logger.warning(
            "Activity recovery: %s tasks enqueued again, %s given up, %s interrupted jobs failed",
            report.requeued,
            report.abandoned,
            report.interrupted,
        )
    return report


_last_sweep = [float("-inf")]


def work_recover_now_and_then(**kwargs) -> None:
    """After a task finished in a worker: sweep, at most once every
    ``settings.ACTIVITY_RECOVERY_SECONDS`` in this process (0 turns it off). Never raises: the
    task that just finished keeps its result."""
    interval = settings.ACTIVITY_RECOVERY_SECONDS
    if not interval or time.monotonic() - _last_sweep[0] < interval:
        return
    _last_sweep[0] = time.monotonic()
    try:
        work_recover()
    except Exception:
        logger.exception("Activity recovery failed; the next sweep tries again")
