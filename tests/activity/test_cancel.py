"""DELETE /v1/events/trigger/{transactionId}: what has not run yet is not sent."""

import pytest

from activity import pipeline
from activity.models import ExecutionLog, FanOut, Job, Message, Notification, Trigger
from tests.activity.conftest import in_app_workflow, run_tasks, scoped
from tests.factories import SubscriberFactory, TopicFactory, TopicSubscriptionFactory


@pytest.fixture
def api(tenant, key_client):
    in_app_workflow(tenant.development)
    return key_client(tenant.development)


def test_canceled_before_it_was_expanded_nothing_is_sent(tenant, api):
    api.trigger("order-shipped", "ada", transactionId="tx")
    response = api.delete("/events/trigger/tx")
    assert response.status_code == 200
    assert response.json() == {"data": True}
    run_tasks()
    with scoped(tenant.development):
        assert Trigger.objects.get().status == "canceled"
        assert not Notification.objects.exists()
        assert ExecutionLog.objects.get().stage == "canceled"


def test_canceled_after_expansion_its_pending_jobs_are_canceled(tenant, api, monkeypatch):
    monkeypatch.setattr(pipeline, "DELIVERY_CHUNK", 1)
    api.trigger("order-shipped", ["ada", "bob", "cyd"], transactionId="tx")
    run_tasks(limit=1)  # expanded and delivered to ada; bob and cyd wait for their tasks
    assert api.delete("/events/trigger/tx").json() == {"data": True}
    run_tasks()
    with scoped(tenant.development):
        statuses = dict(Notification.objects.values_list("subscriber__subscriber_id", "status"))
        assert list(Message.objects.values_list("subscriber__subscriber_id", flat=True)) == ["ada"]
        assert (
            ExecutionLog.objects.filter(stage="canceled", notification__isnull=False).count() == 2
        )
        trigger_log = ExecutionLog.objects.get(stage="canceled", notification__isnull=True)
    assert statuses == {"ada": "completed", "bob": "canceled", "cyd": "canceled"}
    assert trigger_log.detail == "Canceled: 2 steps that had not run will not be sent."


def test_what_was_sent_stays_sent_and_a_second_cancel_cancels_nothing(tenant, api):
    api.trigger("order-shipped", "ada", transactionId="tx")
    run_tasks()
    assert api.delete("/events/trigger/tx").json() == {"data": False}
    with scoped(tenant.development):
        assert Job.objects.get().status == "completed"
        assert Notification.objects.get().status == "completed"
    assert api.delete("/events/trigger/tx").json() == {"data": False}


def test_a_canceled_topic_fan_out_stops_between_batches(tenant, api, monkeypatch):
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 1)
    topic = TopicFactory(environment=tenant.development, key="team")
    for subscriber_id in ("a", "b", "c"):
        TopicSubscriptionFactory(
            topic=topic,
            subscriber=SubscriberFactory(
                environment=tenant.development, subscriber_id=subscriber_id
            ),
        )
    api.trigger("order-shipped", {"type": "Topic", "topicKey": "team"}, transactionId="tx")
    run_tasks(limit=2)  # expansion, first batch
    api.delete("/events/trigger/tx")
    run_tasks()
    with scoped(tenant.development):
        assert Notification.objects.count() == 1
        assert FanOut.objects.get().status == "canceled"
        assert not Message.objects.exists()


def test_an_unknown_transaction_id_is_404(api):
    response = api.delete("/events/trigger/nothing-like-it")
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404
