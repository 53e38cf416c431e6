"""``/v1/topics``: every route and each status it answers, in Novu's shapes."""

import pytest

from subscribers.models import Topic, TopicSubscription
from tests.factories import SubscriberFactory, TopicFactory, TopicSubscriptionFactory
from tests.subscribers.conftest import ISO_8601, error_of


def test_create_answers_201_with_the_topic(tenant, development_api):
    response = development_api.post("/topics", {"key": "product:news", "name": "News"})
    assert response.status_code == 201
    topic = response.json()["data"]
    stored = Topic.unscoped_across_environments.get()
    assert topic == {
        "_id": str(stored.public_id),
        "_environmentId": str(tenant.development.pk),
        "_organizationId": str(tenant.organization.pk),
        "key": "product:news",
        "name": "News",
        "subscribers": [],
        "createdAt": topic["createdAt"],
        "updatedAt": topic["updatedAt"],
    }
    assert ISO_8601.match(topic["createdAt"])


def test_a_duplicate_key_is_409_but_another_environment_may_use_it(tenant, development_api):
    TopicFactory(environment=tenant.production, key="news")
    assert development_api.post("/topics", {"key": "news", "name": "A"}).status_code == 201
    message = error_of(development_api.post("/topics", {"key": "news", "name": "B"}), 409)
    assert "already has a topic" in message
    assert Topic.unscoped_across_environments.filter(environment=tenant.development).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "News"}, "key"),
        ({"key": "news"}, "name"),
        ({"key": "", "name": "News"}, "key"),
        ({"key": "two words", "name": "News"}, "key"),
        ({"key": "a/b", "name": "News"}, "key"),
        ({"key": "k" * 101, "name": "News"}, "key"),
        ({"key": "news", "name": "\u0000"}, "name"),
    ],
)
def test_create_refuses_invalid_bodies_naming_the_field(development_api, body, field):
    assert field in error_of(development_api.post("/topics", body), 400)
    assert not Topic.unscoped_across_environments.exists()


def test_list_pages_by_key_with_a_total_and_first_members(tenant, development_api):
    for key in ("c", "a", "b"):
        TopicFactory(environment=tenant.development, key=key)
    TopicFactory(environment=tenant.production, key="elsewhere")
    TopicSubscriptionFactory(
        topic=Topic.unscoped_across_environments.get(key="a"),
        subscriber=SubscriberFactory(environment=tenant.development, subscriber_id="ada"),
    )
    body = development_api.get("/topics", page=0, limit=2).json()
    assert (body["page"], body["pageSize"], body["totalCount"], body["hasMore"]) == (0, 2, 3, True)
    assert [(topic["key"], topic["subscribers"]) for topic in body["data"]] == [
        ("a", ["ada"]),
        ("b", []),
    ]
    assert [t["key"] for t in development_api.get("/topics", page=1, limit=2).json()["data"]] == [
        "c"
    ]
    assert [t["key"] for t in development_api.get("/topics", key="b").json()["data"]] == ["b"]
    assert "limit" in error_of(development_api.get("/topics", limit=500), 400)


def test_get_rename_and_their_404s(tenant, development_api):
    topic = TopicFactory(environment=tenant.development, key="news", name="News")
    TopicSubscriptionFactory(
        topic=topic,
        subscriber=SubscriberFactory(environment=tenant.development, subscriber_id="ada"),
    )
    got = development_api.get("/topics/news").json()["data"]
    assert (got["_id"], got["subscribers"]) == (str(topic.public_id), ["ada"])
    renamed = development_api.patch("/topics/news", {"name": "Product news"})
    assert renamed.status_code == 200
    assert (renamed.json()["data"]["key"], renamed.json()["data"]["name"]) == (
        "news",
        "Product news",
    )
    assert "name" in error_of(development_api.patch("/topics/news", {"name": ""}), 400)
    error_of(development_api.get("/topics/nothing"), 404)
    error_of(development_api.patch("/topics/nothing", {"name": "X"}), 404)


def test_delete_is_204_409_while_it_has_subscribers_and_404_after(tenant, development_api):
    topic = TopicFactory(environment=tenant.development, key="news")
    TopicSubscriptionFactory(
        topic=topic,
        subscriber=SubscriberFactory(environment=tenant.development, subscriber_id="ada"),
    )
    assert "still has subscribers" in error_of(development_api.delete("/topics/news"), 409)
    development_api.post("/topics/news/subscribers/removal", {"subscribers": ["ada"]})
    response = development_api.delete("/topics/news")
    assert (response.status_code, response.content) == (204, b"")
    error_of(development_api.delete("/topics/news"), 404)


def test_add_reports_succeeded_and_not_found(tenant, development_api):
    TopicFactory(environment=tenant.development, key="news")
    SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    SubscriberFactory(environment=tenant.production, subscriber_id="prod-only")
    response = development_api.post(
        "/topics/news/subscribers", {"subscribers": ["ada", "prod-only", "nobody\u0000"]}
    )
    assert response.status_code == 200
    assert response.json() == {
        "data": {"succeeded": ["ada"], "failed": {"notFound": ["prod-only", "nobody\u0000"]}}
    }
    assert TopicSubscription.unscoped_across_environments.count() == 1


@pytest.mark.parametrize("path", ["/topics/news/subscribers", "/topics/news/subscribers/removal"])
def test_membership_changes_take_1_to_100_and_need_the_topic(tenant, development_api, path):
    error_of(development_api.post(path, {"subscribers": ["ada"]}), 404)
    TopicFactory(environment=tenant.development, key="news")
    assert "subscribers" in error_of(development_api.post(path, {"subscribers": []}), 400)
    too_many = {"subscribers": [f"s{n}" for n in range(101)]}
    assert "subscribers" in error_of(development_api.post(path, too_many), 400)


def test_removal_is_204(tenant, development_api):
    topic = TopicFactory(environment=tenant.development, key="news")
    subscription = TopicSubscriptionFactory(topic=topic)
    response = development_api.post(
        "/topics/news/subscribers/removal",
        {"subscribers": [subscription.subscriber.subscriber_id, "nobody"]},
    )
    assert (response.status_code, response.content) == (204, b"")
    assert not TopicSubscription.unscoped_across_environments.exists()


def test_check_is_200_for_a_member_and_404_otherwise(tenant, development_api):
    topic = TopicFactory(environment=tenant.development, key="news")
    subscription = TopicSubscriptionFactory(
        topic=topic,
        subscriber=SubscriberFactory(environment=tenant.development, subscriber_id="ada"),
    )
    SubscriberFactory(environment=tenant.development, subscriber_id="grace")
    response = development_api.get("/topics/news/subscribers/ada")
    assert response.status_code == 200
    assert response.json()["data"] == {
        "_id": str(subscription.public_id),
        "_organizationId": str(tenant.organization.pk),
        "_environmentId": str(tenant.development.pk),
        "_subscriberId": str(subscription.subscriber.public_id),
        "_topicId": str(topic.public_id),
        "topicKey": "news",
        "externalSubscriberId": "ada",
    }
    error_of(development_api.get("/topics/news/subscribers/grace"), 404)
    error_of(development_api.get("/topics/news/subscribers/nobody"), 404)
    error_of(development_api.get("/topics/other/subscribers/ada"), 404)


def test_an_api_key_manages_topics_in_production(tenant, production_api):
    SubscriberFactory(environment=tenant.production, subscriber_id="ada")
    assert production_api.post("/topics", {"key": "news", "name": "N"}).status_code == 201
    added = production_api.post("/topics/news/subscribers", {"subscribers": ["ada"]})
    assert added.json()["data"]["succeeded"] == ["ada"]
    assert TopicSubscription.unscoped_across_environments.get().environment == tenant.production
