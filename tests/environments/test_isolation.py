"""Organizations and environments are worlds apart: another one's pages and objects are 404."""

import pytest

from tests.factories import ApiKeyFactory, UserFactory


def test_anonymous_users_are_sent_to_log_in(client, tenant):
    response = client.get(tenant.url(tenant.development))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={tenant.url(tenant.development)}"


def test_an_htmx_request_after_the_session_ended_sends_the_whole_page_to_log_in(client, tenant):
    response = client.get(
        tenant.url(tenant.development, "changes/count/"), headers={"HX-Request": "true"}
    )
    assert (
        response["HX-Redirect"]
        == f"/accounts/login/?next={tenant.url(tenant.development, 'changes/count/')}"
    )


@pytest.mark.parametrize("path", ["", "api-keys/", "members/"])
def test_non_members_get_404_on_every_page(client, login, tenant, other_tenant, path):
    login(other_tenant.admin.user)
    assert client.get(tenant.url(tenant.development, path)).status_code == 404
    assert client.get(tenant.url(tenant.production, path)).status_code == 404
    assert client.get(f"/{tenant.organization.slug}/").status_code == 404


def test_a_user_without_any_membership_gets_404(client, login, tenant):
    login(UserFactory())
    assert client.get(tenant.url(tenant.development)).status_code == 404


def test_unknown_organization_and_environment_are_404(client, login, tenant):
    login(tenant.viewer.user)
    assert client.get("/no-such-org/development/").status_code == 404
    assert client.get(f"/{tenant.organization.slug}/no-such-env/").status_code == 404
    assert client.get(tenant.url(tenant.development)).status_code == 200


def test_another_environments_key_is_404_even_in_my_organization(client, login, tenant):
    production_key = ApiKeyFactory(environment=tenant.production)
    login(tenant.admin.user)
    rotate = tenant.url(tenant.development, f"api-keys/{production_key.pk}/rotate/")
    assert client.get(rotate).status_code == 404
    assert client.post(rotate, {"grace": "immediately"}).status_code == 404
    production_key.refresh_from_db()
    assert production_key.expires_at is None
    assert (
        client.get(
            tenant.url(tenant.production, f"api-keys/{production_key.pk}/rotate/")
        ).status_code
        == 200
    )


def test_another_organizations_key_is_404(client, login, tenant, other_tenant):
    foreign_key = ApiKeyFactory(environment=other_tenant.development)
    login(tenant.admin.user)
    revoke = tenant.url(tenant.development, f"api-keys/{foreign_key.pk}/revoke/")
    assert client.post(revoke).status_code == 404
    foreign_key.refresh_from_db()
    assert foreign_key.revoked_at is None


def test_a_page_lists_only_its_own_environments_keys(client, login, tenant, other_tenant):
    ApiKeyFactory(environment=tenant.development, name="Dev checkout")
    ApiKeyFactory(environment=tenant.production, name="Prod checkout")
    ApiKeyFactory(environment=other_tenant.development, name="Globex key")
    login(tenant.viewer.user)
    page = client.get(tenant.url(tenant.development, "api-keys/")).content.decode()
    assert "Dev checkout" in page
    assert "Prod checkout" not in page
    assert "Globex key" not in page
    assert tenant.development.application_identifier in page
    assert tenant.production.application_identifier not in page
