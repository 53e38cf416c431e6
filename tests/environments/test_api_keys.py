"""API secret keys: random, stored as digests, shown once, rotated with grace, revocable."""

import hashlib
import logging
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from environments.keys import SECRET_KEY_PREFIX, generate_secret
from environments.models import ApiKey
from environments.services import (
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
    api_key_rotate,
)

SECRET_PATTERN = re.compile(r"herald_sk_[A-Za-z0-9_-]{43}")


def test_a_secret_has_the_prefix_and_32_random_bytes():
    secrets = {generate_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert SECRET_PATTERN.fullmatch(secret)


def test_only_the_digest_and_a_short_prefix_are_stored(tenant):
    issued = api_key_create(
        environment=tenant.development, name="Checkout", actor=tenant.admin.user
    )
    row = ApiKey.unscoped_across_environments.values().get(pk=issued.api_key.pk)
    assert row["digest"] == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret.startswith(row["prefix"])
    assert len(row["prefix"]) == len(SECRET_KEY_PREFIX) + 6
    stored = " ".join(str(value) for value in row.values())
    assert issued.secret not in stored
    assert issued.secret[len(row["prefix"]) :] not in stored


def test_a_secret_resolves_to_its_environment(tenant, other_tenant):
    issued = api_key_create(environment=tenant.production, name="Checkout", actor=tenant.admin.user)
    api_key_create(environment=other_tenant.production, name="Other", actor=other_tenant.admin.user)
    resolved = api_key_authenticate(secret=issued.secret)
    assert resolved.pk == issued.api_key.pk
    assert resolved.environment == tenant.production
    assert api_key_authenticate(secret=issued.secret + "x") is None
    assert api_key_authenticate(secret="") is None


def test_revoked_and_expired_keys_are_refused(tenant):
    revoked = api_key_create(environment=tenant.development, name="A", actor=tenant.admin.user)
    api_key_revoke(api_key=revoked.api_key, actor=tenant.admin.user)
    assert api_key_authenticate(secret=revoked.secret) is None

    expired = api_key_create(environment=tenant.development, name="B", actor=tenant.admin.user)
    ApiKey.unscoped_across_environments.filter(pk=expired.api_key.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert api_key_authenticate(secret=expired.secret) is None


def test_last_used_is_recorded_at_most_once_a_minute(tenant, django_assert_num_queries):
    issued = api_key_create(environment=tenant.development, name="A", actor=tenant.admin.user)
    first = api_key_authenticate(secret=issued.secret).last_used_at
    assert first is not None
    with django_assert_num_queries(2):  # the lookup, and an UPDATE that matches no row
        again = api_key_authenticate(secret=issued.secret)
    again.refresh_from_db()
    assert again.last_used_at == first

    ApiKey.unscoped_across_environments.filter(pk=issued.api_key.pk).update(
        last_used_at=timezone.now() - timedelta(minutes=2)
    )
    later = api_key_authenticate(secret=issued.secret)
    later.refresh_from_db()
    assert later.last_used_at > first


@pytest.mark.parametrize(
    ("grace", "old_key_still_works"),
    [(timedelta(0), False), (timedelta(hours=1), True), (timedelta(days=7), True)],
)
def test_rotation_keeps_the_old_key_for_the_grace_period(tenant, grace, old_key_still_works):
    old = api_key_create(environment=tenant.production, name="Checkout", actor=tenant.admin.user)
    new = api_key_rotate(api_key=old.api_key, grace=grace, actor=tenant.admin.user)
    assert new.api_key.name == "Checkout"
    assert new.secret != old.secret
    assert api_key_authenticate(secret=new.secret).pk == new.api_key.pk
    assert (api_key_authenticate(secret=old.secret) is not None) is old_key_still_works
    old.api_key.refresh_from_db()
    assert old.api_key.replaced_by_id == new.api_key.pk
    assert old.api_key.expires_at == pytest.approx(timezone.now() + grace, abs=timedelta(seconds=5))


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_only_admins_manage_keys_in_services(tenant, role):
    actor = getattr(tenant, role).user
    issued = api_key_create(environment=tenant.development, name="A", actor=tenant.admin.user)
    with pytest.raises(PermissionDenied):
        api_key_create(environment=tenant.development, name="B", actor=actor)
    with pytest.raises(PermissionDenied):
        api_key_rotate(api_key=issued.api_key, grace=timedelta(0), actor=actor)
    with pytest.raises(PermissionDenied):
        api_key_revoke(api_key=issued.api_key, actor=actor)
    assert api_key_authenticate(secret=issued.secret) is not None


def test_an_admin_creates_a_key_in_production_and_sees_it_once(client, login, tenant, caplog):
    login(tenant.admin.user)
    caplog.set_level(logging.DEBUG)
    response = client.post(tenant.url(tenant.production, "api-keys/new/"), {"name": "Checkout"})
    assert response.status_code == 200
    page = response.content.decode()
    secret = SECRET_PATTERN.search(page).group(0)
    assert "It will not be shown again" in page
    assert response["Cache-Control"] == "no-store"
    assert api_key_authenticate(secret=secret).environment == tenant.production
    assert secret not in caplog.text

    listing = client.get(tenant.url(tenant.production, "api-keys/")).content.decode()
    assert "Checkout" in listing
    assert secret not in listing
    assert secret[:16] + "…" in listing


def test_htmx_rotation_points_the_address_bar_at_the_list(client, login, tenant):
    issued = api_key_create(environment=tenant.development, name="A", actor=tenant.admin.user)
    login(tenant.admin.user)
    response = client.post(
        tenant.url(tenant.development, f"api-keys/{issued.api_key.pk}/rotate/"),
        {"grace": "24h"},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Replace-Url"] == tenant.url(tenant.development, "api-keys/")
    assert SECRET_PATTERN.search(response.content.decode())


def test_rotating_a_revoked_key_is_refused_with_a_message(client, login, tenant):
    issued = api_key_create(environment=tenant.development, name="A", actor=tenant.admin.user)
    api_key_revoke(api_key=issued.api_key, actor=tenant.admin.user)
    login(tenant.admin.user)
    response = client.post(
        tenant.url(tenant.development, f"api-keys/{issued.api_key.pk}/rotate/"), {"grace": "1h"}
    )
    assert response.status_code == 409
    assert "already revoked or expired" in response.content.decode()
    assert ApiKey.unscoped_across_environments.count() == 1


def test_rotation_needs_a_valid_grace_period(client, login, tenant):
    issued = api_key_create(environment=tenant.development, name="A", actor=tenant.admin.user)
    login(tenant.admin.user)
    response = client.post(
        tenant.url(tenant.development, f"api-keys/{issued.api_key.pk}/rotate/"), {"grace": "1y"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert ApiKey.unscoped_across_environments.count() == 1


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_non_admins_see_keys_without_secrets_or_write_buttons(client, login, tenant, role):
    issued = api_key_create(
        environment=tenant.development, name="Checkout", actor=tenant.admin.user
    )
    login(getattr(tenant, role).user)
    page = client.get(tenant.url(tenant.development, "api-keys/")).content.decode()
    assert "Checkout" in page
    assert issued.secret not in page
    for control in ("Create key", "Rotate", "Revoke"):
        assert control not in page
    new_key = client.post(tenant.url(tenant.development, "api-keys/new/"), {"name": "Mine"})
    assert new_key.status_code == 403
    revoke = client.post(tenant.url(tenant.development, f"api-keys/{issued.api_key.pk}/revoke/"))
    assert revoke.status_code == 403
    assert ApiKey.unscoped_across_environments.count() == 1
    assert api_key_authenticate(secret=issued.secret) is not None


def test_revoking_from_the_page_asks_first_then_refuses_the_key(client, login, tenant):
    issued = api_key_create(
        environment=tenant.development, name="Checkout", actor=tenant.admin.user
    )
    login(tenant.admin.user)
    url = tenant.url(tenant.development, f"api-keys/{issued.api_key.pk}/revoke/")
    confirmation = client.get(url).content.decode()
    assert "Revoke “Checkout”?" in confirmation
    assert api_key_authenticate(secret=issued.secret) is not None
    response = client.post(url, follow=True)
    assert "Revoked “Checkout”" in response.content.decode()
    assert api_key_authenticate(secret=issued.secret) is None


def test_the_page_shows_ready_to_copy_curl_and_sdk_snippets(client, login, tenant):
    login(tenant.viewer.user)
    page = client.get(tenant.url(tenant.production, "api-keys/")).content.decode()
    assert 'data-testid="snippet-curl"' in page
    assert "curl -X POST http://testserver/v1/subscribers" in page
    assert "Authorization: ApiKey $HERALD_API_KEY" in page
    assert 'SubscriberApi(url="http://testserver", api_key=os.environ["HERALD_API_KEY"])' in page
    # The secret itself never appears in a snippet.
    assert "herald_sk_" not in page.split('data-testid="snippet-curl"')[1]
