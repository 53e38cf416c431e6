"""The in-app feed as a client app reads it: pages, filters, counts, marks, deletes,
preferences and brand; and a token of one environment reads nothing of another."""

import base64
import json

import pytest

from activity.models import Message
from environments.services import client_origins_set
from subscribers.models import SubscriberPreference
from tests.activity.seeding import notification_seed
from tests.factories import BrandFactory, FeedFactory, WorkflowFactory


def _payload_filter(value) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def _in_app(environment, subscriber_id="ada"):
    return Message.unscoped_across_environments.filter(
        environment=environment, subscriber__subscriber_id=subscriber_id, channel="in_app"
    ).order_by("-created_at", "-id")


@pytest.fixture
def token(widgets, tenant):
    return widgets.start(tenant.development, "ada")


def test_the_feed_shows_only_the_subscribers_in_app_messages_newest_first(widgets, tenant, token):
    first = notification_seed(environment=tenant.development, in_app_content="First")
    notification_seed(environment=tenant.development, in_app_content="Second")
    notification_seed(
        environment=tenant.development, subscriber_id="grace", in_app_content="Not hers"
    )
    body = widgets.get("/notifications/feed", token=token).json()
    assert [item["content"] for item in body["data"]] == ["Second", "First"]
    assert body["totalCount"] == 2 and body["hasMore"] is False
    assert body["page"] == 0 and body["pageSize"] == 10
    item = body["data"][1]
    message = _in_app(tenant.development).last()
    assert item["_id"] == str(message.public_id)
    assert item["_notificationId"] == str(first.public_id)
    assert item["_subscriberId"] == str(first.subscriber.public_id)
    assert item["templateIdentifier"] == "welcome"
    assert item["cta"] == {"type": "redirect", "data": {"url": "https://example.com/orders/1042"}}
    assert item["payload"] == {"order": {"id": 1042, "status": "shipped"}}
    assert item["seen"] is False and item["read"] is False
    assert item["channel"] == "in_app"
    assert item["_templateId"]


def test_feed_pages(widgets, tenant, token):
    for number in range(5):
        notification_seed(
            environment=tenant.development, in_app_content=f"Message {number}", email=False
        )
    first = widgets.get("/notifications/feed", token=token, limit=2).json()
    last = widgets.get("/notifications/feed", token=token, limit=2, page=2).json()
    assert [item["content"] for item in first["data"]] == ["Message 4", "Message 3"]
    assert first["hasMore"] is True and first["totalCount"] == 5
    assert [item["content"] for item in last["data"]] == ["Message 0"]
    assert last["hasMore"] is False and last["totalCount"] == 5


def test_feed_refuses_pages_beyond_its_depth(widgets, token):
    response = widgets.get("/notifications/feed", token=token, limit=100, page=100)
    assert response.status_code == 400
    assert "page" in response.json()["message"]


def test_feed_filters_by_feed_seen_read_and_payload(widgets, tenant, token):
    news = FeedFactory(environment=tenant.development, identifier="news")
    notification_seed(
        environment=tenant.development,
        in_app_content="In news",
        feed=news,
        payload={"kind": "news", "order": {"id": 1}},
    )
    notification_seed(
        environment=tenant.development,
        in_app_content="Plain",
        payload={"kind": "order", "order": {"id": 2}},
    )
    _in_app(tenant.development).filter(content="Plain").update(seen=True)

    def contents(**params):
        response = widgets.get("/notifications/feed", token=token, **params)
        assert response.status_code == 200, response.content
        return [item["content"] for item in response.json()["data"]]

    assert contents(feedIdentifier="news") == ["In news"]
    (in_news,) = widgets.get("/notifications/feed", token=token, feedIdentifier="news").json()[
        "data"
    ]
    assert in_news["_feedId"] == str(news.public_id)
    assert contents(feedIdentifier="unknown") == []
    assert contents(seen="true") == ["Plain"]
    assert contents(seen="false") == ["In news"]
    assert contents(read="false") == ["Plain", "In news"]
    assert contents(payload=_payload_filter({"kind": "order"})) == ["Plain"]
    assert contents(payload=_payload_filter({"order": {"id": 1}})) == ["In news"]
    assert contents(payload=_payload_filter({"order": {"id": 3}})) == []


@pytest.mark.parametrize(
    "payload",
    [
        "not base64!",
        base64.b64encode(b"[1, 2]").decode(),
        base64.b64encode(b"{not json").decode(),
        _payload_filter({"list": [1, 2]}),
        _payload_filter({f"key{number}": number for number in range(11)}),
        _payload_filter({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}),
        _payload_filter({"text": "\x00"}),
        "A" * 5000,
    ],
)
def test_bad_payload_filters_are_400(widgets, token, payload):
    response = widgets.get("/notifications/feed", token=token, payload=payload)
    assert response.status_code == 400
    assert "payload" in str(response.json()["message"])


def test_unseen_and_unread_counts_up_to_the_limit(widgets, tenant, token):
    for _ in range(3):
        notification_seed(environment=tenant.development, email=False)
    _in_app(tenant.development).filter(pk=_in_app(tenant.development).first().pk).update(
        seen=True, read=True
    )
    assert widgets.get("/notifications/unseen", token=token).json() == {"data": {"count": 2}}
    assert widgets.get("/notifications/unread", token=token).json() == {"data": {"count": 2}}
    assert widgets.get("/notifications/unseen", token=token, limit=1).json() == {
        "data": {"count": 1}
    }
    assert widgets.get("/notifications/unseen", token=token, feedIdentifier="none").json() == {
        "data": {"count": 0}
    }


def test_mark_as_read_implies_seen_and_returns_the_messages(widgets, tenant, token):
    notification_seed(environment=tenant.development, email=False)
    message = _in_app(tenant.development).get()
    response = widgets.send(
        "post",
        "/messages/markAs",
        {"messageId": str(message.public_id), "mark": {"read": True}},
        token=token,
    )
    assert response.status_code == 201
    (item,) = response.json()["data"]
    assert item["_id"] == str(message.public_id) and item["seen"] is True and item["read"] is True
    message.refresh_from_db()
    assert message.seen and message.read and message.last_read_at and message.last_seen_at


@pytest.mark.parametrize(
    ("word", "seen", "read"),
    [
        ("read", True, True),
        ("seen", True, False),
        ("unread", True, False),
        ("unseen", False, False),
    ],
)
def test_mark_as_words(widgets, tenant, token, word, seen, read):
    notification_seed(environment=tenant.development, email=False)
    notification_seed(environment=tenant.development, email=False)
    messages = list(_in_app(tenant.development))
    if word in ("unread", "unseen"):
        _in_app(tenant.development).update(seen=True, read=True)
        if word == "unread":
            seen = True
    ids = [str(message.public_id) for message in messages]
    response = widgets.send(
        "post", "/messages/mark-as", {"messageId": ids, "markAs": word}, token=token
    )
    assert response.status_code == 201
    assert len(response.json()["data"]) == 2
    assert set(_in_app(tenant.development).values_list("seen", "read")) == {(seen, read)}


def test_marking_a_message_of_someone_else_is_404_and_marks_nothing(widgets, tenant, token):
    notification_seed(environment=tenant.development, email=False)
    notification_seed(environment=tenant.development, subscriber_id="grace", email=False)
    own = _in_app(tenant.development).get()
    other = _in_app(tenant.development, "grace").get()
    for message_id in ([str(own.public_id), str(other.public_id)], "not-a-uuid"):
        response = widgets.send(
            "post",
            "/messages/markAs",
            {"messageId": message_id, "mark": {"seen": True}},
            token=token,
        )
        assert response.status_code == 404
    assert not Message.unscoped_across_environments.filter(seen=True).exists()


def test_mark_all_read_and_seen(widgets, tenant, token):
    news = FeedFactory(environment=tenant.development, identifier="news")
    notification_seed(environment=tenant.development, email=False, feed=news)
    notification_seed(environment=tenant.development, email=False)
    notification_seed(environment=tenant.development, subscriber_id="grace", email=False)
    response = widgets.send("post", "/messages/seen", {"feedId": "news"}, token=token)
    assert response.status_code == 201 and response.json() == {"data": 1}
    assert widgets.send("post", "/messages/read", {}, token=token).json() == {"data": 2}
    assert set(_in_app(tenant.development).values_list("seen", "read")) == {(True, True)}
    assert set(_in_app(tenant.development, "grace").values_list("seen", "read")) == {(False, False)}


def test_mark_all_names_at_most_ten_feeds(widgets, token):
    response = widgets.send(
        "post", "/messages/read", {"feedId": [f"feed-{n}" for n in range(11)]}, token=token
    )
    assert response.status_code == 400
    assert "feedId" in response.json()["message"]


def test_delete_a_message(widgets, tenant, token):
    notification_seed(environment=tenant.development, email=False)
    notification_seed(environment=tenant.development, subscriber_id="grace", email=False)
    own = _in_app(tenant.development).get()
    other = _in_app(tenant.development, "grace").get()
    assert widgets.send("delete", f"/messages/{other.public_id}", token=token).status_code == 404
    response = widgets.send("delete", f"/messages/{own.public_id}", token=token)
    assert response.status_code == 200
    assert response.json() == {"data": {"acknowledged": True, "status": "deleted"}}
    assert not _in_app(tenant.development).exists()
    assert _in_app(tenant.development, "grace").exists()


def test_preferences_read_and_change(widgets, tenant, token):
    workflow = WorkflowFactory(environment=tenant.development, name="Digest")
    critical = WorkflowFactory(environment=tenant.development, name="Security", critical=True)
    body = widgets.get("/preferences", token=token).json()["data"]
    by_name = {row["template"]["name"]: row for row in body}
    assert by_name["Digest"]["preference"] == {
        "enabled": True,
        "channels": {"email": True, "sms": True, "in_app": True, "chat": True, "push": True},
    }
    template_id = by_name["Digest"]["template"]["_id"]
    response = widgets.send(
        "patch",
        f"/preferences/{template_id}",
        {"channel": {"type": "email", "enabled": False}},
        token=token,
    )
    assert response.status_code == 200
    assert response.json()["data"]["preference"]["channels"]["email"] is False
    stored = SubscriberPreference.unscoped_across_environments.get(workflow=workflow)
    assert stored.email is False and stored.subscriber.subscriber_id == "ada"
    critical_id = by_name["Security"]["template"]["_id"]
    refused = widgets.send("patch", f"/preferences/{critical_id}", {"enabled": False}, token=token)
    assert refused.status_code == 400
    assert not SubscriberPreference.unscoped_across_environments.filter(workflow=critical).exists()
    assert (
        widgets.send("patch", "/preferences/unknown", {"enabled": False}, token=token).status_code
        == 404
    )


def test_preferences_work_in_production_too(widgets, tenant):
    WorkflowFactory(environment=tenant.production, name="Digest")
    token = widgets.start(tenant.production, "ada")
    template_id = widgets.get("/preferences", token=token).json()["data"][0]["template"]["_id"]
    response = widgets.send("patch", f"/preferences/{template_id}", {"enabled": False}, token=token)
    assert response.status_code == 200
    assert response.json()["data"]["preference"]["enabled"] is False


def test_organization_branding_is_the_environments_brand(widgets, tenant, token):
    BrandFactory(environment=tenant.development, primary_color="#112233")
    BrandFactory(environment=tenant.production, primary_color="#445566")
    body = widgets.get("/organization", token=token).json()["data"]
    assert body["_id"] == str(tenant.organization.pk)
    assert body["name"] == tenant.organization.name
    assert body["branding"]["color"] == "#112233"
    assert body["branding"]["logo"] is None


class TestIsolation:
    """A token of one environment reads and writes nothing of another, in its organization or
    in another one; ids of other environments answer 404."""

    @pytest.fixture
    def elsewhere(self, tenant, other_tenant):
        seeded = [
            notification_seed(
                environment=environment,
                in_app_content=f"In {environment.name} of {environment.organization.name}",
                email=False,
            )
            for environment in (tenant.production, other_tenant.development)
        ]
        return [_in_app(notification.environment).get() for notification in seeded]

    def test_reads(self, widgets, tenant, token, elsewhere):
        notification_seed(environment=tenant.development, in_app_content="Mine", email=False)
        body = widgets.get("/notifications/feed", token=token).json()
        assert [item["content"] for item in body["data"]] == ["Mine"]
        assert widgets.get("/notifications/unseen", token=token).json()["data"]["count"] == 1

    def test_writes(self, widgets, token, elsewhere):
        for message in elsewhere:
            response = widgets.send(
                "post",
                "/messages/markAs",
                {"messageId": str(message.public_id), "mark": {"read": True}},
                token=token,
            )
            assert response.status_code == 404
            assert (
                widgets.send("delete", f"/messages/{message.public_id}", token=token).status_code
                == 404
            )
        assert widgets.send("post", "/messages/read", {}, token=token).json() == {"data": 0}
        assert not Message.unscoped_across_environments.filter(read=True).exists()
        assert Message.unscoped_across_environments.count() == 2

    def test_preferences_of_another_environment_are_404(self, widgets, tenant, other_tenant, token):
        theirs = WorkflowFactory(environment=tenant.production)
        other = WorkflowFactory(environment=other_tenant.development)
        assert widgets.get("/preferences", token=token).json() == {"data": []}
        for workflow in (theirs, other):
            response = widgets.send(
                "patch", f"/preferences/{workflow.public_id}", {"enabled": False}, token=token
            )
            assert response.status_code == 404

    def test_brand(self, widgets, other_tenant, token):
        BrandFactory(environment=other_tenant.development, primary_color="#abcdef")
        assert (
            widgets.get("/organization", token=token).json()["data"]["branding"]["color"]
            != "#abcdef"
        )


def test_origins_of_the_client_app_are_enforced_on_requests(widgets, tenant, other_tenant, token):
    client_origins_set(
        environment=other_tenant.development,
        origins=["https://evil.example"],
        actor=other_tenant.admin,
    )
    client_origins_set(
        environment=tenant.development, origins=["https://app.example"], actor=tenant.admin
    )
    allowed = widgets.get(
        "/notifications/unseen", token=token, headers={"Origin": "https://app.example"}
    )
    assert allowed.status_code == 200
    refused = widgets.get(
        "/notifications/unseen", token=token, headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403
    assert "API Keys" in refused.json()["message"]
    same_site = widgets.get(
        "/notifications/unseen", token=token, headers={"Origin": "http://testserver"}
    )
    assert same_site.status_code == 200
