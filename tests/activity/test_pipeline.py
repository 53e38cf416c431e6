"""The pipeline end to end: trigger through the API, run the tasks as a worker would, read what
was stored. Preferences, critical workflows, topics and broadcasts, rendering failures."""

import pytest

from activity import delivery, pipeline
from activity.delivery import DeliveryResult
from activity.models import ExecutionLog, FanOut, Job, Message, Notification, Trigger
from subscribers.models import Subscriber
from tests.activity.conftest import in_app_workflow, scoped
from tests.factories import (
    FeedFactory,
    StepFactory,
    SubscriberFactory,
    SubscriberPreferenceFactory,
    TopicFactory,
    TopicSubscriptionFactory,
    WorkflowFactory,
)
from workflows.models import Channel, Step


def stages(environment, subscriber_id=None):
    with scoped(environment):
        logs = ExecutionLog.objects.order_by("created_at", "id")
        if subscriber_id:
            logs = logs.filter(notification__subscriber__subscriber_id=subscriber_id)
        return [(log.stage, log.status, log.detail) for log in logs]


def job_statuses(environment):
    with scoped(environment):
        return {
            (job.notification.subscriber.subscriber_id, job.channel): job.status
            for job in Job.objects.select_related("notification__subscriber")
        }


@pytest.fixture
def api(tenant, key_client):
    return key_client(tenant.development)


def test_every_stage_is_logged_and_the_in_app_message_is_the_feed_item(tenant, api, drain):
    feed = FeedFactory(environment=tenant.development, identifier="orders")
    workflow = in_app_workflow(tenant.development)
    Step.unscoped_across_environments.filter(workflow=workflow).update(feed=feed)
    SubscriberFactory(environment=tenant.development, subscriber_id="ada", first_name="Ada")

    response = api.trigger("order-shipped", "ada", payload={"order": {"id": 42}})
    assert response.status_code == 201
    drain()

    with scoped(tenant.development):
        message = Message.objects.get()
        notification = Notification.objects.get()
    assert message.content == "Hi Ada, order 42 shipped."
    assert message.cta == {"type": "redirect", "data": {"url": "https://shop.example/orders/42"}}
    assert (message.payload, message.workflow_identifier) == (
        {"order": {"id": 42}},
        workflow.identifier,
    )
    assert (message.feed_identifier, message.feed_origin_id) == ("orders", feed.origin_id)
    assert (message.seen, message.read, message.status) == (False, False, "sent")
    assert notification.status == Notification.Status.COMPLETED
    assert [stage for stage, _status, _detail in stages(tenant.development)] == [
        "trigger_received",
        "subscriber_resolved",
        "message_rendered",
        "message_sent",
    ]


def test_recipients_are_created_or_updated_from_the_profile_sent(tenant, api, drain):
    in_app_workflow(tenant.development)
    SubscriberFactory(environment=tenant.development, subscriber_id="old", first_name="Before")

    api.trigger(
        "order-shipped",
        [
            {"subscriberId": "old", "firstName": "After"},
            "brand-new",
            {"subscriberId": "x", "email": "x@example.com"},
        ],
        payload={"order": {"id": 1}},
    )
    drain()

    with scoped(tenant.development):
        subscribers = {s.subscriber_id: s for s in Subscriber.objects.all()}
        contents = sorted(Message.objects.values_list("content", flat=True))
    assert subscribers["old"].first_name == "After"
    assert subscribers["x"].email == "x@example.com"
    assert "brand-new" in subscribers
    assert contents == [
        "Hi , order 1 shipped.",
        "Hi , order 1 shipped.",
        "Hi After, order 1 shipped.",
    ]
    details = [detail for _s, _st, detail in stages(tenant.development) if "Subscriber" in detail]
    assert sorted(details) == [
        "Subscriber brand-new created.",
        "Subscriber old updated.",
        "Subscriber x created.",
    ]


def test_a_subscriber_named_twice_is_notified_once(tenant, api, drain):
    in_app_workflow(tenant.development)
    api.trigger(
        "order-shipped", ["ada", {"subscriberId": "ada"}, "ada"], payload={"order": {"id": 1}}
    )
    drain()
    with scoped(tenant.development):
        assert Message.objects.count() == Notification.objects.count() == 1


def test_preferences_turn_a_channel_off_and_the_step_is_skipped(tenant, api, drain):
    workflow = in_app_workflow(tenant.development)
    StepFactory(workflow=workflow, channel=Channel.SMS, name="SMS", body="Shipped")
    ada = SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    SubscriberPreferenceFactory(subscriber=ada, workflow=workflow, in_app=False)
    SubscriberFactory(environment=tenant.development, subscriber_id="bob")

    api.trigger("order-shipped", ["ada", "bob"], payload={"order": {"id": 1}})
    drain()

    assert job_statuses(tenant.development) == {
        ("ada", "in_app"): "skipped",
        ("ada", "sms"): "skipped",  # no SMS integration: skipped, with the reason
        ("bob", "in_app"): "completed",
        ("bob", "sms"): "skipped",
    }
    assert (
        "step_filtered",
        "Success",
        "Step filtered by subscriber preferences: In-app is off for “Workflow 0”.",
    ) in [
        (s, st, d.replace(workflow.name, "Workflow 0"))
        for s, st, d in stages(tenant.development, "ada")
    ]
    with scoped(tenant.development):
        assert list(
            Message.objects.filter(channel="in_app").values_list(
                "subscriber__subscriber_id", flat=True
            )
        ) == ["bob"]


def test_a_workflow_turned_off_by_the_subscriber_sends_nothing(tenant, api, drain):
    workflow = in_app_workflow(tenant.development)
    ada = SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    SubscriberPreferenceFactory(subscriber=ada, workflow=workflow, enabled=False)
    api.trigger("order-shipped", "ada", payload={"order": {"id": 1}})
    drain()
    assert job_statuses(tenant.development) == {("ada", "in_app"): "skipped"}
    with scoped(tenant.development):
        assert not Message.objects.exists()


def test_critical_workflows_ignore_preferences(tenant, api, drain):
    workflow = in_app_workflow(tenant.development, critical=True)
    ada = SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    SubscriberPreferenceFactory(subscriber=ada, workflow=workflow, enabled=False, in_app=False)
    api.trigger("order-shipped", "ada", payload={"order": {"id": 1}})
    drain()
    assert job_statuses(tenant.development) == {("ada", "in_app"): "completed"}


def test_workflow_defaults_apply_when_the_subscriber_never_chose(tenant, api, drain):
    in_app_workflow(tenant.development, preference_defaults={"in_app": False})
    api.trigger("order-shipped", "ada", payload={"order": {"id": 1}})
    drain()
    assert job_statuses(tenant.development) == {("ada", "in_app"): "skipped"}


def test_topics_fan_out_in_batches_without_notifying_anyone_twice(tenant, api, drain, monkeypatch):
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 2)
    in_app_workflow(tenant.development)
    topic = TopicFactory(environment=tenant.development, key="team")
    other = TopicFactory(environment=tenant.development, key="admins")
    members = [
        SubscriberFactory(environment=tenant.development, subscriber_id=f"m{i}") for i in range(5)
    ]
    for member in members:
        TopicSubscriptionFactory(topic=topic, subscriber=member)
    TopicSubscriptionFactory(topic=other, subscriber=members[0])
    SubscriberFactory(environment=tenant.development, subscriber_id="outsider")

    response = api.trigger(
        "order-shipped",
        [{"type": "Topic", "topicKey": "team"}, {"type": "Topic", "topicKey": "admins"}, "m1"],
        payload={"order": {"id": 7}},
    )
    assert response.status_code == 201
    drain()

    with scoped(tenant.development):
        notified = sorted(Message.objects.values_list("subscriber__subscriber_id", flat=True))
        fan_outs = {f.topic_key: (f.status, f.batches) for f in FanOut.objects.all()}
    assert notified == ["m0", "m1", "m2", "m3", "m4"]
    assert fan_outs == {"team": ("done", 3), "admins": ("done", 1)}
    topic_details = [d for _s, _st, d in stages(tenant.development, "m3") if "topic" in d]
    assert topic_details == ["Subscriber m3 subscribed to the topic “team”."]


def test_the_actor_is_left_out_of_a_topic(tenant, api, drain):
    in_app_workflow(tenant.development)
    topic = TopicFactory(environment=tenant.development, key="team")
    for subscriber_id in ("ada", "bob"):
        TopicSubscriptionFactory(
            topic=topic,
            subscriber=SubscriberFactory(
                environment=tenant.development, subscriber_id=subscriber_id
            ),
        )
    api.trigger(
        "order-shipped",
        {"type": "Topic", "topicKey": "team"},
        actor="ada",
        payload={"order": {"id": 1}},
    )
    drain()
    with scoped(tenant.development):
        assert list(Message.objects.values_list("subscriber__subscriber_id", flat=True)) == ["bob"]


def test_an_unknown_topic_is_a_failed_log_not_an_error(tenant, api, drain):
    in_app_workflow(tenant.development)
    response = api.trigger("order-shipped", {"type": "Topic", "topicKey": "nobody"})
    assert response.status_code == 201
    drain()
    assert stages(tenant.development) == [
        (
            "failed",
            "Failed",
            "There is no topic “nobody” in Development: no one was notified through it.",
        )
    ]


def test_a_broadcast_reaches_every_subscriber_of_the_environment_only(
    tenant, api, drain, monkeypatch
):
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 2)
    in_app_workflow(tenant.development)
    for i in range(3):
        SubscriberFactory(environment=tenant.development, subscriber_id=f"dev{i}")
    SubscriberFactory(environment=tenant.production, subscriber_id="prod")

    response = api.post(
        "/events/trigger/broadcast", {"name": "order-shipped", "payload": {"order": {"id": 3}}}
    )
    assert response.status_code == 201
    drain()

    with scoped(tenant.development):
        assert sorted(Message.objects.values_list("subscriber__subscriber_id", flat=True)) == [
            "dev0",
            "dev1",
            "dev2",
        ]
        assert Trigger.objects.get().kind == "broadcast"
    with scoped(tenant.production):
        assert not Message.objects.exists()


def test_a_liquid_error_is_a_failed_log_and_the_other_steps_still_run(tenant, api, drain):
    workflow = WorkflowFactory(environment=tenant.development, identifier="digest")
    StepFactory(
        workflow=workflow,
        position=0,
        channel=Channel.IN_APP,
        body="{{ payload.total | divided_by: 0 }}",
    )
    StepFactory(workflow=workflow, position=1, channel=Channel.IN_APP, body="Second step")

    response = api.trigger("digest", "ada", payload={"total": 10})
    assert response.status_code == 201
    drain()

    with scoped(tenant.development):
        jobs = list(Job.objects.order_by("position").values_list("status", flat=True))
        contents = list(Message.objects.values_list("content", flat=True))
        notification = Notification.objects.get()
        failure = ExecutionLog.objects.get(stage="failed")
    assert jobs == ["failed", "completed"]
    assert contents == ["Second step"]
    assert notification.status == Notification.Status.FAILED
    assert failure.status == "Failed" and failure.source == "Payload"
    assert failure.detail.startswith("Message content could not be generated: content: ")
    assert failure.raw["field"] == "body"


def test_strict_variables_fail_a_step_that_reads_a_missing_variable(tenant, api, drain, settings):
    settings.ACTIVITY_STRICT_VARIABLES = True
    in_app_workflow(tenant.development)
    api.trigger("order-shipped", "ada", payload={"order": {"number": 1}})
    drain()
    with scoped(tenant.development):
        failure = ExecutionLog.objects.get(stage="failed")
        assert not Message.objects.exists()
    assert "payload.order.id is missing from the trigger" in failure.detail


def test_without_strict_variables_a_missing_variable_renders_empty(tenant, api, drain):
    in_app_workflow(tenant.development)
    api.trigger("order-shipped", "ada", payload={})
    drain()
    with scoped(tenant.development):
        assert Message.objects.get().content == "Hi , order  shipped."


def test_an_unsafe_rendered_cta_url_is_left_out_with_a_warning(tenant, api, drain):
    workflow = WorkflowFactory(environment=tenant.development, identifier="link")
    StepFactory(workflow=workflow, channel=Channel.IN_APP, body="Open", cta_url="{{ payload.url }}")
    api.trigger("link", "ada", payload={"url": "javascript:alert(1)"})
    drain()
    with scoped(tenant.development):
        message = Message.objects.get()
        warning = ExecutionLog.objects.get(status="Warning")
    assert message.cta == {}
    assert warning.detail.startswith("The call-to-action URL was left out:")
    assert warning.raw == {"url": "javascript:alert(1)"}


def test_email_chat_and_sms_are_stored_and_recorded_as_without_integration(tenant, api, drain):
    workflow = WorkflowFactory(environment=tenant.development, identifier="all")
    StepFactory(
        workflow=workflow,
        position=0,
        channel=Channel.EMAIL,
        subject="Hi {{ subscriber.firstName }}",
        body="<p>{{ payload.x }}</p>",
    )
    StepFactory(workflow=workflow, position=1, channel=Channel.CHAT, body="chat {{ payload.x }}")
    StepFactory(workflow=workflow, position=2, channel=Channel.SMS, body="sms {{ payload.x }}")
    SubscriberFactory(environment=tenant.development, subscriber_id="ada", first_name="Ada")

    api.trigger("all", "ada", payload={"x": "<b>1</b>"})
    drain()

    with scoped(tenant.development):
        messages = {m.channel: m for m in Message.objects.all()}
        skips = list(
            ExecutionLog.objects.filter(stage="step_filtered").values_list("source", "detail")
        )
        assert not ExecutionLog.objects.filter(stage="failed").exists()
    assert messages["email"].subject == "Hi Ada"
    assert (
        "<p>&lt;b&gt;1&lt;/b&gt;</p>" in messages["email"].content
    )  # composed in a layout, escaped
    assert messages["email"].content.startswith("<!doctype html>")
    assert messages["chat"].content == "chat <b>1</b>"
    assert {m.status for m in messages.values()} == {"warning"}
    assert [source for source, _ in skips] == ["Credentials"] * 3
    for (_, detail), noun in zip(skips, ("email", "chat", "SMS"), strict=True):
        assert detail.startswith(f"Skipped: Development has no active {noun} integration")
    with scoped(tenant.development):
        assert set(Job.objects.values_list("status", flat=True)) == {"skipped"}
        assert Notification.objects.get().status == "completed"


def test_a_registered_deliverer_sends_its_channel(tenant, api, drain):
    sent = []

    def send_email(message):
        sent.append((message.subject, message.subscriber.email))
        return DeliveryResult.sent(
            "Accepted by the test provider.", provider_id="test", raw={"id": "abc"}
        )

    delivery.deliverer_register("email", send_email)
    try:
        workflow = WorkflowFactory(environment=tenant.development, identifier="mail")
        StepFactory(
            workflow=workflow, channel=Channel.EMAIL, subject="Order {{ payload.id }}", body="Body"
        )
        SubscriberFactory(
            environment=tenant.development, subscriber_id="ada", email="ada@example.com"
        )
        api.trigger("mail", "ada", payload={"id": 5})
        drain()
    finally:
        delivery.deliverer_unregister("email")

    assert sent == [("Order 5", "ada@example.com")]
    with scoped(tenant.development):
        job = Job.objects.get()
        log = ExecutionLog.objects.get(stage="message_sent")
        message = Message.objects.get()
    assert (job.status, job.provider_id) == ("completed", "test")
    assert (message.status, message.provider_id) == ("sent", "test")
    assert (log.detail, log.raw, log.provider_id) == (
        "Accepted by the test provider.",
        {"id": "abc"},
        "test",
    )


def test_a_provider_that_asks_to_retry_is_tried_again_later(tenant, api, drain):
    answers = [DeliveryResult.failed("Rate limited.", retry=True), DeliveryResult.sent("Accepted.")]
    delivery.deliverer_register("sms", lambda message: answers.pop(0))
    try:
        workflow = WorkflowFactory(environment=tenant.development, identifier="text")
        StepFactory(workflow=workflow, channel=Channel.SMS, body="Hello")
        api.trigger("text", "ada")
        drain()
        with scoped(tenant.development):
            assert Job.objects.get().status == "pending"  # waiting for its retry time
        with scoped(tenant.development):
            from django_tasks_db.models import DBTaskResult

            DBTaskResult.objects.filter(status="READY").update(run_after="2000-01-01T00:00Z")
        drain()
    finally:
        delivery.deliverer_unregister("sms")
    with scoped(tenant.development):
        job = Job.objects.get()
        assert (job.status, job.attempts) == ("completed", 2)
        assert Message.objects.count() == 1
    assert [s for s, _st, _d in stages(tenant.development)][-2:] == ["retrying", "message_sent"]


def test_a_workflow_deactivated_before_expansion_sends_nothing(tenant, api, drain):
    workflow = in_app_workflow(tenant.development)
    api.trigger("order-shipped", "ada")
    workflow.active = False
    workflow.save()
    drain()
    with scoped(tenant.development):
        assert not Notification.objects.exists()
    assert stages(tenant.development)[0][0] == "failed"


def test_a_step_removed_before_it_ran_is_skipped(tenant, api, drain, monkeypatch):
    monkeypatch.setattr(pipeline, "DELIVERY_CHUNK", 1)
    workflow = in_app_workflow(tenant.development)
    api.trigger("order-shipped", ["ada", "bob"])
    drain(limit=1)  # expanded, and delivered to ada; bob's delivery waits in its task
    Step.unscoped_across_environments.filter(workflow=workflow).delete()
    drain()
    assert job_statuses(tenant.development) == {
        ("ada", "in_app"): "completed",
        ("bob", "in_app"): "skipped",
    }
    assert (
        "step_filtered",
        "Success",
        "The step was removed from the workflow before it ran.",
    ) in stages(tenant.development)
