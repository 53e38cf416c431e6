"""Subscriber and topic reads: prefix search, keyset pages, effective preferences."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from environments.scoping import environment_scope
from subscribers import selectors
from subscribers.models import SubscriberPreference
from tests.factories import (
    SubscriberFactory,
    SubscriberPreferenceFactory,
    TopicFactory,
    TopicSubscriptionFactory,
    WorkflowFactory,
)


@pytest.fixture
def people(tenant):
    development = tenant.development
    return {
        "ada": SubscriberFactory(
            environment=development,
            subscriber_id="user-ada",
            email="ada@analytical.example",
            first_name="Ada",
            last_name="Lovelace",
        ),
        "grace": SubscriberFactory(
            environment=development,
            subscriber_id="user-grace",
            email="grace@navy.example",
            first_name="Grace",
            last_name="Hopper",
        ),
        "alan": SubscriberFactory(
            environment=development,
            subscriber_id="ALAN_1912",
            email="alan@bletchley.example",
            first_name="Alan",
            last_name="Turing",
        ),
    }


def ids_matching(environment, search):
    with environment_scope(environment):
        page = selectors.subscriber_page(search=search)
    return sorted(subscriber.subscriber_id for subscriber in page.rows)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("user-", ["user-ada", "user-grace"]),
        ("alan_", ["ALAN_1912"]),
        ("GRACE@", ["user-grace"]),
        ("ada@analytical.example", ["user-ada"]),
        ("a", ["ALAN_1912", "user-ada"]),
        ("hop", ["user-grace"]),
        ("Ada Love", ["user-ada"]),
        ("  turing  ", ["ALAN_1912"]),
        ("lace", []),
        ("%", []),
        ("_", []),
    ],
)
def test_search_is_a_case_insensitive_prefix_of_id_email_or_name(tenant, people, search, expected):
    assert ids_matching(tenant.development, search) == expected


def test_search_sees_only_the_environment_in_scope(tenant, other_tenant, people):
    SubscriberFactory(environment=tenant.production, subscriber_id="user-prod")
    SubscriberFactory(environment=other_tenant.development, subscriber_id="user-globex")
    assert ids_matching(tenant.development, "user") == ["user-ada", "user-grace"]
    assert ids_matching(tenant.production, "user") == ["user-prod"]


def test_keyset_pages_walk_forward_and_back_over_every_row_once(tenant):
    made = [SubscriberFactory(environment=tenant.development) for _ in range(7)]
    newest_first = [subscriber.subscriber_id for subscriber in reversed(made)]
    seen, cursor, pages = [], None, []
    with environment_scope(tenant.development):
        while True:
            page = selectors.subscriber_page(after=cursor, size=3)
            pages.append(page)
            seen += [subscriber.subscriber_id for subscriber in page.rows]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == newest_first
        assert [len(page.rows) for page in pages] == [3, 3, 1]
        assert pages[0].previous_cursor is None
        back = selectors.subscriber_page(before=pages[2].previous_cursor, size=3)
        assert [s.subscriber_id for s in back.rows] == newest_first[3:6]
        assert back.next_cursor is not None and back.previous_cursor is not None
        # Going back past the start shows a full first page, without a way further back.
        first = selectors.subscriber_page(before=back.previous_cursor, size=3)
        assert [s.subscriber_id for s in first.rows] == newest_first[:3]
        assert first.previous_cursor is None


def test_a_cursor_that_does_not_parse_shows_the_first_page(tenant):
    SubscriberFactory(environment=tenant.development)
    with environment_scope(tenant.development):
        for cursor in ("nonsense", "1e9", "", "-"):
            page = selectors.subscriber_page(after=cursor, before=cursor)
            assert len(page.rows) == 1
            assert page.previous_cursor is None


def test_a_page_reads_one_row_more_and_neither_counts_nor_offsets(tenant):
    for _ in range(5):
        SubscriberFactory(environment=tenant.development)
    with environment_scope(tenant.development), CaptureQueriesContext(connection) as queries:
        first = selectors.subscriber_page(size=2, search="user")
        selectors.subscriber_page(size=2, after=first.next_cursor)
    sql = " ".join(query["sql"].upper() for query in queries)
    assert len(queries) == 2
    assert "OFFSET" not in sql
    assert "COUNT(" not in sql
    assert "LIMIT 3" in sql


def test_preferences_list_every_workflow_with_its_effective_choice(tenant):
    subscriber = SubscriberFactory(environment=tenant.development)
    quiet = WorkflowFactory(
        environment=tenant.development, name="B digest", preference_defaults={"sms": False}
    )
    critical = WorkflowFactory(environment=tenant.development, name="A reset", critical=True)
    SubscriberPreferenceFactory(subscriber=subscriber, workflow=quiet, email=False, push=False)
    SubscriberPreferenceFactory(subscriber=subscriber, workflow=critical, enabled=False)
    WorkflowFactory(environment=tenant.production, name="Elsewhere")
    with environment_scope(tenant.development):
        preferences = selectors.subscriber_preferences(subscriber=subscriber)
    assert [preference.workflow.name for preference in preferences] == ["A reset", "B digest"]
    reset, digest = preferences
    assert reset.enabled is True and set(reset.channels.values()) == {True}
    assert digest.channels == {
        "email": False,
        "sms": False,
        "in_app": True,
        "chat": True,
        "push": False,
    }
    assert isinstance(digest.chosen, SubscriberPreference)


def test_preferences_cost_two_queries_however_many_workflows(tenant, django_assert_num_queries):
    subscriber = SubscriberFactory(environment=tenant.development)
    for _ in range(5):
        SubscriberPreferenceFactory(
            subscriber=subscriber, workflow=WorkflowFactory(environment=tenant.development)
        )
    with environment_scope(tenant.development), django_assert_num_queries(2):
        assert len(selectors.subscriber_preferences(subscriber=subscriber)) == 5


def test_topic_members_page_by_keyset(tenant):
    topic = TopicFactory(environment=tenant.development)
    members = [TopicSubscriptionFactory(topic=topic).subscriber for _ in range(5)]
    TopicSubscriptionFactory(topic=TopicFactory(environment=tenant.development))
    with environment_scope(tenant.development):
        first = selectors.topic_members_page(topic=topic, size=3)
        second = selectors.topic_members_page(topic=topic, size=3, after=first.next_cursor)
    listed = [row.subscriber.pk for row in first.rows + second.rows]
    assert listed == sorted((member.pk for member in members), reverse=True)
    assert second.next_cursor is None


def test_topic_list_carries_the_first_members_of_each(tenant):
    news = TopicFactory(environment=tenant.development, key="news")
    TopicFactory(environment=tenant.development, key="alerts")
    for _ in range(3):
        TopicSubscriptionFactory(topic=news)
    with environment_scope(tenant.development):
        topics = list(selectors.topic_list(members_limit=2))
    assert [topic.key for topic in topics] == ["alerts", "news"]
    assert [len(topic.first_members) for topic in topics] == [0, 2]


def test_topic_subscription_is_found_only_for_members(tenant):
    topic = TopicFactory(environment=tenant.development)
    member = TopicSubscriptionFactory(topic=topic).subscriber
    outsider = SubscriberFactory(environment=tenant.development)
    with environment_scope(tenant.development):
        found = selectors.topic_subscription_get(topic=topic, subscriber_id=member.subscriber_id)
        assert found.subscriber == member
        with pytest.raises(type(found).DoesNotExist):
            selectors.topic_subscription_get(topic=topic, subscriber_id=outsider.subscriber_id)


def test_unstorable_text_finds_nothing_instead_of_failing(tenant, people):
    """PostgreSQL refuses NUL in a query; such an ID cannot be stored, so it matches nothing."""
    topic = TopicFactory(environment=tenant.development, key="news")
    with environment_scope(tenant.development):
        assert selectors.subscriber_page(search="ada\x00").rows  # ignored, like no search
        for lookup in ("user-ada\x00", "\ud800"):
            with pytest.raises(selectors.Subscriber.DoesNotExist):
                selectors.subscriber_get(subscriber_id=lookup)
            with pytest.raises(selectors.Topic.DoesNotExist):
                selectors.topic_get(key=lookup)
            with pytest.raises(selectors.TopicSubscription.DoesNotExist):
                selectors.topic_subscription_get(topic=topic, subscriber_id=lookup)
            assert list(selectors.topic_list(key=lookup)) == []
