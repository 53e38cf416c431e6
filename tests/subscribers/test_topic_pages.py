"""Topic pages: the list, a topic with its subscribers a page at a time, and, in Development,
create, rename, add, remove and delete; Production and viewers only read."""

import re

import pytest

from subscribers.models import Subscriber, Topic, TopicSubscription
from tests.factories import SubscriberFactory, TopicFactory, TopicSubscriptionFactory
from tests.subscribers.test_subscriber_pages import hrefs, page_of


def test_the_list_shows_this_environments_topics(tenant, other_tenant, login, client):
    TopicFactory(environment=tenant.development, key="news", name="Product news")
    TopicFactory(environment=tenant.production, key="prod-only")
    TopicFactory(environment=other_tenant.development, key="globex-only")
    login(tenant.viewer.user)
    html = page_of(client, tenant.url(tenant.development, "topics/"))
    assert "news" in html and "Product news" in html
    assert "prod-only" not in html and "globex-only" not in html
    assert "New topic" not in html


def test_the_list_pages_by_key(tenant, login, client):
    for n in range(25):
        TopicFactory(environment=tenant.development, key=f"topic-{n:02}")
    login(tenant.viewer.user)
    url = tenant.url(tenant.development, "topics/")
    first = page_of(client, url)
    (next_link,) = hrefs(first, "next")
    assert next_link == "?after=topic-19"
    second = page_of(client, url + next_link)
    assert re.findall(r"<code>(topic-\d\d)</code>", second) == [f"topic-{n}" for n in range(20, 25)]
    assert hrefs(second, "prev") == ["?before=topic-20"]


def test_empty_list_says_how_topics_are_made(tenant, login, client):
    login(tenant.editor.user)
    assert "Create one below" in page_of(client, tenant.url(tenant.development, "topics/"))
    production = page_of(client, tenant.url(tenant.production, "topics/"))
    assert "Your backend creates them" in production and "New topic" not in production


def test_create_a_topic_and_see_a_duplicate_refused(tenant, login, client):
    login(tenant.editor.user)
    url = tenant.url(tenant.development, "topics/new/")
    response = client.post(url, {"key": "news", "name": "News"})
    topic = Topic.unscoped_across_environments.get()
    assert response["Location"] == tenant.url(tenant.development, f"topics/{topic.public_id}/")
    again = client.post(url, {"key": "news", "name": "Again"}).content.decode()
    assert "Development already has a topic with the key “news”." in again
    invalid = client.post(url, {"key": "two words", "name": ""}).content.decode()
    assert "This field is required." in invalid
    assert Topic.unscoped_across_environments.count() == 1


def test_the_detail_pages_through_members(tenant, login, client):
    topic = TopicFactory(environment=tenant.development, key="news")
    members = [TopicSubscriptionFactory(topic=topic).subscriber for _ in range(23)]
    login(tenant.viewer.user)
    url = tenant.url(tenant.development, f"topics/{topic.public_id}/")
    first = page_of(client, url)
    shown = re.findall(r"<code>(user-\d+)</code>", first)
    assert shown == [member.subscriber_id for member in reversed(members)][:20]
    second = page_of(client, url + hrefs(first, "next")[0])
    assert len(re.findall(r"<code>(user-\d+)</code>", second)) == 3
    assert "Add subscribers" not in first and "Remove" not in first


def test_add_and_remove_subscribers(tenant, login, client):
    topic = TopicFactory(environment=tenant.development, key="news")
    ada = SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    SubscriberFactory(environment=tenant.development, subscriber_id="grace")
    SubscriberFactory(environment=tenant.production, subscriber_id="prod-only")
    login(tenant.editor.user)
    detail = tenant.url(tenant.development, f"topics/{topic.public_id}/")
    response = client.post(
        detail + "subscribers/add/", {"subscriber_ids": "ada, grace\nprod-only"}, follow=True
    )
    html = response.content.decode()
    assert "Added ada, grace to “news”." in html
    assert "Development has no subscriber prod-only." in html
    assert TopicSubscription.unscoped_across_environments.count() == 2
    client.post(detail + f"subscribers/{ada.public_id}/remove/")
    assert list(
        TopicSubscription.unscoped_across_environments.values_list(
            "subscriber__subscriber_id", flat=True
        )
    ) == ["grace"]
    too_many = ",".join(f"s{n}" for n in range(101))
    refused = client.post(detail + "subscribers/add/", {"subscriber_ids": too_many})
    assert "Add at most 100 subscribers at once (101 given)." in refused.content.decode()


def test_rename_keeps_the_key(tenant, login, client):
    topic = TopicFactory(environment=tenant.development, key="news", name="News")
    login(tenant.editor.user)
    url = tenant.url(tenant.development, f"topics/{topic.public_id}/rename/")
    assert 'value="News"' in page_of(client, url)
    assert "This field is required." in client.post(url, {"name": ""}).content.decode()
    client.post(url, {"name": "Product news"})
    topic.refresh_from_db()
    assert (topic.key, topic.name) == ("news", "Product news")


def test_delete_asks_first_and_takes_memberships_along(tenant, login, client):
    topic = TopicFactory(environment=tenant.development, key="news")
    TopicSubscriptionFactory(topic=topic)
    login(tenant.editor.user)
    url = tenant.url(tenant.development, f"topics/{topic.public_id}/delete/")
    confirmation = page_of(client, url)
    assert "Its subscribers are removed from it" in confirmation
    response = client.post(url)
    assert response["Location"] == tenant.url(tenant.development, "topics/")
    assert not Topic.unscoped_across_environments.exists()
    assert Subscriber.unscoped_across_environments.count() == 1


@pytest.mark.parametrize(
    ("role", "environment"), [("admin", "production"), ("viewer", "development")]
)
def test_read_only_places_show_no_controls_and_refuse_writes(
    tenant, login, client, role, environment
):
    environment = getattr(tenant, environment)
    topic = TopicFactory(environment=environment, key="news", name="News")
    subscriber = TopicSubscriptionFactory(topic=topic).subscriber
    login(getattr(tenant, role).user)
    detail = tenant.url(environment, f"topics/{topic.public_id}/")
    html = page_of(client, detail)
    assert 'data-testid="topic-actions"' not in html and "Add subscribers" not in html
    writes = [
        (tenant.url(environment, "topics/new/"), {"key": "k", "name": "K"}),
        (detail + "rename/", {"name": "Renamed"}),
        (detail + "delete/", {}),
        (detail + "subscribers/add/", {"subscriber_ids": subscriber.subscriber_id}),
        (detail + f"subscribers/{subscriber.public_id}/remove/", {}),
    ]
    for url, form in writes:
        assert client.post(url, form).status_code == 403, url
    for url in (detail + "rename/", detail + "delete/"):
        assert client.get(url).status_code == 403, url
    topic.refresh_from_db()
    assert topic.name == "News"
    assert TopicSubscription.unscoped_across_environments.count() == 1
    assert Topic.unscoped_across_environments.count() == 1


def test_topics_of_other_environments_are_404(tenant, login, client):
    topic = TopicFactory(environment=tenant.production)
    login(tenant.admin.user)
    detail = tenant.url(tenant.development, f"topics/{topic.public_id}/")
    assert client.get(detail).status_code == 404
    assert client.post(detail + "delete/").status_code == 404
    assert Topic.unscoped_across_environments.exists()


def test_the_detail_costs_the_same_queries_for_1_member_as_for_20(
    tenant, login, client, django_assert_max_num_queries
):
    topic = TopicFactory(environment=tenant.development)
    TopicSubscriptionFactory(topic=topic)
    url = tenant.url(tenant.development, f"topics/{topic.public_id}/")
    login(tenant.editor.user)
    with django_assert_max_num_queries(15) as few:
        client.get(url)
    for _ in range(19):
        TopicSubscriptionFactory(topic=topic)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
