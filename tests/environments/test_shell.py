"""The dashboard shell: switchers, Production's unmistakable look, CSP and CSRF."""

import re

from tests.factories import ApiKeyFactory


def test_the_environment_switcher_keeps_the_kind_of_page(client, login, tenant):
    login(tenant.admin.user)
    page = client.get(tenant.url(tenant.development, "api-keys/")).content.decode()
    switcher = page[page.index("environment-switcher") :]
    assert f'href="{tenant.url(tenant.production, "api-keys/")}"' in switcher
    assert f'href="{tenant.url(tenant.development, "api-keys/")}"' in switcher


def test_a_detail_page_switches_to_its_sections_index(client, login, tenant):
    key = ApiKeyFactory(environment=tenant.development)
    login(tenant.admin.user)
    page = client.get(tenant.url(tenant.development, f"api-keys/{key.pk}/rotate/")).content.decode()
    switcher = page[page.index("environment-switcher") :]
    assert f'href="{tenant.url(tenant.production, "api-keys/")}"' in switcher


def test_production_is_unmistakable_on_every_page(client, login, tenant):
    login(tenant.viewer.user)
    for path in ("", "api-keys/", "members/"):
        production = client.get(tenant.url(tenant.production, path)).content.decode()
        assert "environment-stripe--read-only" in production
        assert "Production · read-only" in production
        assert 'data-testid="read-only-banner"' in production
        development = client.get(tenant.url(tenant.development, path)).content.decode()
        assert "environment-stripe--editable" in development
        assert "read-only-banner" not in development


def test_pages_carry_a_nonce_csp_and_no_inline_script(client, login, tenant):
    login(tenant.viewer.user)
    response = client.get(tenant.url(tenant.development))
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert scripts, "the page loads htmx and herald.js"
    for tag in scripts:
        assert 'src="/static/' in tag
        assert f'nonce="{nonce}"' in tag
    assert "hx-on" not in response.content.decode()


def test_the_csrf_token_rides_on_body_for_htmx(client, login, tenant):
    login(tenant.viewer.user)
    page = client.get(tenant.url(tenant.development)).content.decode()
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[A-Za-z0-9]{64}\"\}'", page)


def test_writes_without_a_csrf_token_are_refused(tenant):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.admin.user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(tenant.url(tenant.development, "api-keys/new/"), {"name": "x"})
    assert response.status_code == 403


def _switcher_links(page: str) -> str:
    return page[
        page.index("environment-switcher") : page.index(
            "</details>", page.index("environment-switcher")
        )
    ]


def test_switching_from_a_workflow_opens_the_same_workflow_downstream(
    client, login, tenant, other_tenant
):
    from tests.factories import WorkflowFactory

    development = WorkflowFactory(environment=tenant.development, name="Receipt")
    production = WorkflowFactory(
        environment=tenant.production, name="Receipt", origin_id=development.origin_id
    )
    WorkflowFactory(environment=other_tenant.production, origin_id=development.origin_id)
    only_in_development = WorkflowFactory(environment=tenant.development)
    login(tenant.viewer.user)

    page = client.get(
        tenant.url(tenant.development, f"workflows/{development.pk}/")
    ).content.decode()
    assert (
        f'href="{tenant.url(tenant.production, f"workflows/{production.pk}/")}"'
        in _switcher_links(page)
    )

    page = client.get(
        tenant.url(tenant.development, f"workflows/{only_in_development.pk}/")
    ).content.decode()
    assert f'href="{tenant.url(tenant.production, "workflows/")}"' in _switcher_links(page)


def test_an_htmx_404_is_a_message_not_a_page_inside_a_fragment(client, login, tenant):
    login(tenant.admin.user)
    response = client.get(
        tenant.url(tenant.development, "api-keys/999999/rotate/"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 404
    assert response["HX-Retarget"] == "#messages"
    assert "This no longer exists" in response.content.decode()
    assert "<html" not in response.content.decode()
    page = client.get(tenant.url(tenant.development, "api-keys/999999/rotate/"))
    assert page.status_code == 404
    assert "There is nothing here" in page.content.decode()


def test_htmx_fragments_pay_nothing_for_the_switchers(client, login, tenant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(tenant.viewer.user)
    with CaptureQueriesContext(connection) as fragment:
        client.get(tenant.url(tenant.development, "changes/count/"), headers={"HX-Request": "true"})
    membership_queries = [q for q in fragment.captured_queries if "accounts_membership" in q["sql"]]
    assert len(membership_queries) == 1  # the middleware's check, not the organization switcher
    with CaptureQueriesContext(connection) as page:
        client.get(tenant.url(tenant.development))
    assert len([q for q in page.captured_queries if "accounts_membership" in q["sql"]]) == 2
