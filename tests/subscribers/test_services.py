"""Subscriber and topic services: upserts, uniqueness per environment, bounds and the policy."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from environments.scoping import environment_scope
from subscribers import services
from subscribers.models import (
    DATA_MAX_BYTES,
    Subscriber,
    SubscriberCredential,
    SubscriberPreference,
    Topic,
    TopicSubscription,
)
from subscribers.selectors import subscriber_preferences
from subscribers.services import (
    BulkEntry,
    ChannelCredentials,
    SubscriberProfile,
)
from tests.factories import (
    ApiKeyFactory,
    SubscriberCredentialFactory,
    SubscriberFactory,
    TopicFactory,
    TopicSubscriptionFactory,
    WorkflowFactory,
)


def identify(environment, actor, subscriber_id="ada", **profile):
    with environment_scope(environment):
        return services.subscriber_identify(
            environment=environment,
            subscriber_id=subscriber_id,
            profile=SubscriberProfile(**profile),
            actor=actor,
        )


def messages_of(invalid: ValidationError) -> dict:
    return invalid.value.message_dict


# Identify: an upsert ---------------------------------------------------------------------------


def test_identify_creates_then_updates_only_the_fields_given(tenant):
    first = identify(
        tenant.development, tenant.editor, email="ada@example.com", first_name="Ada", data={"a": 1}
    )
    assert first.created
    second = identify(tenant.development, tenant.editor, last_name="Lovelace")
    assert not second.created
    assert second.subscriber.pk == first.subscriber.pk
    stored = Subscriber.unscoped_across_environments.get(pk=first.subscriber.pk)
    assert (stored.email, stored.first_name, stored.last_name, stored.data) == (
        "ada@example.com",
        "Ada",
        "Lovelace",
        {"a": 1},
    )
    assert stored.updated_at > stored.created_at


def test_an_empty_string_clears_a_field_and_data_is_replaced(tenant):
    identify(tenant.development, tenant.editor, email="ada@example.com", data={"a": 1, "b": 2})
    identify(tenant.development, tenant.editor, email="", data={"c": 3})
    stored = Subscriber.unscoped_across_environments.get(subscriber_id="ada")
    assert stored.email == ""
    assert stored.data == {"c": 3}


def test_the_same_subscriber_id_in_two_environments_is_two_people(tenant):
    development_key = ApiKeyFactory(environment=tenant.development)
    production_key = ApiKeyFactory(environment=tenant.production)
    identify(tenant.development, development_key, first_name="Test Ada")
    identify(tenant.production, production_key, first_name="Real Ada")
    rows = Subscriber.unscoped_across_environments.filter(subscriber_id="ada")
    assert sorted(rows.values_list("environment__name", "first_name")) == [
        ("Development", "Test Ada"),
        ("Production", "Real Ada"),
    ]


def test_the_database_refuses_a_second_subscriber_id_in_one_environment(tenant):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriberFactory(environment=tenant.development, subscriber_id="ada")


def test_the_database_refuses_a_second_topic_key_in_one_environment(tenant):
    TopicFactory(environment=tenant.development, key="news")
    TopicFactory(environment=tenant.production, key="news")
    with pytest.raises(IntegrityError), transaction.atomic():
        TopicFactory(environment=tenant.development, key="news")


@pytest.mark.parametrize(
    ("profile", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"avatar": "javascript:alert(1)"}, "avatar", "http"),
        ({"avatar": "ftp://example.com/a.png"}, "avatar", "http"),
        ({"locale": "english please"}, "locale", "language tag"),
        ({"phone": "call me"}, "phone", "phone number"),
        ({"first_name": "x" * 101}, "first_name", "at most 100"),
        ({"data": {"blob": "x" * DATA_MAX_BYTES}}, "data", "16 KB"),
        ({"data": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {}}}}}}}}}}, "data", "levels"),
        # Text that no database stores (PostgreSQL refuses NUL; nothing encodes a lone
        # surrogate) is refused before a query runs, never a server error.
        ({"first_name": "Ada\x00"}, "first_name", "NUL"),
        ({"last_name": "\ud800"}, "last_name", "surrogates"),
        ({"email": "a\x00@example.com"}, "email", ""),
        ({"data": {"note": ["ok", "\x00"]}}, "data", "NUL"),
        ({"data": {"\ud800": 1}}, "data", "surrogates"),
    ],
)
def test_invalid_profiles_are_refused_and_name_the_field(tenant, profile, field, message):
    with pytest.raises(ValidationError) as invalid:
        identify(tenant.development, tenant.editor, **profile)
    assert message in " ".join(messages_of(invalid)[field])
    assert not Subscriber.unscoped_across_environments.exists()


@pytest.mark.parametrize(
    ("subscriber_id", "message"),
    [
        ("", "Give the subscriber an ID"),
        ("   ", "Give the subscriber an ID"),
        ("x" * 201, "200 characters"),
        (" ada", "spaces"),
        ("team/ada", "slashes"),
        ("ada\n", "spaces"),
        ("a\x00da", "control"),
        ("a\udc00da", "surrogates"),
    ],
)
def test_subscriber_ids_that_no_path_could_name_are_refused(tenant, subscriber_id, message):
    with pytest.raises(ValidationError) as invalid:
        identify(tenant.development, tenant.editor, subscriber_id=subscriber_id)
    assert message in " ".join(messages_of(invalid)["subscriber_id"])


def test_identify_sets_channel_credentials_too(tenant):
    with environment_scope(tenant.development):
        identified = services.subscriber_identify(
            environment=tenant.development,
            subscriber_id="ada",
            profile=SubscriberProfile(),
            channels=[ChannelCredentials("slack", webhook_url="https://hooks.example/ada")],
            actor=tenant.editor,
        )
    credential = SubscriberCredential.unscoped_across_environments.get()
    assert credential.subscriber == identified.subscriber
    assert credential.environment == tenant.development
    assert credential.webhook_url == "https://hooks.example/ada"


# The policy ------------------------------------------------------------------------------------


def test_members_write_test_subscribers_only_where_content_is_edited(tenant):
    with pytest.raises(PermissionDenied, match="runtime data comes from your backend"):
        identify(tenant.production, tenant.admin)
    with pytest.raises(PermissionDenied):
        identify(tenant.development, tenant.viewer)
    assert not Subscriber.unscoped_across_environments.exists()


def test_an_api_key_writes_subscribers_in_production(tenant):
    key = ApiKeyFactory(environment=tenant.production)
    assert identify(tenant.production, key).created


def test_a_key_of_another_environment_is_refused(tenant):
    development_key = ApiKeyFactory(environment=tenant.development)
    with pytest.raises(PermissionDenied):
        identify(tenant.production, development_key)


def test_every_write_asks_the_policy(tenant):
    subscriber = SubscriberFactory(environment=tenant.production)
    topic = TopicFactory(environment=tenant.production)
    workflow = WorkflowFactory(environment=tenant.production)
    member = tenant.admin
    with environment_scope(tenant.production):
        calls = [
            lambda: services.subscriber_update(
                subscriber=subscriber, profile=SubscriberProfile(first_name="X"), actor=member
            ),
            lambda: services.subscriber_delete(subscriber=subscriber, actor=member),
            lambda: services.subscribers_bulk_create(
                environment=tenant.production, entries=[BulkEntry("x")], actor=member
            ),
            lambda: services.preference_update(
                subscriber=subscriber, workflow=workflow, enabled=False, actor=member
            ),
            lambda: services.credentials_set(
                subscriber=subscriber, credentials=ChannelCredentials("slack"), actor=member
            ),
            lambda: services.credentials_delete(
                subscriber=subscriber, provider_id="slack", actor=member
            ),
            lambda: services.topic_create(
                environment=tenant.production, key="k", name="K", actor=member
            ),
            lambda: services.topic_rename(topic=topic, name="Renamed", actor=member),
            lambda: services.topic_delete(topic=topic, actor=member),
            lambda: services.topic_subscribers_add(
                topic=topic, subscriber_ids=[subscriber.subscriber_id], actor=member
            ),
            lambda: services.topic_subscribers_remove(
                topic=topic, subscriber_ids=[subscriber.subscriber_id], actor=member
            ),
        ]
        for call in calls:
            with pytest.raises(PermissionDenied):
                call()
    assert Subscriber.unscoped_across_environments.filter(pk=subscriber.pk).exists()
    assert Topic.unscoped_across_environments.get(pk=topic.pk).name == topic.name


# Update and delete -----------------------------------------------------------------------------


def test_delete_takes_preferences_credentials_and_memberships_along(tenant):
    subscriber = SubscriberFactory(environment=tenant.development)
    SubscriberCredentialFactory(subscriber=subscriber)
    TopicSubscriptionFactory(
        topic=TopicFactory(environment=tenant.development), subscriber=subscriber
    )
    workflow = WorkflowFactory(environment=tenant.development)
    with environment_scope(tenant.development):
        services.preference_update(
            subscriber=subscriber, workflow=workflow, enabled=False, actor=tenant.editor
        )
        services.subscriber_delete(subscriber=subscriber, actor=tenant.editor)
    assert not Subscriber.unscoped_across_environments.exists()
    assert not SubscriberPreference.unscoped_across_environments.exists()
    assert not SubscriberCredential.unscoped_across_environments.exists()
    assert not TopicSubscription.unscoped_across_environments.exists()
    assert Topic.unscoped_across_environments.exists()


def test_update_validates_like_identify(tenant):
    subscriber = SubscriberFactory(environment=tenant.development, email="ada@example.com")
    with environment_scope(tenant.development), pytest.raises(ValidationError) as invalid:
        services.subscriber_update(
            subscriber=subscriber, profile=SubscriberProfile(email="nope"), actor=tenant.editor
        )
    assert "email" in messages_of(invalid)
    subscriber.refresh_from_db()
    assert subscriber.email == "ada@example.com"


# Bulk ------------------------------------------------------------------------------------------


def bulk(environment, actor, entries):
    with environment_scope(environment):
        return services.subscribers_bulk_create(
            environment=environment, entries=entries, actor=actor
        )


def test_bulk_reports_created_updated_and_failed_like_novu(tenant):
    SubscriberFactory(environment=tenant.development, subscriber_id="old", first_name="Old")
    SubscriberFactory(environment=tenant.production, subscriber_id="new")
    outcome = bulk(
        tenant.development,
        tenant.editor,
        [
            BulkEntry("new", SubscriberProfile(first_name="New")),
            BulkEntry("old", SubscriberProfile(first_name="Renewed")),
            BulkEntry("broken", SubscriberProfile(email="nope")),
            BulkEntry("with/slash"),
        ],
    )
    assert outcome.created == ["new"]
    assert outcome.updated == ["old"]
    assert [(failure.subscriber_id, failure.message) for failure in outcome.failed] == [
        ("broken", "email: Enter a valid email address."),
        ("with/slash", "subscriber_id: Use an ID without slashes or control characters."),
    ]
    rows = Subscriber.unscoped_across_environments.filter(environment=tenant.development)
    assert dict(rows.values_list("subscriber_id", "first_name")) == {
        "new": "New",
        "old": "Renewed",
    }


def test_bulk_writes_an_id_given_twice_once_with_the_later_fields(tenant):
    outcome = bulk(
        tenant.development,
        tenant.editor,
        [
            BulkEntry("ada", SubscriberProfile(first_name="Ada", email="a@example.com")),
            BulkEntry("ada", SubscriberProfile(first_name="Augusta")),
        ],
    )
    assert outcome.created == ["ada"]
    stored = Subscriber.unscoped_across_environments.get()
    assert (stored.first_name, stored.email) == ("Augusta", "a@example.com")


def test_bulk_takes_at_most_500(tenant):
    with pytest.raises(ValidationError, match="at most 500"):
        bulk(tenant.development, tenant.editor, [BulkEntry(f"s{n}") for n in range(501)])
    assert not Subscriber.unscoped_across_environments.exists()


def test_bulk_of_500_costs_a_handful_of_queries(tenant, django_assert_max_num_queries):
    SubscriberFactory(environment=tenant.development, subscriber_id="s0")
    entries = [BulkEntry(f"s{n}", SubscriberProfile(first_name=f"N{n}")) for n in range(500)]
    with django_assert_max_num_queries(20):
        outcome = bulk(tenant.development, tenant.editor, entries)
    assert len(outcome.created) == 499
    assert outcome.updated == ["s0"]


# Preferences -----------------------------------------------------------------------------------


def test_a_preference_overrides_the_workflow_defaults_channel_by_channel(tenant):
    subscriber = SubscriberFactory(environment=tenant.development)
    workflow = WorkflowFactory(
        environment=tenant.development,
        preference_defaults={"email": True, "sms": False, "in_app": True, "chat": True},
    )
    with environment_scope(tenant.development):
        effective = services.preference_update(
            subscriber=subscriber, workflow=workflow, channels={"email": False}, actor=tenant.editor
        )
        assert effective.enabled is True
        assert effective.channels == {
            "email": False,
            "sms": False,
            "in_app": True,
            "chat": True,
            "push": True,
        }
        effective = services.preference_update(
            subscriber=subscriber, workflow=workflow, enabled=False, actor=tenant.editor
        )
        assert effective.enabled is False
        assert effective.channels["email"] is False
    stored = SubscriberPreference.unscoped_across_environments.get()
    assert (stored.enabled, stored.email, stored.sms) == (False, False, None)


def test_critical_workflows_refuse_preferences(tenant):
    subscriber = SubscriberFactory(environment=tenant.development)
    workflow = WorkflowFactory(environment=tenant.development, critical=True, name="Password reset")
    with environment_scope(tenant.development):
        with pytest.raises(ValidationError, match="critical"):
            services.preference_update(
                subscriber=subscriber, workflow=workflow, enabled=False, actor=tenant.editor
            )
        (effective,) = subscriber_preferences(subscriber=subscriber)
    assert effective.enabled is True
    assert set(effective.channels.values()) == {True}
    assert not SubscriberPreference.unscoped_across_environments.exists()


def test_a_preference_names_a_workflow_of_the_subscribers_environment(tenant):
    subscriber = SubscriberFactory(environment=tenant.development)
    elsewhere = WorkflowFactory(environment=tenant.production)
    with environment_scope(tenant.development), pytest.raises(ValidationError) as invalid:
        services.preference_update(
            subscriber=subscriber, workflow=elsewhere, enabled=False, actor=tenant.editor
        )
    assert "workflow" in messages_of(invalid)


def test_a_preference_change_must_change_something_known(tenant):
    subscriber = SubscriberFactory(environment=tenant.development)
    workflow = WorkflowFactory(environment=tenant.development)
    with environment_scope(tenant.development):
        with pytest.raises(ValidationError, match="Send `enabled`"):
            services.preference_update(
                subscriber=subscriber, workflow=workflow, actor=tenant.editor
            )
        with pytest.raises(ValidationError, match="Unknown channel fax"):
            services.preference_update(
                subscriber=subscriber,
                workflow=workflow,
                channels={"fax": True},
                actor=tenant.editor,
            )


# Credentials -----------------------------------------------------------------------------------


def set_credentials(subscriber, actor, **credentials):
    with environment_scope(subscriber.environment):
        return services.credentials_set(
            subscriber=subscriber, credentials=ChannelCredentials(**credentials), actor=actor
        )


def test_credentials_are_one_row_per_provider_and_keep_what_is_not_sent(tenant):
    subscriber = SubscriberFactory(environment=tenant.development)
    set_credentials(subscriber, tenant.editor, provider_id="fcm", device_tokens=["a", "b", "a"])
    set_credentials(subscriber, tenant.editor, provider_id="fcm", integration_identifier="fcm-1")
    set_credentials(subscriber, tenant.editor, provider_id="fcm", device_tokens=["c"])
    credential = SubscriberCredential.unscoped_across_environments.get()
    assert credential.device_tokens == ["c"]
    assert credential.integration_identifier == "fcm-1"


@pytest.mark.parametrize(
    ("credentials", "field", "message"),
    [
        ({"provider_id": "carrier-pigeon"}, "provider_id", "Unknown provider"),
        ({"provider_id": "slack", "webhook_url": "file:///etc/passwd"}, "webhook_url", "http"),
        ({"provider_id": "slack", "webhook_url": "hooks.slack.com/x"}, "webhook_url", "http"),
        (
            {"provider_id": "fcm", "device_tokens": [f"t{n}" for n in range(21)]},
            "device_tokens",
            "at most 20",
        ),
        ({"provider_id": "fcm", "device_tokens": ["x" * 501]}, "device_tokens", "500"),
        ({"provider_id": "fcm", "device_tokens": [""]}, "device_tokens", "1 to 500"),
    ],
)
def test_invalid_credentials_are_refused(tenant, credentials, field, message):
    subscriber = SubscriberFactory(environment=tenant.development)
    with pytest.raises(ValidationError) as invalid:
        set_credentials(subscriber, tenant.editor, **credentials)
    assert message in " ".join(messages_of(invalid)[field])
    assert not SubscriberCredential.unscoped_across_environments.exists()


def test_credentials_delete_forgets_one_provider(tenant):
    subscriber = SubscriberFactory(environment=tenant.development)
    SubscriberCredentialFactory(subscriber=subscriber, provider_id="slack")
    SubscriberCredentialFactory(subscriber=subscriber, provider_id="discord")
    with environment_scope(tenant.development):
        assert services.credentials_delete(
            subscriber=subscriber, provider_id="slack", actor=tenant.editor
        )
        assert not services.credentials_delete(
            subscriber=subscriber, provider_id="slack", actor=tenant.editor
        )
    assert list(
        SubscriberCredential.unscoped_across_environments.values_list("provider_id", flat=True)
    ) == ["discord"]


# Topics ----------------------------------------------------------------------------------------


def test_a_duplicate_topic_key_is_a_conflict(tenant):
    TopicFactory(environment=tenant.development, key="news")
    with environment_scope(tenant.development), pytest.raises(ValidationError) as invalid:
        services.topic_create(
            environment=tenant.development, key="news", name="News", actor=tenant.editor
        )
    assert invalid.value.status == 409
    assert "already has a topic" in messages_of(invalid)["key"][0]


@pytest.mark.parametrize(
    ("key", "name", "field"),
    [("with space", "N", "key"), ("a/b", "N", "key"), ("k" * 101, "N", "key"), ("ok", "", "name")],
)
def test_topic_keys_and_names_are_validated(tenant, key, name, field):
    with environment_scope(tenant.development), pytest.raises(ValidationError) as invalid:
        services.topic_create(
            environment=tenant.development, key=key, name=name, actor=tenant.editor
        )
    assert field in messages_of(invalid)


def test_adding_and_removing_report_succeeded_and_not_found(tenant):
    topic = TopicFactory(environment=tenant.development)
    SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    SubscriberFactory(environment=tenant.development, subscriber_id="grace")
    SubscriberFactory(environment=tenant.production, subscriber_id="linus")
    with environment_scope(tenant.development):
        added = services.topic_subscribers_add(
            topic=topic, subscriber_ids=["ada", "linus", "ada", "grace"], actor=tenant.editor
        )
        again = services.topic_subscribers_add(
            topic=topic, subscriber_ids=["ada"], actor=tenant.editor
        )
        assert (added.succeeded, added.not_found) == (["ada", "grace"], ["linus"])
        assert again.succeeded == ["ada"]
        assert TopicSubscription.objects.filter(topic=topic).count() == 2
        removed = services.topic_subscribers_remove(
            topic=topic, subscriber_ids=["grace", "nobody"], actor=tenant.editor
        )
    assert (removed.succeeded, removed.not_found) == (["grace"], ["nobody"])
    assert list(
        TopicSubscription.unscoped_across_environments.values_list(
            "subscriber__subscriber_id", flat=True
        )
    ) == ["ada"]


def test_at_most_100_subscribers_per_call(tenant):
    topic = TopicFactory(environment=tenant.development)
    with environment_scope(tenant.development), pytest.raises(ValidationError, match="100"):
        services.topic_subscribers_add(
            topic=topic, subscriber_ids=[f"s{n}" for n in range(101)], actor=tenant.editor
        )


def test_a_topic_with_subscribers_is_deleted_only_when_asked_to_take_them_along(tenant):
    subscription = TopicSubscriptionFactory(topic=TopicFactory(environment=tenant.development))
    topic = subscription.topic
    with environment_scope(tenant.development):
        with pytest.raises(ValidationError, match="still has subscribers") as refused:
            services.topic_delete(topic=topic, actor=tenant.editor)
        assert refused.value.status == 409
        services.topic_delete(topic=topic, actor=tenant.editor, with_subscriptions=True)
    assert not Topic.unscoped_across_environments.exists()
    assert Subscriber.unscoped_across_environments.filter(pk=subscription.subscriber_id).exists()


def test_rename_keeps_the_key(tenant):
    topic = TopicFactory(environment=tenant.development, key="news", name="News")
    with environment_scope(tenant.development):
        services.topic_rename(topic=topic, name="  Product news ", actor=tenant.editor)
        with pytest.raises(ValidationError):
            services.topic_rename(topic=topic, name="", actor=tenant.editor)
    topic.refresh_from_db()
    assert (topic.key, topic.name) == ("news", "Product news")


def test_an_identify_that_loses_the_insert_race_updates_instead(tenant, monkeypatch):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada", first_name="Ada")
    real_locked = services._locked
    calls = []

    def racing_locked(subscriber_id):
        # The first look happens before the other request's insert commits.
        calls.append(subscriber_id)
        return None if len(calls) == 1 else real_locked(subscriber_id)

    monkeypatch.setattr(services, "_locked", racing_locked)
    identified = identify(tenant.development, tenant.editor, last_name="Lovelace")
    assert not identified.created
    stored = Subscriber.unscoped_across_environments.get()
    assert (stored.first_name, stored.last_name) == ("Ada", "Lovelace")
