"""A trigger is delivered once: whatever runs twice, raises, or dies half-way.

Crashes are simulated in-process: a task whose worker died is a task row left "running"; a
task that raised is one the worker recorded as failed. ``work_recover`` then puts the work back,
and what was sent stays sent once.
"""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from activity import delivery, pipeline, recovery
from activity.delivery import DeliveryResult
from activity.models import ExecutionLog, Job, Message, Notification, Trigger
from activity.tasks import trigger_expand_task
from tests.activity.conftest import in_app_workflow, in_process_worker, run_tasks, scoped
from tests.factories import StepFactory, WorkflowFactory
from workflows.models import Channel


@pytest.fixture
def api(tenant, key_client):
    in_app_workflow(tenant.development)
    return key_client(tenant.development)


def messages(environment) -> list[str]:
    with scoped(environment):
        return list(Message.objects.values_list("subscriber__subscriber_id", flat=True))


def claim_next_task() -> DBTaskResult:
    """A worker takes the next task and dies before finishing it."""
    task_row = DBTaskResult.objects.ready().first()
    task_row.claim("worker-that-died")
    return task_row


def later(minutes: int):
    return timezone.now() + timedelta(minutes=minutes)


def test_each_stage_run_twice_does_its_work_once(tenant, api):
    api.trigger("order-shipped", ["ada", "bob"], transactionId="twice")
    with scoped(tenant.development):
        trigger = Trigger.objects.get()
        pipeline.trigger_expand(trigger_id=trigger.pk)
        pipeline.trigger_expand(trigger_id=trigger.pk)
        ids = list(Notification.objects.values_list("pk", flat=True))
        pipeline.notifications_deliver(notification_ids=ids)
        pipeline.notifications_deliver(notification_ids=ids)
    run_tasks()  # the queued task of the same stage
    assert sorted(messages(tenant.development)) == ["ada", "bob"]
    with scoped(tenant.development):
        assert Notification.objects.count() == 2
        assert Job.objects.count() == 2


def test_a_worker_that_died_after_delivering_leaves_one_message(tenant, api):
    api.trigger("order-shipped", "ada")
    dead = claim_next_task()
    # The worker delivered (its transactions committed), then died before recording the task.
    with scoped(tenant.development):
        pipeline.trigger_expand(trigger_id=dead.args_kwargs["args"][1])

    report = recovery.work_recover(now=later(11))
    assert (report.requeued, report.abandoned) == (1, 0)
    dead.refresh_from_db()
    assert dead.status == "FAILED"
    assert dead.return_value == {
        "recovery": "requeued",
        "reason": "its worker stopped while running it",
    }
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    assert run_tasks() == 1
    assert messages(tenant.development) == ["ada"]
    assert recovery.work_recover(now=later(11)).handled == 0  # handled once


def test_a_worker_that_died_before_delivering_is_replaced_and_delivers_once(tenant, api):
    api.trigger("order-shipped", "ada")
    claim_next_task()  # dies at once: nothing committed
    assert messages(tenant.development) == []
    assert recovery.work_recover(now=timezone.now()).handled == 0  # still within its lease
    recovery.work_recover(now=later(11))
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_tasks()
    assert messages(tenant.development) == ["ada"]


def test_a_crash_inside_the_delivery_transaction_rolls_it_back_and_it_is_retried(
    tenant, api, monkeypatch
):
    api.trigger("order-shipped", "ada")
    original = pipeline._result_apply

    def crash_after_storing(*args, **kwargs):
        raise ConnectionError("the database went away")

    monkeypatch.setattr(pipeline, "_result_apply", crash_after_storing)
    task_row = DBTaskResult.objects.ready().first()
    task_row.claim("worker")
    in_process_worker("worker").run_task(task_row)
    task_row.refresh_from_db()
    assert task_row.status == "FAILED"
    with scoped(tenant.development):
        # In-app steps commit with their expansion: all of it was rolled back.
        assert Trigger.objects.get().status == "received"
        assert not Message.objects.exists() and not Notification.objects.exists()

    monkeypatch.setattr(pipeline, "_result_apply", original)
    assert recovery.work_recover().requeued == 1
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_tasks()
    assert messages(tenant.development) == ["ada"]


def test_a_job_interrupted_while_sending_is_failed_not_sent_again(tenant, key_client):
    calls = []

    def provider_call_then_worker_dies(message):
        calls.append(message.public_id)
        raise SystemExit("the worker was killed mid-call")

    workflow = WorkflowFactory(environment=tenant.development, identifier="mail")
    StepFactory(workflow=workflow, channel=Channel.EMAIL, subject="Hi", body="Body")
    key_client(tenant.development).trigger("mail", "ada")
    delivery.deliverer_register("email", provider_call_then_worker_dies)
    try:
        with scoped(tenant.development), pytest.raises(SystemExit):
            pipeline.trigger_expand(trigger_id=Trigger.objects.get().pk)
    finally:
        delivery.deliverer_unregister("email")
    with scoped(tenant.development):
        assert Job.objects.get().status == "sending"

    report = recovery.work_recover(now=later(16))
    assert report.interrupted == 1
    run_tasks()  # the queued expansion task finds nothing left to do
    assert len(calls) == 1
    with scoped(tenant.development):
        job = Job.objects.get()
        notification = Notification.objects.get()
        failure = ExecutionLog.objects.get(stage="failed")
    assert job.status == "failed" and notification.status == "failed"
    assert "may or may not have been sent, so it is not sent again" in failure.detail


def test_a_deliverer_that_raises_is_a_failure_and_is_not_called_again(tenant, key_client):
    calls = []

    def broken(message):
        calls.append(1)
        raise RuntimeError("socket closed")

    workflow = WorkflowFactory(environment=tenant.development, identifier="mail")
    StepFactory(workflow=workflow, channel=Channel.EMAIL, subject="Hi", body="Body")
    delivery.deliverer_register("email", broken)
    try:
        key_client(tenant.development).trigger("mail", "ada")
        run_tasks()
        recovery.work_recover(now=later(60))
        run_tasks()
    finally:
        delivery.deliverer_unregister("email")
    assert calls == [1]
    with scoped(tenant.development):
        assert Job.objects.get().status == "failed"
        assert "raised RuntimeError" in ExecutionLog.objects.get(stage="failed").detail


def always_fail_delivering(monkeypatch):
    def always_raises(*, notification_ids):
        raise ValueError("poison")

    monkeypatch.setattr(pipeline, "notifications_deliver", always_raises)
    worker = in_process_worker("worker")
    for _attempt in range(recovery.TASK_ATTEMPTS_MAX):
        task_row = DBTaskResult.objects.filter(status="READY").first()
        task_row.claim("worker")
        worker.run_task(task_row)
        recovery.work_recover()
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    assert not DBTaskResult.objects.filter(status="READY").exists()


GAVE_UP = "Herald tried 5 times, and it raised ValueError each time."


def test_an_expansion_that_always_fails_gives_up_with_a_log(tenant, api, monkeypatch):
    api.trigger("order-shipped", "ada")
    always_fail_delivering(monkeypatch)  # in-app: the expansion rolls back with it
    with scoped(tenant.development):
        trigger = Trigger.objects.get()
        failure = ExecutionLog.objects.get(stage="failed")
        assert not Notification.objects.exists()
    assert trigger.status == "processed"
    assert failure.detail == f"The trigger could not be processed: {GAVE_UP}"


def test_deliveries_that_always_fail_give_up_with_a_log(tenant, key_client, monkeypatch):
    workflow = WorkflowFactory(environment=tenant.development, identifier="mail")
    StepFactory(workflow=workflow, channel=Channel.EMAIL, subject="Hi", body="Body")
    key_client(tenant.development).trigger("mail", "ada")
    always_fail_delivering(monkeypatch)  # email: the expansion commits before delivering
    with scoped(tenant.development):
        job = Job.objects.get()
        failure = ExecutionLog.objects.get(stage="failed")
        notification = Notification.objects.get()
    assert job.status == "failed" and notification.status == "failed"
    assert failure.detail == f"The step could not be run: {GAVE_UP}"


def test_a_task_copy_keeps_its_priority_and_counts_its_attempts(tenant, api):
    api.trigger("order-shipped", "ada")
    dead = claim_next_task()
    recovery.work_recover(now=later(11))
    copy = DBTaskResult.objects.get(status="READY")
    assert copy.task_path == trigger_expand_task.module_path
    assert copy.priority == dead.priority
    assert copy.args_kwargs["kwargs"] == {"attempt": 1}
    assert copy.run_after > timezone.now()


def test_workers_sweep_for_dead_tasks_as_they_finish_tasks(tenant, api, settings, monkeypatch):
    swept = []
    monkeypatch.setattr(recovery, "work_recover", lambda **kwargs: swept.append(1))
    monkeypatch.setattr(recovery, "_last_sweep", [float("-inf")])
    settings.ACTIVITY_RECOVERY_SECONDS = 60
    api.trigger("order-shipped", ["ada", "bob"])
    api.trigger("order-shipped", "cyd")
    run_tasks()  # three tasks finish; one sweep a minute
    assert swept == [1]


def test_a_provider_retry_does_not_store_a_second_message(tenant, key_client):
    answers = [DeliveryResult.failed("Busy.", retry=True), DeliveryResult.sent("Accepted.")]
    delivery.deliverer_register("chat", lambda message: answers.pop(0))
    try:
        workflow = WorkflowFactory(environment=tenant.development, identifier="chat")
        StepFactory(workflow=workflow, channel=Channel.CHAT, body="Hello")
        key_client(tenant.development).trigger("chat", "ada")
        run_tasks()
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        run_tasks()
    finally:
        delivery.deliverer_unregister("chat")
    with scoped(tenant.development):
        assert Message.objects.get().status == "sent"
        assert Job.objects.get().status == "completed"


def test_the_recover_command_sweeps_when_no_worker_does(tenant, api, settings):
    api.trigger("order-shipped", "ada")
    dead = claim_next_task()
    DBTaskResult.objects.filter(pk=dead.pk).update(started_at=timezone.now() - timedelta(hours=1))
    output = io.StringIO()
    call_command("activity_recover", stdout=output)
    assert output.getvalue() == "1 tasks enqueued again, 0 given up, 0 interrupted jobs failed.\n"
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_tasks()
    assert messages(tenant.development) == ["ada"]
