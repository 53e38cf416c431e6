"""Activity belongs to the environment whose key made it: a key of another environment, or of
another organization, sees none of it, and its ids answer 404."""

import pytest

from activity.models import Message, Notification
from tests.activity.conftest import in_app_workflow, run_tasks, scoped


@pytest.fixture
def delivered(tenant, key_client):
    in_app_workflow(tenant.development)
    development = key_client(tenant.development)
    development.trigger("order-shipped", "ada", payload={"order": {"id": 1}}, transactionId="tx")
    run_tasks()
    with scoped(tenant.development):
        message = Message.objects.get()
        notification = Notification.objects.get()
    return development, message, notification


def outsiders(tenant, other_tenant, key_client):
    return [
        key_client(tenant.production),
        key_client(other_tenant.development),
        key_client(other_tenant.production),
    ]


def test_other_environments_and_organizations_list_nothing(
    delivered, tenant, other_tenant, key_client
):
    development, _message, _notification = delivered
    assert len(development.get("/messages").json()["data"]) == 1
    for outsider in outsiders(tenant, other_tenant, key_client):
        assert outsider.get("/messages").json()["data"] == []
        assert outsider.get("/messages", {"transactionId": "tx"}).json()["data"] == []
        assert outsider.get("/notifications").json()["data"] == []
        assert outsider.get("/notifications", {"transactionId": "tx"}).json()["data"] == []
        assert outsider.get("/notifications/stats").json() == {
            "data": {"weeklySent": 0, "monthlySent": 0}
        }
        assert outsider.get("/notifications/graph/stats").json() == {"data": []}


def test_their_ids_answer_404_elsewhere(delivered, tenant, other_tenant, key_client):
    _development, message, notification = delivered
    for outsider in outsiders(tenant, other_tenant, key_client):
        assert outsider.get(f"/notifications/{notification.public_id}").status_code == 404
        assert outsider.delete(f"/messages/{message.public_id}").status_code == 404
        assert outsider.delete("/events/trigger/tx").status_code == 404
        details = outsider.get(
            "/execution-details", {"notificationId": str(notification.public_id)}
        )
        assert details.status_code == 404
    with scoped(tenant.development):
        assert Message.objects.filter(pk=message.pk).exists()
        assert Notification.objects.get().trigger.status == "processed"


def test_a_trigger_reaches_only_subscribers_and_topics_of_its_environment(
    tenant, other_tenant, key_client
):
    from tests.factories import SubscriberFactory, TopicFactory, TopicSubscriptionFactory

    in_app_workflow(tenant.production)
    elsewhere = SubscriberFactory(
        environment=tenant.development, subscriber_id="ada", first_name="Dev"
    )
    TopicSubscriptionFactory(
        topic=TopicFactory(environment=tenant.development, key="team"), subscriber=elsewhere
    )
    SubscriberFactory(environment=other_tenant.production, subscriber_id="ada", first_name="Other")
    production = key_client(tenant.production)
    production.trigger(
        "order-shipped",
        ["ada", {"type": "Topic", "topicKey": "team"}],
        payload={"order": {"id": 1}},
    )
    run_tasks()
    with scoped(tenant.production):
        message = Message.objects.get()
        assert message.content == "Hi , order 1 shipped."  # a new Production subscriber "ada"
        assert message.subscriber.environment_id == tenant.production.pk
    with scoped(tenant.development):
        assert not Message.objects.exists()
    with scoped(other_tenant.production):
        assert not Message.objects.exists()
