"""Members: admins add, re-role and remove; the last admin stays; others only read."""

import pytest

from accounts.models import Membership, Role
from tests.factories import MembershipFactory, UserFactory


def members_url(tenant):
    return tenant.url(tenant.development, "members/")


def test_members_page_lists_only_this_organizations_members(client, login, tenant, other_tenant):
    login(tenant.viewer.user)
    page = client.get(members_url(tenant)).content.decode()
    for membership in (tenant.admin, tenant.editor, tenant.viewer):
        assert membership.user.email in page
    assert other_tenant.admin.user.email not in page
    assert "Add a member" not in page
    assert "Remove" not in page


def test_an_admin_adds_an_existing_user_with_a_role(client, login, tenant):
    newcomer = UserFactory(email="newcomer@example.com")
    login(tenant.admin.user)
    response = client.post(
        members_url(tenant), {"email": "NEWCOMER@example.com", "role": "viewer"}, follow=True
    )
    assert "Added newcomer@example.com as viewer." in response.content.decode()
    assert (
        Membership.objects.get(user=newcomer, organization=tenant.organization).role == Role.VIEWER
    )


def test_adding_an_unknown_email_or_a_member_again_explains_why(client, login, tenant):
    login(tenant.admin.user)
    page = client.post(members_url(tenant), {"email": "nobody@example.com", "role": "editor"})
    assert "No Herald account uses nobody@example.com" in page.content.decode()
    again = client.post(members_url(tenant), {"email": tenant.viewer.user.email, "role": "editor"})
    assert "is already a member" in again.content.decode()
    assert Membership.objects.filter(organization=tenant.organization).count() == 3


def test_an_admin_changes_a_role_and_removes_a_member(client, login, tenant):
    login(tenant.admin.user)
    client.post(
        tenant.url(tenant.development, f"members/{tenant.viewer.pk}/role/"), {"role": "editor"}
    )
    tenant.viewer.refresh_from_db()
    assert tenant.viewer.role == Role.EDITOR

    remove_url = tenant.url(tenant.development, f"members/{tenant.editor.pk}/remove/")
    assert "will lose access" in client.get(remove_url).content.decode()
    client.post(remove_url)
    assert not Membership.objects.filter(pk=tenant.editor.pk).exists()


def test_the_last_admin_can_be_neither_demoted_nor_removed(client, login, tenant):
    login(tenant.admin.user)
    demote = client.post(
        tenant.url(tenant.development, f"members/{tenant.admin.pk}/role/"),
        {"role": "viewer"},
        follow=True,
    )
    assert "is the last admin" in demote.content.decode()
    remove = client.post(
        tenant.url(tenant.development, f"members/{tenant.admin.pk}/remove/"), follow=True
    )
    assert "is the last admin" in remove.content.decode()
    tenant.admin.refresh_from_db()
    assert tenant.admin.role == Role.ADMIN

    # With a second admin, the first may step down.
    MembershipFactory(organization=tenant.organization, role=Role.ADMIN)
    client.post(
        tenant.url(tenant.development, f"members/{tenant.admin.pk}/role/"), {"role": "editor"}
    )
    tenant.admin.refresh_from_db()
    assert tenant.admin.role == Role.EDITOR


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_only_admins_write_members(client, login, tenant, role):
    login(getattr(tenant, role).user)
    UserFactory(email="newcomer@example.com")
    assert (
        client.post(
            members_url(tenant), {"email": "newcomer@example.com", "role": "admin"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            tenant.url(tenant.development, f"members/{tenant.admin.pk}/role/"), {"role": "viewer"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            tenant.url(tenant.development, f"members/{tenant.admin.pk}/remove/")
        ).status_code
        == 403
    )
    tenant.admin.refresh_from_db()
    assert tenant.admin.role == Role.ADMIN
    assert Membership.objects.filter(organization=tenant.organization).count() == 3


def test_members_of_another_organization_cannot_be_touched(client, login, tenant, other_tenant):
    login(tenant.admin.user)
    response = client.post(
        tenant.url(tenant.development, f"members/{other_tenant.viewer.pk}/remove/")
    )
    assert response.status_code == 404
    assert Membership.objects.filter(pk=other_tenant.viewer.pk).exists()


def test_members_are_managed_from_production_too(client, login, tenant):
    """Members are organization-wide, not promotable content: Production's page can add them."""
    UserFactory(email="newcomer@example.com")
    login(tenant.admin.user)
    client.post(
        tenant.url(tenant.production, "members/"),
        {"email": "newcomer@example.com", "role": "viewer"},
    )
    assert Membership.objects.filter(user__email="newcomer@example.com").exists()


def test_the_organization_switcher_lists_every_organization_of_the_user(
    client, login, tenant, other_tenant
):
    user = tenant.editor.user
    MembershipFactory(organization=other_tenant.organization, user=user, role=Role.VIEWER)
    login(user)
    page = client.get(tenant.url(tenant.development)).content.decode()
    assert f'href="/{other_tenant.organization.slug}/"' in page
    response = client.get(f"/{other_tenant.organization.slug}/", follow=True)
    assert response.redirect_chain[-1][0] == other_tenant.url(other_tenant.development)
