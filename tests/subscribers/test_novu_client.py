"""Novu's own Python SDK (PyPI ``novu`` 1.14) as a real client against a live Herald.

The SDK builds its URLs as ``url + "/v1/..."`` and parses responses into its DTOs, so these tests
catch any drift in paths, bodies, status codes or shapes that a backend using it would hit.
"""

import pytest
import requests
from novu.api import SubscriberApi, TopicApi
from novu.dto.subscriber import SubscriberDto

from environments.keys import generate_secret
from subscribers.models import Subscriber, SubscriberCredential, TopicSubscription
from tests.factories import ApiKeyFactory, WorkflowFactory


@pytest.fixture
def secret(tenant):
    secret = generate_secret()
    ApiKeyFactory(environment=tenant.development, secret=secret)
    return secret


@pytest.fixture
def subscribers_api(live_server, secret):
    return SubscriberApi(url=live_server.url, api_key=secret)


@pytest.fixture
def topics_api(live_server, secret):
    return TopicApi(url=live_server.url, api_key=secret)


def test_identify_update_get_list_and_delete(tenant, subscribers_api):
    created = subscribers_api.create(
        SubscriberDto(subscriber_id="ada", email="ada@example.com", first_name="Ada")
    )
    assert (created.subscriber_id, created.email, created.first_name) == (
        "ada",
        "ada@example.com",
        "Ada",
    )
    stored = Subscriber.unscoped_across_environments.get()
    assert created._id == str(stored.public_id)
    assert created._environment_id == str(tenant.development.pk)
    assert created.created_at.endswith("Z")

    updated = subscribers_api.put(
        SubscriberDto(subscriber_id="ada", last_name="Lovelace", data={"plan": "pro"})
    )
    assert (updated.first_name, updated.last_name, updated.data) == (
        "Ada",
        "Lovelace",
        {"plan": "pro"},
    )
    assert subscribers_api.get("ada").last_name == "Lovelace"

    subscribers_api.create(SubscriberDto(subscriber_id="grace"))
    page = subscribers_api.list()
    assert [subscriber.subscriber_id for subscriber in page.data] == ["grace", "ada"]
    assert [subscriber.subscriber_id for subscriber in subscribers_api.stream()] == [
        "grace",
        "ada",
    ]

    subscribers_api.delete("ada")
    with pytest.raises(requests.HTTPError) as missing:
        subscribers_api.get("ada")
    assert missing.value.response.status_code == 404


def test_bulk_create(subscribers_api):
    subscribers_api.create(SubscriberDto(subscriber_id="old"))
    result = subscribers_api.bulk_create(
        [SubscriberDto(subscriber_id="new"), SubscriberDto(subscriber_id="old", first_name="Old")]
    )
    assert [subscriber.subscriber_id for subscriber in result.created] == ["new"]
    assert [subscriber.subscriber_id for subscriber in result.updated] == ["old"]
    assert list(result.failed) == []


def test_credentials(subscribers_api):
    subscribers_api.create(SubscriberDto(subscriber_id="ada"))
    subscriber = subscribers_api.credentials(
        "ada", "slack", webhook_url="https://hooks.slack.example/ada"
    )
    (channel,) = subscriber.channels
    assert channel.provider_id == "slack"
    assert channel.credentials.webhook_url == "https://hooks.slack.example/ada"
    subscriber = subscribers_api.credentials("ada", "fcm", device_tokens=["token-1"])
    assert sorted(channel.provider_id for channel in subscriber.channels) == ["fcm", "slack"]
    subscribers_api.delete_credentials("ada", "slack")
    assert list(
        SubscriberCredential.unscoped_across_environments.values_list("provider_id", flat=True)
    ) == ["fcm"]


def test_preferences_of_an_environment_without_workflows(subscribers_api):
    subscribers_api.create(SubscriberDto(subscriber_id="ada"))
    assert list(subscribers_api.preferences("ada")) == []


def test_preferences(tenant, subscribers_api):
    subscribers_api.create(SubscriberDto(subscriber_id="ada"))
    workflow = WorkflowFactory(environment=tenant.development, name="Digest")
    (preference,) = subscribers_api.preferences("ada")
    assert preference.template._id == str(workflow.public_id)
    assert preference.preference.enabled is True
    changed = subscribers_api.change_channel_preference(
        "ada", str(workflow.public_id), "sms", False
    )
    assert changed.preference.channels.sms is False
    assert changed.preference.channels.email is True
    changed = subscribers_api.change_preference_state("ada", str(workflow.public_id), False)
    assert changed.preference.enabled is False


def test_topics(subscribers_api, topics_api):
    for subscriber_id in ("ada", "grace"):
        subscribers_api.create(SubscriberDto(subscriber_id=subscriber_id))
    created = topics_api.create("product-news", "Product news")
    assert (created.key, created.name) == ("product-news", "Product news")

    succeeded, failed = topics_api.subscribe("product-news", ["ada", "grace", "nobody"])
    assert (succeeded, failed) == (["ada", "grace"], {"notFound": ["nobody"]})
    assert topics_api.subscribed("product-news", "ada") is True
    topics_api.unsubscribe("product-news", "grace")
    assert topics_api.subscribed("product-news", "grace") is False
    assert topics_api.get("product-news").subscribers == ["ada"]

    renamed = topics_api.rename("product-news", "News")
    assert (renamed.key, renamed.name) == ("product-news", "News")
    listed = topics_api.list()
    assert [(topic.key, topic.name) for topic in listed.data] == [("product-news", "News")]
    assert listed.total_count == 1

    with pytest.raises(requests.HTTPError) as conflict:
        topics_api.create("product-news", "Again")
    assert conflict.value.response.status_code == 409
    with pytest.raises(requests.HTTPError) as still_used:
        topics_api.delete("product-news")
    assert still_used.value.response.status_code == 409
    topics_api.unsubscribe("product-news", ["ada"])
    topics_api.delete("product-news")
    assert not TopicSubscription.unscoped_across_environments.exists()
    with pytest.raises(requests.HTTPError) as gone:
        topics_api.get("product-news")
    assert gone.value.response.status_code == 404


def test_a_key_of_another_environment_sees_nothing(tenant, live_server, subscribers_api):
    subscribers_api.create(SubscriberDto(subscriber_id="ada"))
    production_secret = generate_secret()
    ApiKeyFactory(environment=tenant.production, secret=production_secret)
    production = SubscriberApi(url=live_server.url, api_key=production_secret)
    assert list(production.list().data) == []
    with pytest.raises(requests.HTTPError) as missing:
        production.get("ada")
    assert missing.value.response.status_code == 404
