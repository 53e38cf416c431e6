"""activity_prune deletes activity older than ACTIVITY_RETENTION_DAYS, in bounded batches by
primary key, in every environment, and leaves newer activity alone."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activity.models import ExecutionLog, FanOut, Job, Message, Notification, Trigger
from activity.retention import activity_prune
from tests.activity.conftest import in_app_workflow, run_tasks, scoped

MODELS = (Trigger, Notification, Job, Message, ExecutionLog)


def age(environment, transaction_ids, days):
    """Make the activity of these triggers ``days`` old."""
    moment = timezone.now() - timedelta(days=days)
    with scoped(environment):
        triggers = Trigger.objects.filter(transaction_id__in=transaction_ids)
        notifications = Notification.objects.filter(trigger__in=triggers)
        triggers.update(created_at=moment)
        ExecutionLog.objects.filter(trigger__in=triggers).update(created_at=moment)
        Message.objects.filter(notification__in=notifications).update(created_at=moment)
        Job.objects.filter(notification__in=notifications).update(created_at=moment)
        notifications.update(created_at=moment)


@pytest.fixture
def activity(tenant, other_tenant, key_client):
    """Three old triggers in each of two environments, then two recent ones in each. Rows are
    numbered in the order they are made, old ones first, as in life."""
    environments = (tenant.development, other_tenant.production)
    clients = {}
    for environment in environments:
        in_app_workflow(environment)
        clients[environment.pk] = key_client(environment)
    for transaction_ids, days in ((["t0", "t1", "t2"], 40), (["t3", "t4"], 0)):
        for environment in environments:
            for transaction_id in transaction_ids:
                clients[environment.pk].trigger(
                    "order-shipped", ["ada", "bob"], transactionId=transaction_id
                )
        run_tasks()
        if days:
            for environment in environments:
                age(environment, transaction_ids, days=days)


def counts(environment):
    with scoped(environment):
        return {model.__name__: model.objects.count() for model in MODELS}


def test_old_activity_goes_and_recent_activity_stays_everywhere(
    activity, tenant, other_tenant, settings
):
    settings.ACTIVITY_RETENTION_DAYS = 30
    output = io.StringIO()
    call_command("activity_prune", "--batch-size", "3", stdout=output)
    assert "Trigger: 6 deleted" in output.getvalue()
    for environment in (tenant.development, other_tenant.production):
        assert counts(environment) == {
            "Trigger": 2,
            "Notification": 4,
            "Job": 4,
            "Message": 4,
            "ExecutionLog": 16,
        }
        with scoped(environment):
            assert sorted(Trigger.objects.values_list("transaction_id", flat=True)) == ["t3", "t4"]


def test_each_statement_deletes_a_bounded_range_of_keys(activity):
    with CaptureQueriesContext(connection) as queries:
        activity_prune(older_than=timezone.now() - timedelta(days=30), batch_size=4)
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert deletes, "nothing was deleted"
    for sql in deletes:
        # Every DELETE is bounded by a primary-key range or by the keys of a bounded batch.
        assert (" >= " in sql and " < " in sql) or " IN (" in sql, sql


def test_nothing_old_deletes_nothing(tenant, key_client):
    in_app_workflow(tenant.development)
    key_client(tenant.development).trigger("order-shipped", "ada")
    run_tasks()
    report = activity_prune(older_than=timezone.now() - timedelta(days=1))
    assert set(report.values()) == {0}
    assert counts(tenant.development)["Message"] == 1


def test_fan_outs_go_with_their_trigger(tenant, key_client):
    in_app_workflow(tenant.development)
    key_client(tenant.development).trigger(
        "order-shipped", {"type": "Topic", "topicKey": "none"}, transactionId="old"
    )
    run_tasks()
    age(tenant.development, ["old"], days=40)
    activity_prune(older_than=timezone.now() - timedelta(days=30))
    with scoped(tenant.development):
        assert not FanOut.objects.exists()
        assert not Trigger.objects.exists()
