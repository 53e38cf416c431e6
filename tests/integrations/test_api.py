"""/v1/integrations: Novu's routes, credentials write-only (every secret masked), a key of one
environment reaching nothing of another, and Novu's own Python client driving it."""

import json

import pytest
from django.test import Client

from environments.keys import generate_secret
from environments.scoping import environment_scope
from integrations.models import Integration
from tests.factories import ApiKeyFactory, IntegrationFactory

SECRET = "SG.api-secret-Rk72"


class Api:
    def __init__(self, environment):
        self.secret = generate_secret()
        ApiKeyFactory(environment=environment, secret=self.secret)
        self.client = Client()

    def __call__(self, method, path, body=None):
        kwargs = {"HTTP_AUTHORIZATION": f"ApiKey {self.secret}"}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(self.client, method)(f"/v1/integrations{path}", **kwargs)
        assert SECRET not in response.content.decode()
        return response


@pytest.fixture
def production_api(tenant):
    return Api(tenant.production)


@pytest.fixture(autouse=True)
def generous_rate_limit(settings):
    settings.API_RATE_LIMIT_BURST = 10_000


def sendgrid(**overrides):
    return {"providerId": "sendgrid", "channel": "email", "active": True,
            "credentials": {"apiKey": SECRET, "from": "o@acme.test", "senderName": "Acme"},
            **overrides}  # fmt: skip


def test_create_in_production_masks_every_secret(tenant, production_api):
    response = production_api("post", "", sendgrid(name="Mail", identifier="mail-main"))
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["credentials"] == {
        "apiKey": "********",
        "from": "o@acme.test",
        "senderName": "Acme",
    }
    assert {key: data[key] for key in ("providerId", "channel", "name", "identifier", "active", "primary")} == {
        "providerId": "sendgrid", "channel": "email", "name": "Mail", "identifier": "mail-main",
        "active": True, "primary": True,
    }  # fmt: skip
    assert data["_environmentId"] == str(tenant.production.pk)
    with environment_scope(tenant.production):
        stored = Integration.objects.get(identifier="mail-main")
    assert data["_id"] == str(stored.public_id)
    assert stored.credentials["apiKey"] == SECRET


def test_list_and_active(tenant, production_api):
    IntegrationFactory(environment=tenant.production, identifier="off", active=False)
    production_api("post", "", sendgrid(identifier="on"))
    everything = [row["identifier"] for row in production_api("get", "").json()["data"]]
    active = [row["identifier"] for row in production_api("get", "/active").json()["data"]]
    assert set(everything) - set(active) == {"off"}
    assert "on" in active and any(identifier.startswith("novu-") for identifier in active)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (sendgrid(providerId="pigeon"), 400, "providerId: Unknown provider “pigeon”"),
        (sendgrid(channel="sms"), 400, "channel: SendGrid is a email provider."),
        (
            sendgrid(credentials={"apiKey": SECRET, "from": "nope"}),
            400,
            "credentials.from: Enter an email",
        ),
        (
            sendgrid(credentials={"apiKey": SECRET}),
            400,
            "credentials.from: SendGrid needs the From address",
        ),
        (sendgrid(credentials={"apiKey": ["x"]}), 400, "credentials.apiKey"),
        (sendgrid(identifier="Bad Id"), 400, "identifier: Use lowercase letters"),
        ({"providerId": "novu", "channel": "in_app"}, 409, "cannot be added again"),
        ({"channel": "email"}, 400, "providerId"),
    ],
)
def test_bad_bodies_are_refused_by_name(production_api, body, status, message):
    response = production_api("post", "", body)
    assert response.status_code == status
    assert message in json.dumps(response.json(), ensure_ascii=False)
    assert response.json()["statusCode"] == status


def test_a_duplicate_identifier_is_409(production_api):
    production_api("post", "", sendgrid(identifier="mail"))
    response = production_api("post", "", sendgrid(identifier="mail"))
    assert response.status_code == 409
    assert "Provider Identifier “mail”" in response.json()["message"]


def test_update_keeps_a_secret_sent_back_masked_and_changes_the_rest(tenant, production_api):
    created = production_api("post", "", sendgrid(identifier="mail")).json()["data"]
    echoed = {**created["credentials"], "senderName": "Acme Billing"}  # apiKey is "********"
    response = production_api(
        "put",
        f"/{created['_id']}",
        {"name": "Billing", "identifier": "billing", "credentials": echoed},
    )
    assert response.status_code == 200
    assert response.json()["data"]["credentials"]["senderName"] == "Acme Billing"
    with environment_scope(tenant.production):
        stored = Integration.objects.get(public_id=created["_id"])
    assert (stored.name, stored.identifier) == ("Billing", "billing")
    assert stored.credentials["apiKey"] == SECRET


def test_set_primary_moves_it(tenant, production_api):
    first = production_api("post", "", sendgrid()).json()["data"]
    second = production_api("post", "", sendgrid()).json()["data"]
    assert (first["primary"], second["primary"]) == (True, False)
    response = production_api("post", f"/{second['_id']}/set-primary")
    assert response.status_code == 200 and response.json()["data"]["primary"] is True
    rows = {row["_id"]: row["primary"] for row in production_api("get", "").json()["data"]}
    assert (rows[first["_id"]], rows[second["_id"]]) == (False, True)


def test_delete_answers_what_remains_and_keeps_the_feed(tenant, production_api):
    created = production_api("post", "", sendgrid()).json()["data"]
    response = production_api("delete", f"/{created['_id']}")
    assert response.status_code == 200
    assert [row["providerId"] for row in response.json()["data"]] == ["novu"]
    feed = response.json()["data"][0]
    refused = production_api("delete", f"/{feed['_id']}")
    assert refused.status_code == 409


@pytest.mark.parametrize("integration_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_ids_are_404(production_api, integration_id):
    for method, path, body in [
        ("put", "", {"name": "x"}),
        ("delete", "", None),
        ("post", "/set-primary", None),
    ]:
        response = production_api(method, f"/{integration_id}{path}", body)
        assert response.status_code == 404, (method, path)
        assert response.json()["statusCode"] == 404


def test_a_key_reaches_no_other_environment(tenant, other_tenant, production_api):
    development = IntegrationFactory(environment=tenant.development, identifier="dev-mail")
    theirs = IntegrationFactory(environment=other_tenant.production, identifier="their-mail")
    listed = [row["identifier"] for row in production_api("get", "").json()["data"]]
    assert "dev-mail" not in listed and "their-mail" not in listed
    for integration in (development, theirs):
        for method, path, body in [
            ("put", "", {"name": "hijacked"}), ("post", "/set-primary", None), ("delete", "", None)
        ]:  # fmt: skip
            response = production_api(method, f"/{integration.public_id}{path}", body)
            assert response.status_code == 404
        integration.refresh_from_db()
        assert integration.name != "hijacked"


def test_without_a_key_nothing_is_answered(tenant):
    assert Client().get("/v1/integrations").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_novu_s_python_client_manages_integrations(tenant, live_server):
    from novu.api import IntegrationApi
    from novu.dto.integration import IntegrationDto

    secret = generate_secret()
    ApiKeyFactory(environment=tenant.production, secret=secret)
    api = IntegrationApi(url=live_server.url, api_key=secret)

    created = api.create(
        IntegrationDto(provider_id="slack", channel="chat", active=True,
                       credentials={"webhookUrl": "https://hooks.example.com/T1/B1/token-z"})
    )  # fmt: skip
    assert created.provider_id == "slack" and created.credentials == {"webhookUrl": "********"}
    assert {item.provider_id for item in api.list()} == {"novu", "slack"}
    assert {item.provider_id for item in api.list(only_active=True)} == {"novu", "slack"}

    created.active = False
    updated = api.update(created)
    assert updated.active is False
    assert {item.provider_id for item in api.list(only_active=True)} == {"novu"}

    primary = api.set_primary(created._id)
    assert primary.active is True
    api.delete(created._id)
    assert [item.provider_id for item in api.list()] == ["novu"]
