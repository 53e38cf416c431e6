"""GET /v1/messages, DELETE /v1/messages/{id}, /v1/notifications (list, one, stats, graph) and
/v1/execution-details: filters, pages, shapes and every status they answer."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from activity import services
from activity.models import Message, Notification
from environments.models import ApiKey
from tests.activity.conftest import in_app_workflow, run_tasks, scoped
from tests.factories import StepFactory, SubscriberFactory, WorkflowFactory
from workflows.models import Channel


@pytest.fixture
def api(tenant, key_client):
    """Development with three triggers delivered: two in-app, one in-app plus SMS."""
    in_app_workflow(tenant.development)
    mixed = WorkflowFactory(environment=tenant.development, identifier="mixed", name="Mixed")
    StepFactory(workflow=mixed, position=0, channel=Channel.IN_APP, body="In-app {{ payload.n }}")
    StepFactory(workflow=mixed, position=1, channel=Channel.SMS, body="SMS {{ payload.n }}")
    SubscriberFactory(environment=tenant.development, subscriber_id="ada", email="ada@example.com")
    SubscriberFactory(environment=tenant.development, subscriber_id="bob", email="bob@example.com")
    client = key_client(tenant.development)
    client.trigger("order-shipped", "ada", payload={"order": {"id": 1}}, transactionId="t1")
    client.trigger("order-shipped", "bob", payload={"order": {"id": 2}}, transactionId="t2")
    client.trigger("mixed", "ada", payload={"n": 3}, transactionId="t3")
    run_tasks()
    return client


def test_messages_are_listed_newest_first_in_novus_shape(api, tenant):
    body = api.get("/messages").json()
    assert (body["page"], body["pageSize"], body["hasMore"]) == (0, 10, False)
    assert "totalCount" not in body
    assert [m["transactionId"] for m in body["data"]] == ["t3", "t3", "t2", "t1"]
    sms = body["data"][0] if body["data"][0]["channel"] == "sms" else body["data"][1]
    with scoped(tenant.development):
        stored = Message.objects.get(channel="sms")
    assert sms["_id"] == str(stored.public_id)
    assert sms["_notificationId"] == str(stored.notification.public_id)
    assert sms["_subscriberId"] == str(stored.subscriber.public_id)
    assert sms["_environmentId"] == str(tenant.development.pk)
    assert (sms["subscriberId"], sms["templateIdentifier"], sms["content"]) == (
        "ada",
        "mixed",
        "SMS 3",
    )
    # No SMS integration: the step is skipped and its message kept as a warning.
    assert (sms["status"], sms["seen"], sms["read"]) == ("warning", False, False)
    assert sms["errorText"].endswith("has no active SMS integration.")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"subscriberId": "ada"}, ["t3", "t3", "t1"]),
        ({"subscriberId": "nobody"}, []),
        ({"channel": "sms"}, ["t3"]),
        ({"transactionId": "t2"}, ["t2"]),
        ({"transactionId": "unknown"}, []),
        ({"subscriberId": "ada", "channel": "in_app"}, ["t3", "t1"]),
    ],
)
def test_messages_filter_by_subscriber_channel_and_transaction(api, params, expected):
    assert [m["transactionId"] for m in api.get("/messages", params).json()["data"]] == expected


def test_messages_page_by_page(api):
    first = api.get("/messages", {"limit": 3}).json()
    second = api.get("/messages", {"limit": 3, "page": 1}).json()
    assert (len(first["data"]), first["hasMore"]) == (3, True)
    assert (len(second["data"]), second["hasMore"]) == (1, False)


@pytest.mark.parametrize(
    "params",
    [{"channel": "fax"}, {"limit": 101}, {"page": -1}, {"subscriberId": "x" * 201}],
)
def test_message_filters_out_of_bounds_are_400(api, params):
    response = api.get("/messages", params)
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"


def test_a_parameter_given_twice_is_400(api):
    response = api.client.get(
        "/v1/messages?channel=sms&channel=in_app", HTTP_AUTHORIZATION=f"ApiKey {api.secret}"
    )
    assert response.status_code == 400
    assert "channel: Send this parameter once." in response.json()["message"]


def test_a_message_is_deleted_and_then_unknown(api, tenant):
    message_id = api.get("/messages", {"channel": "sms"}).json()["data"][0]["_id"]
    response = api.delete(f"/messages/{message_id}")
    assert response.status_code == 200
    assert response.json() == {"data": {"acknowledged": True, "status": "deleted"}}
    with scoped(tenant.development):
        assert not Message.objects.filter(channel="sms").exists()
    assert api.delete(f"/messages/{message_id}").status_code == 404
    assert api.delete("/messages/not-a-uuid").status_code == 404


def test_marking_messages_follows_novus_rules(api, tenant):
    with scoped(tenant.development):
        ada = Message.objects.filter(subscriber__subscriber_id="ada", channel="in_app")
        bob = Message.objects.get(subscriber__subscriber_id="bob")
        first = ada.first()
        subscriber = first.subscriber
        key = ApiKey.objects.get()
        (marked,) = services.messages_mark(
            subscriber=subscriber, message_ids=[first.public_id], read=True, actor=key
        )
        first.refresh_from_db()
        assert (first.read, first.seen) == (True, True)  # read implies seen
        assert (marked.read, marked.seen) == (True, True)
        assert first.last_read_at is not None and first.last_seen_at is not None
        services.messages_mark(
            subscriber=subscriber, message_ids=[first.public_id], seen=False, actor=key
        )
        first.refresh_from_db()
        assert (first.read, first.seen) == (False, False)  # unseen implies unread
        # A subscriber marks only their own messages; an id of another's, or one that is not
        # an id, marks nothing at all.
        for stranger in (bob.public_id, "junk"):
            with pytest.raises(services.MessageNotFound):
                services.messages_mark(
                    subscriber=subscriber,
                    message_ids=[first.public_id, stranger],
                    seen=True,
                    actor=key,
                )
        assert not Message.objects.filter(seen=True).exists()
        assert (
            services.messages_mark_all(
                subscriber=subscriber, feed_identifiers=None, read=False, actor=key
            )
            == ada.count()
        )
        assert not ada.filter(seen=False).exists()
        bob.refresh_from_db()
        assert not bob.seen


def test_notifications_come_with_template_subscriber_jobs_and_details(api, tenant):
    body = api.get("/notifications").json()
    assert (body["page"], body["hasMore"]) == (0, False)
    assert [n["transactionId"] for n in body["data"]] == ["t3", "t2", "t1"]
    mixed = body["data"][0]
    with scoped(tenant.development):
        notification = Notification.objects.get(trigger__transaction_id="t3")
    assert mixed["_id"] == str(notification.public_id)
    assert mixed["channels"] == ["in_app", "sms"]
    assert mixed["status"] == "completed"
    assert mixed["template"]["name"] == "Mixed"
    assert mixed["template"]["triggers"] == [
        {"type": "event", "identifier": "mixed", "variables": []}
    ]
    assert mixed["subscriber"]["subscriberId"] == "ada"
    assert mixed["subscriber"]["email"] == "ada@example.com"
    assert [(job["type"], job["status"]) for job in mixed["jobs"]] == [
        ("in_app", "completed"),
        ("sms", "skipped"),
    ]
    assert [d["detail"] for d in mixed["jobs"][0]["executionDetails"]] == [
        "Message rendered for In-app.",
        "Posted to the subscriber's in-app feed.",
    ]
    assert mixed["jobs"][0]["payload"] == {"n": 3}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("channels=sms", ["t3"]),
        ("channels[]=sms&channels[]=in_app", ["t3", "t2", "t1"]),
        ("templates=mixed", ["t3"]),
        ("templates[]=order-shipped", ["t2", "t1"]),
        ("emails=bob@example.com", ["t2"]),
        ("subscriberIds=ada&subscriberIds=bob", ["t3", "t2", "t1"]),
        ("subscriberIds[]=ada", ["t3", "t1"]),
        ("transactionId=t2", ["t2"]),
        ("search=t1", ["t1"]),
        ("search=bo", ["t2"]),
        ("transactionId=nope", []),
    ],
)
def test_notifications_filter_as_novu_clients_ask(api, query, expected):
    response = api.client.get(
        f"/v1/notifications?{query}", HTTP_AUTHORIZATION=f"ApiKey {api.secret}"
    )
    assert [n["transactionId"] for n in response.json()["data"]] == expected


def test_notifications_filter_by_workflow_id(api, tenant):
    workflow_id = api.get("/notifications", {"transactionId": "t3"}).json()["data"][0][
        "_templateId"
    ]
    assert [
        n["transactionId"]
        for n in api.get("/notifications", {"templates": workflow_id}).json()["data"]
    ] == ["t3"]


def test_an_unknown_channel_filter_is_400(api):
    for query in ("channels=fax", "channels[]=fax"):
        response = api.client.get(
            f"/v1/notifications?{query}", HTTP_AUTHORIZATION=f"ApiKey {api.secret}"
        )
        assert response.status_code == 400


def test_the_list_reads_a_bounded_number_of_queries(
    api, django_assert_max_num_queries, key_client, tenant
):
    for index in range(12):
        api.trigger("mixed", f"sub-{index}", payload={"n": index})
    run_tasks()
    with django_assert_max_num_queries(12):
        body = api.get("/notifications", {"limit": 15}).json()
    assert len(body["data"]) == 15


def test_one_notification_and_an_unknown_one(api):
    notification_id = api.get("/notifications").json()["data"][1]["_id"]
    response = api.get(f"/notifications/{notification_id}")
    assert response.status_code == 200
    assert response.json()["data"]["transactionId"] == "t2"
    assert api.get("/notifications/01a21b2f-ef1a-73b9-807d-6aa7d4600f61").status_code == 404
    assert api.get("/notifications/stats-but-not").status_code == 404


def test_stats_count_the_last_week_and_month(api, tenant):
    with scoped(tenant.development):
        old = Notification.objects.get(trigger__transaction_id="t1")
        Notification.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - timedelta(days=10)
        )
    assert api.get("/notifications/stats").json() == {"data": {"weeklySent": 2, "monthlySent": 3}}


def test_graph_stats_count_per_day(api, tenant):
    with scoped(tenant.development):
        Notification.objects.filter(trigger__transaction_id="t1").update(
            created_at=timezone.now() - timedelta(days=2)
        )
    days = api.get("/notifications/graph/stats", {"days": 7}).json()["data"]
    assert [day["count"] for day in days] == [1, 2]
    assert days[1]["_id"] == timezone.now().date().isoformat()
    assert sorted(days[1]["channels"]) == ["in_app", "sms"]
    assert len(days[1]["templates"]) == 2
    assert api.get("/notifications/graph/stats", {"days": 0}).status_code == 400
    assert api.get("/notifications/graph/stats", {"days": 33}).status_code == 400


def test_execution_details_of_a_notification_in_order(api, tenant):
    notification = api.get("/notifications", {"transactionId": "t1"}).json()["data"][0]
    response = api.get(
        "/execution-details", {"notificationId": notification["_id"], "subscriberId": "ada"}
    )
    assert response.status_code == 200
    details = response.json()["data"]
    assert [d["detail"] for d in details] == [
        "Trigger received: order-shipped, transaction t1.",
        "Subscriber ada found.",
        "Message rendered for In-app.",
        "Posted to the subscriber's in-app feed.",
    ]
    assert [d["channel"] for d in details] == ["trigger", "trigger", "in_app", "in_app"]
    assert all(d["_notificationId"] == notification["_id"] for d in details)
    assert json.loads(details[0]["raw"]) == {"transactionId": "t1", "kind": "event"}
    assert details[2]["_jobId"] == notification["jobs"][0]["_id"]


def test_execution_details_of_another_subscriber_or_unknown_are_404(api):
    notification_id = api.get("/notifications", {"transactionId": "t1"}).json()["data"][0]["_id"]
    assert (
        api.get(
            "/execution-details", {"notificationId": notification_id, "subscriberId": "bob"}
        ).status_code
        == 404
    )
    assert api.get("/execution-details", {"notificationId": "junk"}).status_code == 404
    assert api.get("/execution-details").status_code == 400
