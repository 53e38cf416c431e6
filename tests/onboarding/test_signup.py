"""Sign-up creates the user, the organization and its two environments in one transaction."""

import re

import pytest

from accounts.models import Membership, Organization, Role, User
from environments.models import ApiKey, Environment
from environments.services import api_key_authenticate
from onboarding import services

SIGN_UP = {
    "name": "Rita Operator",
    "email": "Rita@Example.com",
    "password": "a-long-unusual-passphrase",
    "organization_name": "Initech",
}


def test_sign_up_creates_everything_and_shows_each_key_once(client, db):
    response = client.post("/accounts/signup/", SIGN_UP)
    assert response.status_code == 200

    user = User.objects.get()
    assert user.email == "rita@example.com"
    organization = Organization.objects.get()
    assert organization.slug == "initech"
    assert Membership.objects.get().role == Role.ADMIN
    development = Environment.objects.get(name="Development")
    production = Environment.objects.get(name="Production")
    assert production.upstream == development
    assert development.upstream is None
    assert development.application_identifier != production.application_identifier

    page = response.content.decode()
    secrets = re.findall(r"herald_sk_[A-Za-z0-9_-]{43}", page)
    assert len(secrets) == 2
    assert {api_key_authenticate(secret=s).environment for s in secrets} == {
        development,
        production,
    }
    assert ApiKey.unscoped_across_environments.count() == 2
    assert response["Cache-Control"] == "no-store"

    # Signed in, and the secrets are not shown again anywhere.
    keys_page = client.get("/initech/development/api-keys/").content.decode()
    assert all(secret not in keys_page for secret in secrets)


def test_sign_up_is_all_or_nothing(client, db, monkeypatch):
    def failing_pair_create(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "environment_pair_create", failing_pair_create)
    with pytest.raises(RuntimeError):
        client.post("/accounts/signup/", SIGN_UP)
    assert not User.objects.exists()
    assert not Organization.objects.exists()
    assert not Environment.objects.exists()


def test_sign_up_validates_with_clear_messages(client, user):
    response = client.post(
        "/accounts/signup/",
        {"name": "", "email": user.email.upper(), "password": "123", "organization_name": ""},
    )
    page = response.content.decode()
    assert "An account with this email already exists" in page
    assert "This password is too short" in page
    assert page.count("This field is required.") == 2
    assert User.objects.count() == 1


def test_organization_slugs_stay_unique_and_avoid_reserved_words(db):
    first = services.user_sign_up(
        email="a@example.com", password="x-long-passphrase", name="A", organization_name="Acme"
    )
    second = services.user_sign_up(
        email="b@example.com", password="x-long-passphrase", name="B", organization_name="Acme"
    )
    reserved = services.user_sign_up(
        email="c@example.com", password="x-long-passphrase", name="C", organization_name="Accounts"
    )
    assert [first.organization.slug, second.organization.slug] == ["acme", "acme-2"]
    assert reserved.organization.slug == "accounts-org"


def test_a_signed_in_user_creates_another_organization(client, login, tenant):
    user = tenant.editor.user
    login(user)
    response = client.post("/accounts/organizations/new/", {"name": "Side Project"})
    page = response.content.decode()
    assert "Side Project is ready" in page
    assert len(re.findall(r"herald_sk_[A-Za-z0-9_-]{43}", page)) == 2
    organization = Organization.objects.get(name="Side Project")
    assert Membership.objects.get(organization=organization, user=user).role == Role.ADMIN
    assert organization.environments.get(name="Production").upstream.name == "Development"
    # The old organization is untouched and the switcher now offers both.
    assert Membership.objects.get(organization=tenant.organization, user=user).role == Role.EDITOR
    switcher = client.get(tenant.url(tenant.development)).content.decode()
    assert 'href="/side-project/"' in switcher


def test_creating_an_organization_needs_a_login_and_a_name(client, login, tenant):
    assert client.post("/accounts/organizations/new/", {"name": "X"}).status_code == 302
    login(tenant.viewer.user)
    response = client.post("/accounts/organizations/new/", {"name": ""})
    assert "This field is required." in response.content.decode()
    assert Organization.objects.count() == 1
