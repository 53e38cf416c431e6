"""Sessions of client-side apps: started with the Application Identifier (and an HMAC hash when
the environment asks for one), short-lived, naming one subscriber of one environment."""

import hashlib
import hmac

import pytest
from django.utils import timezone

from activity.sessions import session_token_issue
from environments.models import Environment
from environments.services import client_hmac_enable, client_hmac_rotate
from subscribers.models import Subscriber
from tests.factories import SubscriberFactory


def _hash(secret: str, subscriber_id: str) -> str:
    return hmac.new(secret.encode(), subscriber_id.encode(), hashlib.sha256).hexdigest()


def _subscribers(environment):
    return Subscriber.unscoped_across_environments.filter(environment=environment)


def test_a_session_creates_the_subscriber_and_returns_a_token_and_profile(widgets, tenant):
    response = widgets.send(
        "post",
        "/session/initialize",
        {
            "applicationIdentifier": tenant.production.application_identifier,
            "subscriberId": "ada",
            "email": "ada@example.com",
            "firstName": "Ada",
        },
    )
    assert response.status_code == 201
    body = response.json()["data"]
    subscriber = _subscribers(tenant.production).get(subscriber_id="ada")
    assert body["profile"] == {
        "_id": str(subscriber.public_id),
        "subscriberId": "ada",
        "firstName": "Ada",
        "lastName": None,
        "email": "ada@example.com",
        "phone": None,
        "avatar": None,
    }
    assert body["token"]
    assert not _subscribers(tenant.development).exists()
    feed = widgets.get("/notifications/feed", token=body["token"])
    assert feed.status_code == 200


def test_without_hmac_an_existing_profile_is_not_changed(widgets, tenant):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada", email="ada@example.com")
    widgets.start(tenant.development, "ada", email="mallory@example.com")
    assert _subscribers(tenant.development).get().email == "ada@example.com"


def test_an_unknown_application_identifier_is_400(widgets, tenant):
    response = widgets.send(
        "post", "/session/initialize", {"applicationIdentifier": "nope", "subscriberId": "ada"}
    )
    assert response.status_code == 400
    assert "applicationIdentifier" in response.json()["message"]


@pytest.mark.parametrize("subscriber_id", ["a/b", " ada", "\x00"])
def test_an_unstorable_subscriber_id_is_400_naming_the_field(widgets, tenant, subscriber_id):
    response = widgets.send(
        "post",
        "/session/initialize",
        {
            "applicationIdentifier": tenant.development.application_identifier,
            "subscriberId": subscriber_id,
        },
    )
    assert response.status_code == 400
    assert "subscriberId" in str(response.json()["message"])


@pytest.mark.parametrize("field", ["applicationIdentifier", "email", "firstName", "hmacHash"])
def test_a_nul_in_any_field_is_400_naming_it(widgets, tenant, field):
    body = {
        "applicationIdentifier": tenant.development.application_identifier,
        "subscriberId": "ada",
        field: "b\x00!",
    }
    response = widgets.send("post", "/session/initialize", body)
    assert response.status_code == 400
    message = str(response.json()["message"])
    assert field in message and "NUL" in message


@pytest.fixture
def hmac_secret(tenant):
    issued = client_hmac_enable(environment=tenant.development, actor=tenant.admin)
    tenant.development.refresh_from_db()
    return issued.secret


def test_with_hmac_the_right_hash_starts_a_session_and_applies_the_profile(
    widgets, tenant, hmac_secret
):
    SubscriberFactory(environment=tenant.development, subscriber_id="ada", email="old@example.com")
    token = widgets.start(
        tenant.development, "ada", hmacHash=_hash(hmac_secret, "ada"), email="ada@example.com"
    )
    assert widgets.get("/notifications/unseen", token=token).status_code == 200
    assert _subscribers(tenant.development).get().email == "ada@example.com"


@pytest.mark.parametrize("given", [None, "", "0" * 64, "wrong"])
def test_with_hmac_a_missing_or_wrong_hash_is_401(widgets, tenant, hmac_secret, given):
    body = {
        "applicationIdentifier": tenant.development.application_identifier,
        "subscriberId": "ada",
    }
    if given is not None:
        body["hmacHash"] = given
    response = widgets.send("post", "/session/initialize", body)
    assert response.status_code == 401
    assert response.json()["statusCode"] == 401
    assert not _subscribers(tenant.development).exists()


def test_a_hash_for_another_subscriber_is_refused(widgets, tenant, hmac_secret):
    body = {
        "applicationIdentifier": tenant.development.application_identifier,
        "subscriberId": "mallory",
        "hmacHash": _hash(hmac_secret, "ada"),
    }
    assert widgets.send("post", "/session/initialize", body).status_code == 401


def test_a_hash_made_with_another_environments_secret_is_refused(widgets, tenant, hmac_secret):
    production_secret = client_hmac_enable(environment=tenant.production, actor=tenant.admin).secret
    assert production_secret != hmac_secret
    body = {
        "applicationIdentifier": tenant.development.application_identifier,
        "subscriberId": "ada",
        "hmacHash": _hash(production_secret, "ada"),
    }
    assert widgets.send("post", "/session/initialize", body).status_code == 401


def test_turning_hmac_on_ends_sessions_started_without_it(widgets, tenant):
    token = widgets.start(tenant.development, "ada")
    assert widgets.get("/notifications/unseen", token=token).status_code == 200
    client_hmac_enable(environment=tenant.development, actor=tenant.admin)
    assert widgets.get("/notifications/unseen", token=token).status_code == 401


def test_rotating_the_secret_ends_sessions_and_old_hashes(widgets, tenant, hmac_secret):
    token = widgets.start(tenant.development, "ada", hmacHash=_hash(hmac_secret, "ada"))
    new_secret = client_hmac_rotate(environment=tenant.development, actor=tenant.admin).secret
    assert widgets.get("/notifications/unseen", token=token).status_code == 401
    old = {
        "applicationIdentifier": tenant.development.application_identifier,
        "subscriberId": "ada",
        "hmacHash": _hash(hmac_secret, "ada"),
    }
    assert widgets.send("post", "/session/initialize", old).status_code == 401
    assert widgets.start(tenant.development, "ada", hmacHash=_hash(new_secret, "ada"))


def test_the_secret_is_stored_encrypted(tenant, hmac_secret):
    stored = Environment.objects.get(pk=tenant.development.pk).client_hmac_secret
    assert stored and hmac_secret not in stored


def test_a_token_expires(widgets, tenant, settings, monkeypatch):
    token = widgets.start(tenant.development, "ada")
    later = timezone.now().timestamp() + settings.CLIENT_SESSION_SECONDS + 5
    monkeypatch.setattr("time.time", lambda: later)
    response = widgets.get("/notifications/feed", token=token)
    assert response.status_code == 401
    assert "initialize" in response.json()["message"]


@pytest.mark.parametrize(
    "authorization", ["", "Bearer", "Bearer nonsense", "ApiKey {token}", "Bearer {token}x"]
)
def test_a_missing_or_malformed_token_is_401(client, widgets, tenant, authorization):
    token = widgets.start(tenant.development, "ada")
    headers = {"Authorization": authorization.format(token=token)} if authorization else {}
    response = client.get("/v1/widgets/notifications/feed", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"


def test_a_deleted_subscribers_token_reads_nothing(widgets, tenant):
    token = widgets.start(tenant.development, "ada")
    _subscribers(tenant.development).delete()
    assert widgets.get("/notifications/feed", token=token).status_code == 401


def test_a_token_signed_for_another_purpose_is_refused(widgets, tenant):
    from django.core import signing

    subscriber = SubscriberFactory(environment=tenant.development)
    genuine = session_token_issue(subscriber=subscriber, hmac_verified=False)
    claims = signing.loads(genuine, salt="herald.activity.client-session")
    forged = signing.dumps(claims, salt="another purpose")
    assert widgets.get("/notifications/feed", token=forged).status_code == 401
    assert widgets.get("/notifications/feed", token=genuine).status_code == 200


def test_session_starts_are_rate_limited_per_client_address(widgets, tenant, settings):
    settings.API_RATE_LIMIT_BURST = 2
    for _ in range(2):
        widgets.start(tenant.development, "ada")
    response = widgets.send(
        "post",
        "/session/initialize",
        {"applicationIdentifier": tenant.development.application_identifier, "subscriberId": "ada"},
    )
    assert response.status_code == 429
    assert response["Retry-After"]


def test_the_policy_lets_a_client_session_write_only_runtime_data_of_its_environment(tenant):
    from environments.policy import ClientSession, Write, allows

    session = ClientSession(environment_id=tenant.production.pk, subscriber_id="ada")
    assert allows(Write.RUNTIME, environment=tenant.production, actor=session)
    assert not allows(Write.RUNTIME, environment=tenant.development, actor=session)
    for write in (Write.CONTENT, Write.SETTINGS, Write.MEMBERS):
        assert not allows(write, environment=tenant.production, actor=session)
    assert not allows(Write.PROMOTION, environment=tenant.development, actor=session)
