"""CORS: only on /v1/widgets/, and only for origins an environment lists. A preflight names no
environment, so it passes for an origin any environment lists; the request itself answers
with CORS headers only when its own environment lists the origin (and is refused otherwise)."""

import pytest

from environments.services import client_origins_set

APP = "https://app.example"
OTHER_APP = "https://other.example"
UNLISTED = "https://unlisted.example"


@pytest.fixture
def origins(tenant, other_tenant):
    client_origins_set(environment=tenant.development, origins=[APP], actor=tenant.admin)
    client_origins_set(
        environment=other_tenant.development, origins=[OTHER_APP], actor=other_tenant.admin
    )


def _preflight(client, path, origin):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )


@pytest.mark.parametrize("origin", [APP, OTHER_APP])
def test_a_preflight_passes_for_an_origin_any_environment_lists(client, origins, origin):
    response = _preflight(client, "/v1/widgets/notifications/feed", origin)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == origin
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


def test_a_preflight_from_an_unlisted_origin_gets_no_cors_headers(client, origins):
    response = _preflight(client, "/v1/widgets/notifications/feed", UNLISTED)
    assert "Access-Control-Allow-Origin" not in response


def test_requests_get_cors_headers_only_for_their_environments_origins(widgets, tenant, origins):
    token = widgets.start(tenant.development)
    allowed = widgets.get("/notifications/unseen", token=token, headers={"Origin": APP})
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == APP
    assert "origin" in allowed["Vary"].lower()
    # Listed, but by another organization's environment: refused, and not readable.
    refused = widgets.get("/notifications/unseen", token=token, headers={"Origin": OTHER_APP})
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused


def test_starting_a_session_checks_the_named_environment(widgets, tenant, other_tenant, origins):
    def start(environment, origin):
        return widgets.send(
            "post",
            "/session/initialize",
            {"applicationIdentifier": environment.application_identifier, "subscriberId": "ada"},
            headers={"Origin": origin},
        )

    allowed = start(tenant.development, APP)
    assert allowed.status_code == 201
    assert allowed["Access-Control-Allow-Origin"] == APP
    refused = start(other_tenant.development, APP)
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused
    # Production lists nothing: no browser page may start its sessions.
    assert start(tenant.production, APP).status_code == 403


def test_a_refused_token_stays_readable_for_listed_origins(widgets, origins):
    """A client app must see its 401 to start a new session."""
    response = widgets.get("/notifications/feed", token="expired", headers={"Origin": APP})
    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == APP


@pytest.mark.parametrize(
    "path", ["/v1/environments/me", "/v1/openapi.json", "/accounts/login/", "/"]
)
def test_no_cors_outside_the_client_routes(client, origins, path):
    response = client.get(path, headers={"Origin": APP})
    assert "Access-Control-Allow-Origin" not in response
    preflight = _preflight(client, path, APP)
    assert "Access-Control-Allow-Origin" not in preflight


def test_origins_are_normalised_and_validated(tenant):
    from django.core.exceptions import ValidationError

    saved = client_origins_set(
        environment=tenant.development,
        origins=[
            "HTTPS://App.Example:8443/",
            "https://app.example:8443",
            " http://localhost:3000 ",
        ],
        actor=tenant.admin,
    )
    assert saved == ["http://localhost:3000", "https://app.example:8443"]
    for bad in [
        "app.example",
        "ftp://app.example",
        "https://app.example/path",
        "https://",
        "https://a:b",
    ]:
        with pytest.raises(ValidationError):
            client_origins_set(environment=tenant.development, origins=[bad], actor=tenant.admin)


def test_only_admins_set_origins(tenant):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        client_origins_set(environment=tenant.development, origins=[APP], actor=tenant.editor)
