"""Read-only environments refuse every unsafe method on promotable content, on the server.

The walk below covers every URL pattern inside an environment, so a new view is covered the
moment it is routed: it must either refuse writes in Production, or be explicitly marked
environment-local (API keys, members) and then be admin-only for writes.
"""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from environments.policy import Write, declared_write

READ_ONLY_MESSAGE_START = "is read-only. Make changes in"

UNSAFE_METHODS = ["post", "put", "patch", "delete"]
SAMPLE_VALUES = {"int": "999999", "uuid": str(uuid.uuid4()), "slug": "sample", "str": "sample"}


def _environment_routes():
    """(route, view) for every pattern below /<organization_slug>/<environment_slug>/."""

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield route, pattern.callback

    return [
        (route, view)
        for route, view in walk(get_resolver().url_patterns, "")
        if route.startswith("<slug:organization_slug>/<slug:environment_slug>/")
    ]


def _concrete_path(route: str, tenant, environment) -> str:
    path = route.replace("<slug:organization_slug>", tenant.organization.slug).replace(
        "<slug:environment_slug>", environment.slug
    )
    for converter, value in SAMPLE_VALUES.items():
        while f"<{converter}:" in path:
            start = path.index(f"<{converter}:")
            path = path[:start] + value + path[path.index(">", start) + 1 :]
    assert "<" not in path, f"Add a sample value for the converter in {route}"
    return "/" + path


ROUTES = _environment_routes()
PROMOTABLE_ROUTES = [
    (route, view) for route, view in ROUTES if declared_write(view) is Write.CONTENT
]
ENVIRONMENT_LOCAL_ROUTES = [
    route for route, view in ROUTES if route and (route, view) not in PROMOTABLE_ROUTES
]


def test_the_walk_finds_the_routes():
    assert len(ROUTES) >= 8
    assert any("api-keys" in route for route in ENVIRONMENT_LOCAL_ROUTES)


@pytest.mark.parametrize("route", [route for route, _ in PROMOTABLE_ROUTES])
@pytest.mark.parametrize("method", UNSAFE_METHODS)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_unsafe_methods_are_refused_in_production(client, login, tenant, route, method, htmx):
    login(tenant.admin.user)
    path = _concrete_path(route, tenant, tenant.production)
    headers = {"HX-Request": "true"} if htmx else {}
    response = getattr(client, method)(path, headers=headers)
    assert response.status_code == 403, f"{method.upper()} {path} was not refused"
    body = response.content.decode()
    assert "Production is read-only. Make changes in Development, then promote them" in body
    assert body.count(READ_ONLY_MESSAGE_START) == 1
    if htmx:
        assert response["HX-Retarget"] == "#messages"


ADMIN_ONLY_SECTIONS = ("api-keys/", "members/", "integrations/")


@pytest.mark.parametrize("route", ENVIRONMENT_LOCAL_ROUTES)
def test_environment_local_writes_still_check_the_role_in_production(client, login, tenant, route):
    """Exempt from the read-only rule, never from roles: viewers write nothing anywhere, and
    API keys and members are admin-only."""
    path = _concrete_path(route, tenant, tenant.production)
    refused = [tenant.viewer]
    if any(section in route for section in ADMIN_ONLY_SECTIONS):
        refused.append(tenant.editor)
    for membership in refused:
        login(membership.user)
        response = client.post(path)
        assert response.status_code in (403, 404, 405), f"{membership.role} could write {path}"
    login(tenant.admin.user)
    response = client.post(path)
    assert READ_ONLY_MESSAGE_START not in response.content.decode()


def test_the_middleware_refuses_writes_for_a_view_that_forgot_its_decorator(
    client, login, tenant, settings
):
    settings.ROOT_URLCONF = "tests.environments.forgetful_urls"
    login(tenant.admin.user)
    response = client.post(tenant.url(tenant.production, "forgetful/"))
    assert response.status_code == 403
    assert b"Production is read-only" in response.content
    assert client.post(tenant.url(tenant.development, "forgetful/")).content == b"written"


def test_the_banner_names_the_environment_and_links_to_its_upstream(client, login, tenant):
    login(tenant.viewer.user)
    page = client.get(tenant.url(tenant.production)).content.decode()
    assert "Production is read-only." in page
    assert f'href="{tenant.url(tenant.development)}"' in page
    development_page = client.get(tenant.url(tenant.development)).content.decode()
    assert "Development is read-only" not in development_page
    assert 'data-testid="read-only-banner"' not in development_page


@pytest.mark.parametrize("path", ["integrations/", "integrations/store/", "api-keys/", "members/"])
def test_pages_of_the_environment_s_own_settings_say_admins_change_them_there(
    client, login, tenant, path
):
    login(tenant.admin.user)
    page = client.get(tenant.url(tenant.production, path)).content.decode()
    assert "Production's content is read-only" in page
    assert "Its integrations, API keys and members are its own" in page
    assert "Production is read-only." not in page
