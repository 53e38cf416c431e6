"""A key reaches its own environment's subscribers and topics only.

Development's data is read and written below with keys of Production (same organization) and
of another organization's Development: every id of Development is unknown to them (404, never
403, so nothing tells them it exists), and nothing of Development changes.
"""

import pytest

from subscribers.models import Subscriber, SubscriberCredential, Topic, TopicSubscription
from tests.factories import (
    SubscriberCredentialFactory,
    SubscriberFactory,
    TopicFactory,
    TopicSubscriptionFactory,
)
from tests.subscribers.conftest import error_of

# Routes that name Development's subscriber "ada" or topic "news", with a body where needed.
ROUTES_BY_ID = [
    ("get", "/subscribers/ada", None),
    ("put", "/subscribers/ada", {"firstName": "Mallory"}),
    ("delete", "/subscribers/ada", None),
    ("get", "/subscribers/ada/preferences", None),
    (
        "patch",
        "/subscribers/ada/preferences/00000000-0000-4000-8000-000000000000",
        {"enabled": False},
    ),
    ("put", "/subscribers/ada/credentials", {"providerId": "slack"}),
    ("delete", "/subscribers/ada/credentials/slack", None),
    ("get", "/topics/news", None),
    ("patch", "/topics/news", {"name": "Mallory"}),
    ("delete", "/topics/news", None),
    ("post", "/topics/news/subscribers", {"subscribers": ["ada"]}),
    ("post", "/topics/news/subscribers/removal", {"subscribers": ["ada"]}),
    ("get", "/topics/news/subscribers/ada", None),
]


@pytest.fixture
def development_data(tenant):
    ada = SubscriberFactory(environment=tenant.development, subscriber_id="ada", first_name="Ada")
    SubscriberCredentialFactory(subscriber=ada, provider_id="slack")
    topic = TopicFactory(environment=tenant.development, key="news", name="News")
    TopicSubscriptionFactory(topic=topic, subscriber=ada)
    return ada


def development_is_untouched(tenant):
    ada = Subscriber.unscoped_across_environments.get(environment=tenant.development)
    assert ada.first_name == "Ada"
    assert SubscriberCredential.unscoped_across_environments.filter(subscriber=ada).exists()
    topic = Topic.unscoped_across_environments.get(environment=tenant.development)
    assert topic.name == "News"
    assert TopicSubscription.unscoped_across_environments.filter(topic=topic).count() == 1


@pytest.fixture(params=["production of the same organization", "another organization"])
def foreign_api(request, production_api, other_api):
    return production_api if request.param.startswith("production") else other_api


@pytest.mark.parametrize(("method", "path", "body"), ROUTES_BY_ID)
def test_ids_of_another_environment_are_404(
    tenant, development_data, foreign_api, method, path, body
):
    call = getattr(foreign_api, method)
    response = call(path) if body is None else call(path, body)
    error_of(response, 404)
    development_is_untouched(tenant)


def test_lists_show_nothing_of_another_environment(tenant, development_data, foreign_api):
    assert foreign_api.get("/subscribers").json()["data"] == []
    topics = foreign_api.get("/topics").json()
    assert (topics["data"], topics["totalCount"]) == ([], 0)


def test_the_same_ids_elsewhere_are_other_rows(tenant, development_data, foreign_api):
    assert foreign_api.post("/subscribers", {"subscriberId": "ada"}).status_code == 201
    assert foreign_api.post("/topics", {"key": "news", "name": "Theirs"}).status_code == 201
    added = foreign_api.post("/topics/news/subscribers", {"subscribers": ["ada"]})
    assert added.json()["data"]["succeeded"] == ["ada"]
    bulk = foreign_api.post("/subscribers/bulk", {"subscribers": [{"subscriberId": "ada"}]})
    assert bulk.json()["data"]["updated"] == [{"subscriberId": "ada"}]
    assert Subscriber.unscoped_across_environments.filter(subscriber_id="ada").count() == 2
    development_is_untouched(tenant)
