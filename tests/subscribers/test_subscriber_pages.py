"""Subscriber pages: the list with search and keyset pages, the detail, and test subscribers
created, edited and deleted in Development; Production and viewers only read."""

import re

import pytest
from django.test import Client

from subscribers.models import Subscriber, SubscriberPreference
from tests.factories import (
    SubscriberCredentialFactory,
    SubscriberFactory,
    SubscriberPreferenceFactory,
    TopicFactory,
    TopicSubscriptionFactory,
    WorkflowFactory,
)


def page_of(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def hrefs(html: str, rel: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in re.findall(rf'href="([^"]+)" rel="{rel}"', html)]


# The list --------------------------------------------------------------------------------------


def test_the_list_shows_this_environments_subscribers_only(tenant, other_tenant, login, client):
    SubscriberFactory(environment=tenant.development, subscriber_id="dev-ada", first_name="Ada")
    SubscriberFactory(environment=tenant.production, subscriber_id="prod-grace")
    SubscriberFactory(environment=other_tenant.development, subscriber_id="globex-linus")
    login(tenant.viewer.user)
    html = page_of(client, tenant.url(tenant.development, "subscribers/"))
    assert "dev-ada" in html and "Ada" in html
    assert "prod-grace" not in html and "globex-linus" not in html
    production = page_of(client, tenant.url(tenant.production, "subscribers/"))
    assert "prod-grace" in production and "dev-ada" not in production


def test_search_narrows_the_list_and_htmx_gets_only_the_results(tenant, login, client):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada", email="ada@a.example")
    SubscriberFactory(environment=tenant.development, subscriber_id="grace", last_name="Hopper")
    login(tenant.viewer.user)
    url = tenant.url(tenant.development, "subscribers/")
    html = page_of(client, url, q="hop")
    assert ">grace<" in html and ">ada<" not in html
    assert 'value="hop"' in html
    fragment = client.get(url, {"q": "ADA@"}, headers={"HX-Request": "true"}).content.decode()
    assert ">ada<" in fragment and ">grace<" not in fragment
    assert "<html" not in fragment and 'id="subscriber-results"' in fragment
    no_match = page_of(client, url, q="zz")
    assert "No subscriber's ID, email or name starts with “zz”" in no_match
    assert "Clear the search" in no_match


def test_next_and_previous_carry_a_cursor_and_the_search(tenant, login, client):
    made = [
        SubscriberFactory(environment=tenant.development, subscriber_id=f"user-{n:02}")
        for n in range(45)
    ]
    SubscriberFactory(environment=tenant.development, subscriber_id="other")
    login(tenant.viewer.user)
    url = tenant.url(tenant.development, "subscribers/")
    first = page_of(client, url, q="user")
    assert hrefs(first, "prev") == []
    (next_link,) = hrefs(first, "next")
    assert next_link.startswith("?q=user&after=")
    assert "page=" not in next_link and " in all" not in first
    second = page_of(client, url + next_link)
    shown = re.findall(r"<code>(user-\d\d)</code>", second)
    assert shown == [subscriber.subscriber_id for subscriber in reversed(made)][20:40]
    (previous_link,) = hrefs(second, "prev")
    assert previous_link.startswith("?q=user&before=")
    back = page_of(client, url + previous_link)
    assert re.findall(r"<code>(user-\d\d)</code>", back)[0] == "user-44"
    third = page_of(client, url + hrefs(second, "next")[0])
    assert len(re.findall(r"<code>(user-\d\d)</code>", third)) == 5
    assert hrefs(third, "next") == []


def test_a_garbage_cursor_shows_the_first_page(tenant, login, client):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    login(tenant.viewer.user)
    html = page_of(client, tenant.url(tenant.development, "subscribers/"), after="<script>")
    assert ">ada<" in html


def test_the_list_costs_the_same_queries_for_20_rows_as_for_1(
    tenant, login, client, django_assert_max_num_queries
):
    login(tenant.viewer.user)
    url = tenant.url(tenant.development, "subscribers/")
    SubscriberFactory(environment=tenant.development)
    with django_assert_max_num_queries(12) as one:
        client.get(url)
    for _ in range(25):
        SubscriberFactory(environment=tenant.development)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(url)


def test_empty_states_say_where_subscribers_come_from(tenant, login, client):
    login(tenant.editor.user)
    development = page_of(client, tenant.url(tenant.development, "subscribers/"))
    assert "No subscribers in Development yet." in development
    assert "Create a test subscriber" in development
    production = page_of(client, tenant.url(tenant.production, "subscribers/"))
    assert "No subscribers in Production yet." in production
    assert "Production's API key" in production


def test_the_sidebar_links_subscribers_and_topics(tenant, login, client):
    login(tenant.viewer.user)
    html = page_of(client, tenant.url(tenant.development, "subscribers/"))
    assert f'href="{tenant.url(tenant.development, "subscribers/")}" aria-current="page"' in html
    assert f'href="{tenant.url(tenant.development, "topics/")}"' in html


# Controls by environment and role --------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "environment", "may_write"),
    [
        ("editor", "development", True),
        ("admin", "development", True),
        ("viewer", "development", False),
        ("admin", "production", False),
    ],
)
def test_write_controls_show_only_where_they_work(
    tenant, login, client, role, environment, may_write
):
    environment = getattr(tenant, environment)
    subscriber = SubscriberFactory(environment=environment)
    workflow = WorkflowFactory(environment=environment)
    login(getattr(tenant, role).user)
    listing = page_of(client, tenant.url(environment, "subscribers/"))
    assert ("New subscriber" in listing) is may_write
    detail = page_of(client, tenant.url(environment, f"subscribers/{subscriber.public_id}/"))
    assert ('data-testid="subscriber-actions"' in detail) is may_write
    preference_form = f"subscribers/{subscriber.public_id}/preferences/{workflow.pk}/"
    assert (preference_form in detail) is may_write
    assert ('type="checkbox"' in detail) is may_write


# The detail ------------------------------------------------------------------------------------


def test_the_detail_shows_profile_channels_preferences_and_topics(tenant, login, client):
    subscriber = SubscriberFactory(
        environment=tenant.development,
        subscriber_id="ada",
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        locale="en-GB",
        data={"plan": "pro"},
    )
    SubscriberCredentialFactory(
        subscriber=subscriber,
        provider_id="slack",
        webhook_url="https://hooks.slack.example/services/SECRET-TOKEN",
    )
    SubscriberCredentialFactory(
        subscriber=subscriber, provider_id="fcm", webhook_url="", device_tokens=["a", "b"]
    )
    digest = WorkflowFactory(environment=tenant.development, name="Weekly digest")
    WorkflowFactory(environment=tenant.development, name="Password reset", critical=True)
    SubscriberPreferenceFactory(subscriber=subscriber, workflow=digest, email=False)
    TopicSubscriptionFactory(
        topic=TopicFactory(environment=tenant.development, key="beta-testers"),
        subscriber=subscriber,
    )
    login(tenant.viewer.user)
    html = page_of(client, tenant.url(tenant.development, f"subscribers/{subscriber.public_id}/"))
    assert "Ada Lovelace" in html and "ada@example.com" in html and "en-GB" in html
    assert "&quot;plan&quot;: &quot;pro&quot;" in html
    assert "hooks.slack.example/… (webhook)" in html
    assert "SECRET-TOKEN" not in html
    assert "2 device tokens" in html
    assert "Weekly digest" in html and "Password reset" in html
    assert 'title="Email off"' in html
    assert "beta-testers" in html


def test_subscribers_of_other_environments_are_404(tenant, other_tenant, login, client):
    production = SubscriberFactory(environment=tenant.production)
    elsewhere = SubscriberFactory(environment=other_tenant.development)
    login(tenant.admin.user)
    for subscriber in (production, elsewhere):
        detail = tenant.url(tenant.development, f"subscribers/{subscriber.public_id}/")
        assert client.get(detail).status_code == 404
        for path in ("edit/", "delete/"):
            assert client.get(detail + path).status_code == 404
            assert client.post(detail + path).status_code == 404
    assert Subscriber.unscoped_across_environments.count() == 2


# Create, edit, delete in Development -----------------------------------------------------------


def test_create_a_test_subscriber(tenant, login, client):
    login(tenant.editor.user)
    url = tenant.url(tenant.development, "subscribers/new/")
    assert "New test subscriber" in page_of(client, url)
    response = client.post(
        url,
        {
            "subscriber_id": "ada",
            "email": "ada@example.com",
            "first_name": "Ada",
            "data": '{"plan": "pro"}',
        },
    )
    subscriber = Subscriber.unscoped_across_environments.get()
    assert response.status_code == 302
    assert response["Location"] == tenant.url(
        tenant.development, f"subscribers/{subscriber.public_id}/"
    )
    assert (subscriber.environment, subscriber.email, subscriber.data) == (
        tenant.development,
        "ada@example.com",
        {"plan": "pro"},
    )


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"subscriber_id": ""}, "This field is required."),
        ({"subscriber_id": "a/b"}, "without slashes"),
        ({"subscriber_id": "ada", "email": "nope"}, "Enter a valid email address."),
        ({"subscriber_id": "ada", "avatar": "javascript:alert(1)"}, "http:// or https://"),
        ({"subscriber_id": "ada", "data": "{not json"}, "This is not valid JSON"),
        ({"subscriber_id": "ada", "data": "[1, 2]"}, "Enter a JSON object"),
        ({"subscriber_id": "ada", "data": "[" * 5000}, "JSON"),
        ({"subscriber_id": "ada", "locale": "klingon please"}, "language tag"),
    ],
)
def test_create_shows_validation_messages_on_the_form(tenant, login, client, form, message):
    login(tenant.editor.user)
    response = client.post(tenant.url(tenant.development, "subscribers/new/"), form)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html.replace("&#x27;", "'")
    assert 'class="field__error"' in html
    assert not Subscriber.unscoped_across_environments.exists()


def test_create_refuses_an_id_that_exists(tenant, login, client):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada", first_name="Ada")
    login(tenant.editor.user)
    response = client.post(
        tenant.url(tenant.development, "subscribers/new/"),
        {"subscriber_id": "ada", "first_name": "Mallory"},
    )
    assert "Development already has the subscriber “ada”" in response.content.decode()
    assert Subscriber.unscoped_across_environments.get().first_name == "Ada"


def test_edit_changes_and_clears_fields_but_not_the_id(tenant, login, client):
    subscriber = SubscriberFactory(
        environment=tenant.development, subscriber_id="ada", email="a@example.com", phone="123"
    )
    login(tenant.editor.user)
    url = tenant.url(tenant.development, f"subscribers/{subscriber.public_id}/edit/")
    form = page_of(client, url)
    assert 'value="a@example.com"' in form and 'name="subscriber_id"' not in form
    response = client.post(
        url, {"subscriber_id": "mallory", "email": "ada@example.com", "phone": "", "data": ""}
    )
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert (subscriber.subscriber_id, subscriber.email, subscriber.phone) == (
        "ada",
        "ada@example.com",
        "",
    )
    invalid = client.post(url, {"email": "nope"})
    assert "Enter a valid email address." in invalid.content.decode()


def test_delete_asks_first_then_deletes(tenant, login, client):
    subscriber = SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    login(tenant.editor.user)
    url = tenant.url(tenant.development, f"subscribers/{subscriber.public_id}/delete/")
    confirmation = page_of(client, url)
    assert "Delete the subscriber <code>ada</code>?" in confirmation
    assert Subscriber.unscoped_across_environments.exists()
    response = client.post(url)
    assert response["Location"] == tenant.url(tenant.development, "subscribers/")
    assert not Subscriber.unscoped_across_environments.exists()


def test_preferences_are_saved_per_workflow(tenant, login, client):
    subscriber = SubscriberFactory(environment=tenant.development)
    workflow = WorkflowFactory(environment=tenant.development)
    critical = WorkflowFactory(environment=tenant.development, critical=True, name="Reset")
    login(tenant.editor.user)
    base = f"subscribers/{subscriber.public_id}/preferences/"
    response = client.post(
        tenant.url(tenant.development, f"{base}{workflow.pk}/"), {"enabled": "on", "sms": "on"}
    )
    assert response["Location"].endswith("#preferences")
    stored = SubscriberPreference.unscoped_across_environments.get()
    assert (stored.enabled, stored.sms, stored.email, stored.in_app) == (True, True, False, False)
    client.post(tenant.url(tenant.development, f"{base}{critical.pk}/"), {"enabled": ""})
    follow = page_of(client, tenant.url(tenant.development, f"subscribers/{subscriber.public_id}/"))
    assert "“Reset” is critical" in follow
    assert SubscriberPreference.unscoped_across_environments.count() == 1
    other = WorkflowFactory(environment=tenant.production)
    assert client.post(tenant.url(tenant.development, f"{base}{other.pk}/")).status_code == 404


# Production and viewers ------------------------------------------------------------------------


def write_urls(tenant, environment, subscriber, workflow):
    detail = f"subscribers/{subscriber.public_id}/"
    return [
        tenant.url(environment, "subscribers/new/"),
        tenant.url(environment, f"{detail}edit/"),
        tenant.url(environment, f"{detail}delete/"),
        tenant.url(environment, f"{detail}preferences/{workflow.pk}/"),
    ]


def test_production_refuses_every_write_even_to_admins(tenant, login, client):
    subscriber = SubscriberFactory(environment=tenant.production, first_name="Real")
    workflow = WorkflowFactory(environment=tenant.production)
    login(tenant.admin.user)
    for url in write_urls(tenant, tenant.production, subscriber, workflow):
        response = client.post(url, {"subscriber_id": "x", "first_name": "Test"})
        assert response.status_code == 403, url
        assert "runtime data comes from your backend" in response.content.decode()
        if not url.endswith(f"/{workflow.pk}/"):
            assert client.get(url).status_code == 403, url
    subscriber.refresh_from_db()
    assert subscriber.first_name == "Real"
    assert Subscriber.unscoped_across_environments.count() == 1
    assert not SubscriberPreference.unscoped_across_environments.exists()


def test_viewers_write_nothing(tenant, login, client):
    subscriber = SubscriberFactory(environment=tenant.development, first_name="Ada")
    workflow = WorkflowFactory(environment=tenant.development)
    login(tenant.viewer.user)
    for url in write_urls(tenant, tenant.development, subscriber, workflow):
        assert client.post(url, {"subscriber_id": "x", "first_name": "X"}).status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.first_name == "Ada"


def test_writes_need_the_csrf_token(tenant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.editor.user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        tenant.url(tenant.development, "subscribers/new/"), {"subscriber_id": "ada"}
    )
    assert response.status_code == 403
    assert not Subscriber.unscoped_across_environments.exists()


def test_the_detail_costs_the_same_queries_however_much_it_shows(
    tenant, login, client, django_assert_max_num_queries
):
    subscriber = SubscriberFactory(environment=tenant.development)
    url = tenant.url(tenant.development, f"subscribers/{subscriber.public_id}/")
    login(tenant.editor.user)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for _ in range(6):
        workflow = WorkflowFactory(environment=tenant.development)
        SubscriberPreferenceFactory(subscriber=subscriber, workflow=workflow)
        TopicSubscriptionFactory(
            topic=TopicFactory(environment=tenant.development), subscriber=subscriber
        )
    for provider in ("slack", "discord", "fcm"):
        SubscriberCredentialFactory(subscriber=subscriber, provider_id=provider)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
