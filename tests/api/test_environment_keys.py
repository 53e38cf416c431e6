"""/v1/environments/api-keys: the keys, masked; regenerate rotates with the default grace."""

from datetime import timedelta

from django.utils import timezone

from environments.models import ApiKey
from environments.services import api_key_issue
from tests.api.conftest import error_of


def test_keys_are_listed_masked_and_only_while_they_work(tenant, development_api, user):
    revoked = api_key_issue(environment=tenant.development, name="Old", created_by=user)
    ApiKey.unscoped_across_environments.filter(pk=revoked.api_key.pk).update(
        revoked_at=timezone.now()
    )
    mine = api_key_issue(environment=tenant.development, name="Mine", created_by=user)
    api_key_issue(environment=tenant.production, name="Production key", created_by=None)

    response = development_api.get("/environments/api-keys")

    assert response.status_code == 200
    assert response.json()["data"] == [
        {
            "key": f"{mine.api_key.prefix}…",
            "_userId": str(user.pk),
            "name": "Mine",
            "expiresAt": None,
        },
        {
            "key": f"{development_api.api_key.prefix}…",
            "_userId": None,
            "name": "Default key",
            "expiresAt": None,
        },
    ]
    assert mine.secret not in response.content.decode()
    assert development_api.secret not in response.content.decode()


def test_regenerate_gives_a_new_key_once_and_the_old_one_keeps_working_a_while(
    tenant, development_api
):
    old_key, old_secret = development_api.api_key, development_api.secret

    response = development_api.post("/environments/api-keys/regenerate")

    assert response.status_code == 201
    [issued] = response.json()["data"]
    assert issued["key"].startswith("herald_sk_") and issued["name"] == "Default key"
    old_key.refresh_from_db()
    new_key = old_key.replaced_by
    assert new_key.prefix == issued["key"][: len(new_key.prefix)]
    assert old_key.expires_at - timezone.now() > timedelta(hours=23, minutes=59)
    assert old_key.expires_at - timezone.now() <= timedelta(hours=24)
    # Both work during the grace period; the list shows the old key's expiry.
    development_api.secret = issued["key"]
    listed = development_api.get("/environments/api-keys")
    assert listed.status_code == 200
    assert [key["expiresAt"] is not None for key in listed.json()["data"]] == [False, True]
    development_api.secret = old_secret
    assert development_api.get("/environments/me").status_code == 200


def test_regenerate_works_in_production_too_and_not_with_an_expired_key(tenant, production_api):
    response = production_api.post("/environments/api-keys/regenerate")
    assert response.status_code == 201
    ApiKey.unscoped_across_environments.filter(pk=production_api.api_key.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    refused = production_api.post("/environments/api-keys/regenerate")

    assert refused.status_code == 401
    assert error_of(refused)["error"] == "Unauthorized"
