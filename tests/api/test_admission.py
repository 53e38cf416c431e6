"""Admission of API requests: the key decides the environment; 401, 413 and 429 in Novu's shape."""

from datetime import timedelta

import pytest
from django.utils import timezone

from environments.services import api_key_revoke, api_key_rotate


def _assert_novu_error(response, status):
    assert response.status_code == status
    body = response.json()
    assert body["statusCode"] == status
    assert body["error"]
    assert body["message"]
    return body


def test_the_key_decides_the_environment(api, tenant, issue_key):
    development = issue_key(tenant.development)
    production = issue_key(tenant.production)
    assert api(development.secret).get("/environments/me").json()["data"]["_id"] == str(
        tenant.development.pk
    )
    body = api(production.secret).get("/environments/me").json()["data"]
    assert body == {
        "_id": str(tenant.production.pk),
        "name": "Production",
        "identifier": tenant.production.application_identifier,
        "_organizationId": str(tenant.organization.pk),
        "_parentId": str(tenant.development.pk),
    }


def test_environments_lists_the_organization_upstream_first(api, tenant, other_tenant, issue_key):
    key = issue_key(tenant.production)
    names = [row["name"] for row in api(key.secret).get("/environments").json()["data"]]
    assert names == ["Development", "Production"]


@pytest.mark.parametrize(
    "authorization",
    ["", "ApiKey ", "ApiKey herald_sk_unknown", "Bearer {secret}", "{secret}", "ApiKey{secret}"],
)
def test_missing_unknown_or_malformed_keys_get_401(client, tenant, issue_key, authorization):
    key = issue_key(tenant.development)
    headers = {"Authorization": authorization.format(secret=key.secret)} if authorization else {}
    response = client.get("/v1/environments/me", headers=headers)
    body = _assert_novu_error(response, 401)
    assert "ApiKey" in body["message"]


def test_revoked_keys_get_401(api, tenant, issue_key):
    key = issue_key(tenant.development)
    assert api(key.secret).get("/environments/me").status_code == 200
    api_key_revoke(api_key=key.api_key, actor=tenant.admin.user)
    _assert_novu_error(api(key.secret).get("/environments/me"), 401)


def test_a_rotated_key_works_during_its_grace_and_gets_401_after(api, tenant, issue_key):
    key = issue_key(tenant.development)
    issued = api_key_rotate(api_key=key.api_key, grace=timedelta(hours=1), actor=tenant.admin.user)
    assert api(key.secret).get("/environments/me").status_code == 200
    assert api(issued.secret).get("/environments/me").status_code == 200
    key.api_key.refresh_from_db()
    key.api_key.expires_at = timezone.now() - timedelta(seconds=1)
    key.api_key.save(update_fields=["expires_at"])
    _assert_novu_error(api(key.secret).get("/environments/me"), 401)
    assert api(issued.secret).get("/environments/me").status_code == 200


def test_each_key_has_its_own_token_bucket(api, tenant, issue_key, settings):
    settings.API_RATE_LIMIT_BURST = 3
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    first, second = issue_key(tenant.development), issue_key(tenant.development)
    responses = [api(first.secret).get("/environments/me") for _ in range(3)]
    assert [response.status_code for response in responses] == [200, 200, 200]
    assert [response["X-RateLimit-Remaining"] for response in responses] == ["2", "1", "0"]
    assert responses[0]["X-RateLimit-Limit"] == "3"
    limited = api(first.secret).get("/environments/me")
    body = _assert_novu_error(limited, 429)
    assert int(limited["Retry-After"]) >= 1
    assert limited["X-RateLimit-Remaining"] == "0"
    assert "Retry in" in body["message"]
    # Another key of the same environment is not limited by the first one's traffic.
    assert api(second.secret).get("/environments/me").status_code == 200


def test_the_bucket_refills_with_time(tenant, issue_key, settings):
    from datetime import timedelta

    from django.utils import timezone

    from api.throttling import rate_limit_take

    settings.API_RATE_LIMIT_BURST = 2
    settings.API_RATE_LIMIT_PER_MINUTE = 60  # one a second
    api_key = issue_key(tenant.development).api_key
    start = timezone.now()
    assert rate_limit_take(api_key=api_key, now=start).allowed
    assert rate_limit_take(api_key=api_key, now=start).allowed
    refused = rate_limit_take(api_key=api_key, now=start)
    assert not refused.allowed and refused.retry_after == 1
    later = start + timedelta(seconds=1)
    assert rate_limit_take(api_key=api_key, now=later).allowed
    assert not rate_limit_take(api_key=api_key, now=later).allowed


def test_the_bucket_is_decided_in_the_database_not_by_what_a_process_read(
    tenant, issue_key, settings
):
    """Two processes that read the key at the same moment cannot both spend the last token."""
    from api.throttling import rate_limit_take
    from environments.models import ApiKey

    settings.API_RATE_LIMIT_BURST = 1
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    issued = issue_key(tenant.development)
    first = ApiKey.unscoped_across_environments.get(pk=issued.api_key.pk)
    second = ApiKey.unscoped_across_environments.get(pk=issued.api_key.pk)
    assert rate_limit_take(api_key=first).allowed
    assert not rate_limit_take(api_key=second).allowed


def test_the_api_answers_outside_any_dashboard_session(client, tenant, issue_key):
    """A logged-in dashboard session is no credential for the API, and CSRF does not apply to
    key-authenticated requests."""
    client.force_login(tenant.admin.user, backend="django.contrib.auth.backends.ModelBackend")
    _assert_novu_error(client.get("/v1/environments/me"), 401)


def test_unknown_routes_get_a_json_404(api):
    response = api().get("/no-such-thing")
    body = _assert_novu_error(response, 404)
    assert "/v1/no-such-thing" in body["message"]


def test_bodies_over_the_limit_get_413_before_anything_is_read(api, tenant, issue_key, settings):
    key = issue_key(tenant.development)
    settings.API_MAX_BODY_BYTES = 1024
    body = _assert_novu_error(api(key.secret).send("post", "/subscribers", {"x": "y" * 2000}), 413)
    assert "1 KB" in body["message"]
    # Even without a key: size is checked first, so nobody makes the server read a huge body.
    _assert_novu_error(api().send("post", "/subscribers", {"x": "y" * 2000}), 413)
