"""Which integration a message goes through: the override by Provider Identifier, else the
channel's primary active one; and "skipped", with the reason, when there is none."""

from datetime import timedelta

from integrations.delivery import channel_message_send, override_identifier
from integrations.selectors import integration_for
from tests.factories import IntegrationFactory, SubscriberCredentialFactory, SubscriberFactory

FIRST, SECOND = "/hooks/first", "/hooks/second"


def test_an_override_picks_its_slack_integration_and_the_primary_is_the_default(
    tenant, httpserver, slack
):
    primary = slack(identifier="slack-ops", primary=True,
                    credentials={"webhookUrl": httpserver.url_for(FIRST)})  # fmt: skip
    other = slack(identifier="slack-sales", credentials={"webhookUrl": httpserver.url_for(SECOND)})
    httpserver.expect_request(FIRST).respond_with_data("ok")
    httpserver.expect_request(SECOND).respond_with_data("ok")
    subscriber = SubscriberFactory(environment=tenant.production)

    by_default = channel_message_send(
        environment=tenant.production, channel="chat", subscriber=subscriber, content="a"
    )
    overridden = channel_message_send(
        environment=tenant.production,
        channel="chat",
        subscriber=subscriber,
        content="b",
        overrides={"chat": {"integrationIdentifier": "slack-sales"}},
    )

    assert by_default.integration_identifier == primary.identifier
    assert overridden.integration_identifier == other.identifier
    received = [(request.path, request.get_json()["text"]) for request, _ in httpserver.log]
    assert received == [(FIRST, "a"), (SECOND, "b")]


def test_a_subscriber_webhook_goes_first_and_is_tied_to_its_integration(tenant, httpserver, slack):
    ops = slack(identifier="slack-ops", primary=True,
                credentials={"webhookUrl": httpserver.url_for("/default")})  # fmt: skip
    slack(identifier="slack-sales")
    subscriber = SubscriberFactory(environment=tenant.production)
    SubscriberCredentialFactory(
        subscriber=subscriber, provider_id="slack", webhook_url=httpserver.url_for("/own"),
        integration_identifier="slack-sales",
    )  # fmt: skip
    httpserver.expect_request("/own").respond_with_data("ok")
    httpserver.expect_request("/default").respond_with_data("ok")

    # The subscriber's webhook belongs to slack-sales: the primary (slack-ops) uses its default.
    channel_message_send(
        environment=tenant.production, channel="chat", subscriber=subscriber, content="x"
    )
    channel_message_send(
        environment=tenant.production, channel="chat", subscriber=subscriber, content="y",
        overrides={"chat": {"integrationIdentifier": "slack-sales"}},
    )  # fmt: skip
    assert [request.path for request, _ in httpserver.log] == ["/default", "/own"]
    assert ops.primary


def test_without_an_active_integration_the_step_is_skipped_with_the_reason(tenant, slack):
    subscriber = SubscriberFactory(environment=tenant.production, phone="+15555550100")
    answer = channel_message_send(
        environment=tenant.production, channel="sms", subscriber=subscriber, content="x"
    )
    assert (answer.status, answer.detail) == (
        "skipped",
        "Production has no active SMS integration.",
    )

    slack(active=False, identifier="slack-off")
    answer = channel_message_send(
        environment=tenant.production, channel="chat", subscriber=subscriber, content="x"
    )
    assert answer.detail == "Production has no active chat integration."
    answer = channel_message_send(
        environment=tenant.production, channel="chat", subscriber=subscriber, content="x",
        overrides={"chat": {"integrationIdentifier": "slack-off"}},
    )  # fmt: skip
    assert (answer.status, answer.detail) == ("skipped", "The integration “slack-off” is inactive.")


def test_an_override_that_names_nothing_or_another_channel_is_skipped(tenant, slack):
    IntegrationFactory(environment=tenant.production, identifier="mail", primary=True)
    slack(identifier="slack-ops", primary=True)
    subscriber = SubscriberFactory(environment=tenant.production)
    unknown = channel_message_send(
        environment=tenant.production, channel="email", subscriber=subscriber,
        overrides={"email": {"integrationIdentifier": "nope"}},
    )  # fmt: skip
    assert unknown.detail == "Production has no integration with the Provider Identifier “nope”."
    wrong_channel = channel_message_send(
        environment=tenant.production, channel="email", subscriber=subscriber,
        overrides={"email": {"integrationIdentifier": "slack-ops"}},
    )  # fmt: skip
    assert wrong_channel.detail == "The integration “slack-ops” is for chat, not email."


def test_a_subscriber_without_an_address_is_skipped(tenant):
    IntegrationFactory(environment=tenant.production, primary=True)
    subscriber = SubscriberFactory(environment=tenant.production, email="")
    answer = channel_message_send(
        environment=tenant.production, channel="email", subscriber=subscriber
    )
    assert (answer.status, answer.detail) == ("skipped", "The subscriber has no email address.")


def test_chat_without_any_webhook_is_skipped(tenant, slack):
    slack(primary=True)
    subscriber = SubscriberFactory(environment=tenant.production)
    answer = channel_message_send(
        environment=tenant.production, channel="chat", subscriber=subscriber
    )
    assert answer.status == "skipped" and "no default webhook" in answer.detail


def test_the_primary_wins_over_older_active_ones_and_the_oldest_serves_without_one(tenant, slack):
    older = slack(identifier="older")
    newer = slack(identifier="newer", primary=True)
    newer.created_at = older.created_at + timedelta(seconds=1)
    newer.save()
    assert integration_for(tenant.production, "chat") == newer
    newer.primary = False
    newer.save()
    assert integration_for(tenant.production, "chat") == older


def test_another_environment_s_integrations_are_never_chosen(tenant, other_tenant, slack):
    slack(environment=other_tenant.production, identifier="theirs", primary=True)
    assert integration_for(tenant.production, "chat") is None
    assert integration_for(tenant.production, "chat", "theirs") is None


def test_the_in_app_feed_is_always_there(tenant):
    subscriber = SubscriberFactory(environment=tenant.production)
    answer = channel_message_send(
        environment=tenant.production, channel="in_app", subscriber=subscriber, content="x"
    )
    assert (answer.status, answer.provider_id) == ("sent", "novu")


def test_overrides_of_any_shape_are_read_safely():
    assert override_identifier(None, "chat") is None
    assert override_identifier({"chat": "slack-1"}, "chat") is None
    assert override_identifier({"chat": {"integrationIdentifier": 5}}, "chat") is None
    assert override_identifier({"chat": {"integrationIdentifier": "slack-1"}}, "chat") == "slack-1"
