"""``/v1/subscribers``: every route and each status it answers, in Novu's shapes."""

import json
import uuid

import pytest

from subscribers.models import Subscriber, SubscriberCredential, SubscriberPreference
from tests.factories import (
    SubscriberCredentialFactory,
    SubscriberFactory,
    SubscriberPreferenceFactory,
    WorkflowFactory,
)
from tests.subscribers.conftest import ISO_8601, error_of

# Identify --------------------------------------------------------------------------------------


def test_identify_creates_a_subscriber_in_novus_shape(tenant, development_api):
    response = development_api.post(
        "/subscribers",
        {
            "subscriberId": "ada",
            "email": "ada@example.com",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "phone": "+44 20 7946 0000",
            "avatar": "https://example.com/ada.png",
            "locale": "en-GB",
            "data": {"plan": "pro", "seats": 3},
        },
    )
    assert response.status_code == 201
    subscriber = response.json()["data"]
    stored = Subscriber.unscoped_across_environments.get()
    assert subscriber == {
        "_id": str(stored.public_id),
        "_environmentId": str(tenant.development.pk),
        "_organizationId": str(tenant.organization.pk),
        "subscriberId": "ada",
        "email": "ada@example.com",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "phone": "+44 20 7946 0000",
        "avatar": "https://example.com/ada.png",
        "locale": "en-GB",
        "data": {"plan": "pro", "seats": 3},
        "channels": [],
        "deleted": False,
        "createdAt": subscriber["createdAt"],
        "updatedAt": subscriber["updatedAt"],
    }
    assert ISO_8601.match(subscriber["createdAt"]) and ISO_8601.match(subscriber["updatedAt"])
    assert subscriber["_id"] != str(stored.pk)
    assert stored.environment == tenant.development


def test_identify_again_updates_the_same_subscriber(development_api):
    created = development_api.post(
        "/subscribers", {"subscriberId": "ada", "email": "ada@example.com"}
    ).json()["data"]
    response = development_api.post(
        "/subscribers", {"subscriberId": "ada", "firstName": "Ada", "email": None}
    )
    assert response.status_code == 201
    updated = response.json()["data"]
    assert updated["_id"] == created["_id"]
    assert (updated["email"], updated["firstName"]) == ("ada@example.com", "Ada")
    assert Subscriber.unscoped_across_environments.count() == 1


def test_identify_sets_channels_given_with_the_profile(development_api):
    response = development_api.post(
        "/subscribers",
        {
            "subscriberId": "ada",
            "channels": [
                {"providerId": "slack", "credentials": {"webhookUrl": "https://hooks.example/1"}}
            ],
        },
    )
    assert response.status_code == 201
    assert response.json()["data"]["channels"] == [
        {
            "providerId": "slack",
            "credentials": {"webhookUrl": "https://hooks.example/1", "deviceTokens": []},
            "integrationIdentifier": None,
            "_integrationId": None,
        }
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "subscriberId"),
        ({"subscriberId": ""}, "subscriberId"),
        ({"subscriberId": "x" * 201}, "subscriberId"),
        ({"subscriberId": "a/b"}, "subscriberId"),
        ({"subscriberId": 42}, "subscriberId"),
        ({"subscriberId": "ada", "email": "nope"}, "email"),
        ({"subscriberId": "ada", "firstName": "x" * 101}, "firstName"),
        ({"subscriberId": "ada", "lastName": "\u0000"}, "lastName"),
        ({"subscriberId": "ada", "avatar": "javascript:alert(1)"}, "avatar"),
        ({"subscriberId": "ada", "data": ["not", "an", "object"]}, "data"),
        ({"subscriberId": "ada", "data": {"big": "x" * 20_000}}, "data"),
        ({"subscriberId": "ada", "channels": [{"providerId": "pigeon"}]}, "providerId"),
        (
            {
                "subscriberId": "ada",
                "channels": [{"providerId": "slack", "credentials": {"webhookUrl": "ftp://x"}}],
            },
            "credentials.webhookUrl",
        ),
    ],
)
def test_identify_refuses_invalid_bodies_naming_the_field(development_api, body, field):
    message = error_of(development_api.post("/subscribers", body), 400)
    assert field in message
    assert not Subscriber.unscoped_across_environments.exists()


@pytest.mark.parametrize("raw", ["{not json", "[" * 5000 + "]" * 5000, '"a string"', "null"])
def test_bodies_that_are_not_objects_are_400(development_api, raw):
    error_of(development_api.post("/subscribers", raw), 400)


def test_an_api_key_writes_subscribers_in_production(tenant, production_api):
    response = production_api.post("/subscribers", {"subscriberId": "ada"})
    assert response.status_code == 201
    assert Subscriber.unscoped_across_environments.get().environment == tenant.production


# List ------------------------------------------------------------------------------------------


def test_list_pages_newest_first_without_counting(tenant, development_api):
    made = [SubscriberFactory(environment=tenant.development) for _ in range(3)]
    SubscriberFactory(environment=tenant.production)
    first = development_api.get("/subscribers", page=0, limit=2).json()
    second = development_api.get("/subscribers", page=1, limit=2).json()
    assert (first["page"], first["pageSize"], first["hasMore"]) == (0, 2, True)
    assert (second["page"], second["hasMore"]) == (1, False)
    listed = [item["subscriberId"] for item in first["data"] + second["data"]]
    assert listed == [subscriber.subscriber_id for subscriber in reversed(made)]
    assert "totalCount" not in first


def test_list_carries_channels_in_a_fixed_number_of_queries(
    tenant, development_api, django_assert_max_num_queries
):
    for _ in range(10):
        SubscriberCredentialFactory(subscriber=SubscriberFactory(environment=tenant.development))
    with django_assert_max_num_queries(8):
        body = development_api.get("/subscribers", limit=10).json()
    assert all(len(item["channels"]) == 1 for item in body["data"])


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 101}, "limit"), ({"limit": 0}, "limit"), ({"page": -1}, "page")],
)
def test_list_refuses_pages_out_of_bounds(development_api, params, field):
    assert field in error_of(development_api.get("/subscribers", **params), 400)


# Get, update, delete ---------------------------------------------------------------------------


def test_get_returns_the_subscriber_or_404(tenant, development_api):
    subscriber = SubscriberFactory(environment=tenant.development, subscriber_id="ada:1")
    SubscriberCredentialFactory(subscriber=subscriber, provider_id="discord")
    body = development_api.get("/subscribers/ada:1").json()["data"]
    assert (body["_id"], body["subscriberId"]) == (str(subscriber.public_id), "ada:1")
    assert [channel["providerId"] for channel in body["channels"]] == ["discord"]
    assert "was not found" in error_of(development_api.get("/subscribers/nobody"), 404)


def test_put_updates_the_fields_given(tenant, development_api):
    SubscriberFactory(
        environment=tenant.development, subscriber_id="ada", first_name="Ada", email="a@x.example"
    )
    response = development_api.put(
        "/subscribers/ada",
        {"subscriberId": "ignored", "lastName": "Lovelace", "email": None, "phone": ""},
    )
    assert response.status_code == 200
    body = response.json()["data"]
    assert (body["subscriberId"], body["firstName"], body["lastName"], body["email"]) == (
        "ada",
        "Ada",
        "Lovelace",
        "a@x.example",
    )


def test_put_refuses_invalid_values_and_unknown_subscribers(tenant, development_api):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    assert "locale" in error_of(
        development_api.put("/subscribers/ada", {"locale": "not a locale"}), 400
    )
    error_of(development_api.put("/subscribers/nobody", {"firstName": "X"}), 404)


def test_delete_acknowledges_then_the_subscriber_is_gone(tenant, development_api):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    response = development_api.delete("/subscribers/ada")
    assert response.status_code == 200
    assert response.json() == {"data": {"acknowledged": True, "status": "deleted"}}
    error_of(development_api.get("/subscribers/ada"), 404)
    error_of(development_api.delete("/subscribers/ada"), 404)


# Bulk ------------------------------------------------------------------------------------------


def test_bulk_reports_each_subscriber(tenant, development_api):
    SubscriberFactory(environment=tenant.development, subscriber_id="old")
    response = development_api.post(
        "/subscribers/bulk",
        {
            "subscribers": [
                {"subscriberId": "new", "firstName": "New"},
                {"subscriberId": "old", "firstName": "Old"},
                {"subscriberId": "bad", "email": "nope"},
            ]
        },
    )
    assert response.status_code == 201
    assert response.json() == {
        "data": {
            "created": [{"subscriberId": "new"}],
            "updated": [{"subscriberId": "old"}],
            "failed": [{"subscriberId": "bad", "message": "email: Enter a valid email address."}],
        }
    }


@pytest.mark.parametrize("count", [0, 501])
def test_bulk_takes_1_to_500(development_api, count):
    body = {"subscribers": [{"subscriberId": f"s{n}"} for n in range(count)]}
    assert "subscribers" in error_of(development_api.post("/subscribers/bulk", body), 400)
    assert not Subscriber.unscoped_across_environments.exists()


# Preferences -----------------------------------------------------------------------------------


def test_preferences_of_an_unknown_subscriber_are_404(development_api):
    error_of(development_api.get("/subscribers/nobody/preferences"), 404)


def test_preferences_of_an_environment_without_workflows_are_empty(tenant, development_api):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    response = development_api.get("/subscribers/ada/preferences")
    assert response.status_code == 200
    assert response.json() == {"data": []}


def test_preferences_list_each_workflow_in_novus_shape(tenant, development_api):
    subscriber = SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    digest = WorkflowFactory(environment=tenant.development, name="Digest")
    WorkflowFactory(environment=tenant.development, name="Reset", critical=True)
    SubscriberPreferenceFactory(subscriber=subscriber, workflow=digest, sms=False)
    body = development_api.get("/subscribers/ada/preferences").json()["data"]
    assert body[0] == {
        "template": {"_id": str(digest.public_id), "name": "Digest", "critical": False},
        "preference": {
            "enabled": True,
            "channels": {"email": True, "sms": False, "in_app": True, "chat": True, "push": True},
        },
    }
    assert body[1]["template"]["critical"] is True
    assert body[1]["preference"]["enabled"] is True


def test_patch_a_channel_and_then_the_whole_workflow(tenant, development_api):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    workflow = WorkflowFactory(environment=tenant.development, name="Digest")
    path = f"/subscribers/ada/preferences/{workflow.public_id}"
    response = development_api.patch(path, {"channel": {"type": "email", "enabled": False}})
    assert response.status_code == 200
    assert response.json()["data"]["preference"]["channels"]["email"] is False
    response = development_api.patch(path, {"enabled": False})
    assert response.json()["data"]["preference"] == {
        "enabled": False,
        "channels": {"email": False, "sms": True, "in_app": True, "chat": True, "push": True},
    }
    stored = SubscriberPreference.unscoped_across_environments.get()
    assert (stored.enabled, stored.email) == (False, False)


def test_patch_refuses_critical_workflows_and_empty_changes(tenant, development_api):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    critical = WorkflowFactory(environment=tenant.development, critical=True)
    plain = WorkflowFactory(environment=tenant.development)
    message = error_of(
        development_api.patch(
            f"/subscribers/ada/preferences/{critical.public_id}", {"enabled": False}
        ),
        400,
    )
    assert "critical" in message
    error_of(development_api.patch(f"/subscribers/ada/preferences/{plain.public_id}", {}), 400)
    error_of(
        development_api.patch(f"/subscribers/ada/preferences/{uuid.uuid4()}", {"enabled": True}),
        404,
    )
    assert not SubscriberPreference.unscoped_across_environments.exists()


def test_patch_answers_404_and_400_before_any_workflow_is_read(tenant, development_api):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    error_of(development_api.patch("/subscribers/nobody/preferences/x", {"enabled": True}), 404)
    error_of(development_api.patch("/subscribers/ada/preferences/42", {"enabled": True}), 404)
    message = error_of(
        development_api.patch(
            "/subscribers/ada/preferences/42", {"channel": {"type": "fax", "enabled": True}}
        ),
        400,
    )
    assert "channel.type" in message


# Credentials -----------------------------------------------------------------------------------


def test_put_credentials_returns_the_subscriber_with_its_channels(tenant, development_api):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    response = development_api.put(
        "/subscribers/ada/credentials",
        {
            "providerId": "fcm",
            "credentials": {"deviceTokens": ["t1", "t2"]},
            "integrationIdentifier": "fcm-main",
        },
    )
    assert response.status_code == 200
    assert response.json()["data"]["channels"] == [
        {
            "providerId": "fcm",
            "credentials": {"webhookUrl": None, "deviceTokens": ["t1", "t2"]},
            "integrationIdentifier": "fcm-main",
            "_integrationId": None,
        }
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"providerId": "pigeon"}, "providerId"),
        ({"providerId": "slack", "credentials": {"webhookUrl": "not a url"}}, "webhookUrl"),
        ({"providerId": "fcm", "credentials": {"deviceTokens": ["t"] * 21}}, "deviceTokens"),
        ({"credentials": {}}, "providerId"),
    ],
)
def test_put_credentials_refuses_invalid_bodies(tenant, development_api, body, field):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    assert field in error_of(development_api.put("/subscribers/ada/credentials", body), 400)
    assert not SubscriberCredential.unscoped_across_environments.exists()


def test_credentials_of_an_unknown_subscriber_are_404(development_api):
    error_of(development_api.put("/subscribers/x/credentials", {"providerId": "slack"}), 404)
    error_of(development_api.delete("/subscribers/x/credentials/slack"), 404)


def test_delete_credentials_is_204_and_refuses_unknown_providers(tenant, development_api):
    subscriber = SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    SubscriberCredentialFactory(subscriber=subscriber, provider_id="slack")
    response = development_api.delete("/subscribers/ada/credentials/slack")
    assert (response.status_code, response.content) == (204, b"")
    assert not SubscriberCredential.unscoped_across_environments.exists()
    assert "providerId" in error_of(
        development_api.delete("/subscribers/ada/credentials/pigeon"), 400
    )


# Text no database can store --------------------------------------------------------------------


def test_ids_with_nul_are_404_not_a_server_error(tenant, development_api):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    error_of(development_api.get("/subscribers/ada%00"), 404)
    body = json.dumps({"subscriberId": "ada\u0000"})
    assert "subscriberId" in error_of(development_api.post("/subscribers", body), 400)
