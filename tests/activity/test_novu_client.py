"""Novu's own Python SDK (PyPI ``novu`` 1.14) against a live Herald: trigger, then read the
messages, notifications and execution details it produced, parsed into the SDK's DTOs."""

import types

import pytest
import requests
from novu.api import EventApi, ExecutionDetailApi, MessageApi, NotificationApi
from novu.dto.event import InputEventDto
from novu.dto.topic import TriggerTopicDto

from activity.models import Message, Notification
from environments.keys import generate_secret
from tests.activity.conftest import in_app_workflow, run_tasks, scoped
from tests.factories import (
    ApiKeyFactory,
    SubscriberFactory,
    TopicFactory,
    TopicSubscriptionFactory,
)


@pytest.fixture
def secret(tenant):
    in_app_workflow(tenant.development)
    secret = generate_secret()
    ApiKeyFactory(environment=tenant.development, secret=secret)
    return secret


@pytest.fixture
def sdk(live_server, secret):
    return types.SimpleNamespace(
        events=EventApi(url=live_server.url, api_key=secret),
        messages=MessageApi(url=live_server.url, api_key=secret),
        notifications=NotificationApi(url=live_server.url, api_key=secret),
        details=ExecutionDetailApi(url=live_server.url, api_key=secret),
    )


def test_trigger_then_read_messages_notifications_and_execution_details(tenant, sdk):
    event = sdk.events.trigger(
        "order-shipped", "ada", {"order": {"id": 42}}, transaction_id="sdk-1"
    )
    assert (event.acknowledged, event.status, event.transaction_id) == (True, "processed", "sdk-1")
    run_tasks()

    page = sdk.messages.list(subscriber_id="ada")
    [message] = page.data
    with scoped(tenant.development):
        stored = Message.objects.get()
        notification = Notification.objects.get()
    assert message._id == str(stored.public_id)
    assert (message.channel, message.content) == ("in_app", "Hi , order 42 shipped.")
    assert (message.transaction_id, message.template_identifier) == ("sdk-1", "order-shipped")
    assert message.cta == {"type": "redirect", "data": {"url": "https://shop.example/orders/42"}}
    assert (message.seen, message.read, message.status) == (False, False, "sent")
    assert [m._id for m in sdk.messages.stream(subscriber_id="ada")] == [message._id]

    listed = sdk.notifications.list(transaction_id="sdk-1")
    [activity] = listed.data
    assert activity._id == str(notification.public_id)
    assert (activity.transaction_id, activity._environment_id) == (
        "sdk-1",
        str(tenant.development.pk),
    )
    assert activity.template.name == notification.workflow_name
    assert activity.subscriber._id == str(notification.subscriber.public_id)
    assert sdk.notifications.get(activity._id)._id == activity._id
    assert sdk.notifications.stats() == (1, 1)
    [day] = list(sdk.notifications.graph_stats(days=7))
    assert (day.count, day.channels) == (1, ["in_app"])

    details = list(sdk.details.list(notification_id=activity._id, subscriber_id="ada"))
    assert [d.detail for d in details] == [
        "Trigger received: order-shipped, transaction sdk-1.",
        "Subscriber ada created.",
        "Message rendered for In-app.",
        "Posted to the subscriber's in-app feed.",
    ]
    assert {d.status for d in details} == {"Success"}
    assert details[-1]._message_id == message._id

    assert sdk.messages.delete(message._id) is True
    assert sdk.messages.list().data == []


def test_topic_bulk_broadcast_and_cancel_through_the_sdk(tenant, sdk):
    topic = TopicFactory(environment=tenant.development, key="team")
    for subscriber_id in ("ada", "bob"):
        TopicSubscriptionFactory(
            topic=topic,
            subscriber=SubscriberFactory(
                environment=tenant.development, subscriber_id=subscriber_id
            ),
        )
    sdk.events.trigger_topic("order-shipped", TriggerTopicDto(topic_key="team", type="Topic"), {})
    acks = sdk.events.trigger_bulk(
        [
            InputEventDto(name="order-shipped", recipients="cyd", payload={}, transaction_id="b1"),
            InputEventDto(
                name="order-shipped", recipients=["dan"], payload={}, transaction_id="b2"
            ),
        ]
    )
    assert [ack.transaction_id for ack in acks] == ["b1", "b2"]
    sdk.events.broadcast("order-shipped", {}, transaction_id="everyone")
    sdk.events.delete("everyone")
    run_tasks()
    streamed = {m._id for m in sdk.messages.stream()}
    with scoped(tenant.development):
        messages = Message.objects.select_related("subscriber")
        assert streamed == {str(m.public_id) for m in messages}
        assert sorted(m.subscriber.subscriber_id for m in messages) == ["ada", "bob", "cyd", "dan"]


def test_sdk_errors_keep_novus_status_codes(sdk):
    sdk.events.trigger("order-shipped", "ada", {}, transaction_id="dup")
    with pytest.raises(requests.HTTPError) as repeated:
        sdk.events.trigger("order-shipped", "ada", {}, transaction_id="dup")
    assert repeated.value.response.status_code == 409
    with pytest.raises(requests.HTTPError) as inactive:
        sdk.events.trigger("no-such-workflow", "ada", {})
    assert inactive.value.response.status_code == 422
    assert inactive.value.response.json()["status"] == "trigger_not_active"
    with pytest.raises(requests.HTTPError) as missing:
        sdk.events.delete("never-sent")
    assert missing.value.response.status_code == 404
