"""The API Keys page's client-side apps section: HMAC on, off and rotated by admins, its secret
shown once; the allowed origins; the snippets that compute the hash."""

import hashlib
import hmac
import re

import pytest

from environments.models import ClientOrigin, Environment
from environments.services import client_hmac_expected

SECRET = re.compile(r"herald_hmac_[A-Za-z0-9_-]{43}")


def _url(tenant, environment, path=""):
    return tenant.url(environment, f"api-keys/{path}")


@pytest.mark.parametrize("environment_name", ["development", "production"])
def test_an_admin_turns_hmac_on_and_sees_the_secret_once(client, login, tenant, environment_name):
    environment = getattr(tenant, environment_name)
    login(tenant.admin.user)
    response = client.post(_url(tenant, environment, "client-hmac/enable/"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    (secret,) = set(SECRET.findall(page))
    environment.refresh_from_db()
    assert environment.client_hmac_enabled
    expected = hmac.new(secret.encode(), b"ada", hashlib.sha256).hexdigest()
    assert client_hmac_expected(environment=environment, subscriber_id="ada") == expected
    again = client.get(_url(tenant, environment)).content.decode()
    assert not SECRET.search(again)
    assert 'data-testid="hmac-status"><span class="badge badge--active">On' in again


def test_turning_hmac_off_and_on_keeps_the_secret(client, login, tenant):
    login(tenant.admin.user)
    client.post(_url(tenant, tenant.development, "client-hmac/enable/"))
    stored = Environment.objects.get(pk=tenant.development.pk).client_hmac_secret
    confirm = client.get(_url(tenant, tenant.development, "client-hmac/disable/"))
    assert b"Turn off HMAC" in confirm.content
    client.post(_url(tenant, tenant.development, "client-hmac/disable/"))
    assert not Environment.objects.get(pk=tenant.development.pk).client_hmac_enabled
    response = client.post(_url(tenant, tenant.development, "client-hmac/enable/"), follow=True)
    assert not SECRET.search(response.content.decode())
    assert b"already has" in response.content
    assert Environment.objects.get(pk=tenant.development.pk).client_hmac_secret == stored


def test_rotating_shows_a_new_secret(client, login, tenant):
    login(tenant.admin.user)
    first = SECRET.search(
        client.post(_url(tenant, tenant.development, "client-hmac/enable/")).content.decode()
    )[0]
    assert (
        b"stop working"
        in client.get(_url(tenant, tenant.development, "client-hmac/rotate/")).content
    )
    second = SECRET.search(
        client.post(_url(tenant, tenant.development, "client-hmac/rotate/")).content.decode()
    )[0]
    assert first != second
    environment = Environment.objects.get(pk=tenant.development.pk)
    expected = hmac.new(second.encode(), b"ada", hashlib.sha256).hexdigest()
    assert client_hmac_expected(environment=environment, subscriber_id="ada") == expected


@pytest.mark.parametrize("role", ["editor", "viewer"])
@pytest.mark.parametrize(
    "path",
    ["client-hmac/enable/", "client-hmac/rotate/", "client-hmac/disable/", "client-origins/"],
)
def test_only_admins_change_client_settings(client, login, tenant, role, path):
    login(getattr(tenant, role).user)
    response = client.post(
        _url(tenant, tenant.development, path), {"origins": "https://app.example"}
    )
    assert response.status_code == 403
    environment = Environment.objects.get(pk=tenant.development.pk)
    assert not environment.client_hmac_enabled and not environment.client_hmac_secret
    assert not ClientOrigin.unscoped_across_environments.exists()
    page = client.get(_url(tenant, tenant.development)).content.decode()
    assert "Turn on HMAC" not in page and "client-origins-form" not in page


def test_an_admin_lists_origins(client, login, tenant, other_tenant):
    login(tenant.admin.user)
    response = client.post(
        _url(tenant, tenant.production, "client-origins/"),
        {"origins": "https://app.example\nhttp://localhost:3000"},
        follow=True,
    )
    assert response.status_code == 200
    assert sorted(
        ClientOrigin.unscoped_across_environments.filter(environment=tenant.production).values_list(
            "origin", flat=True
        )
    ) == ["http://localhost:3000", "https://app.example"]
    assert b"https://app.example" in response.content
    response = client.post(
        _url(tenant, tenant.production, "client-origins/"), {"origins": "https://app.example/path"}
    )
    assert response.status_code == 400
    assert "leave out the path" in response.content.decode()
    assert (
        ClientOrigin.unscoped_across_environments.filter(environment=tenant.production).count() == 2
    )
    assert not ClientOrigin.unscoped_across_environments.filter(
        environment=tenant.development
    ).exists()


def test_the_page_shows_how_to_compute_the_hash(client, login, tenant):
    login(tenant.viewer.user)
    page = client.get(_url(tenant, tenant.development)).content.decode()
    assert 'data-testid="snippet-hmac-python"' in page
    assert "hashlib.sha256" in page
    assert 'createHmac("sha256", process.env.HERALD_HMAC_SECRET)' in page.replace("&quot;", '"')
    assert "<title>API Keys · Development · Herald</title>" in page


def test_without_encryption_keys_turning_hmac_on_says_why(client, login, tenant, settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    login(tenant.admin.user)
    response = client.post(_url(tenant, tenant.development, "client-hmac/enable/"), follow=True)
    assert response.status_code == 200
    assert b"FIELD_ENCRYPTION_KEYS is not set" in response.content
    assert not Environment.objects.get(pk=tenant.development.pk).client_hmac_enabled
