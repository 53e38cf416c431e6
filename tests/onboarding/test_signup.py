"""Sign-up: an email address first; the emailed link leads to a password and an organization,
and the user, the organization and its two environments are made in one transaction."""

import re
import smtplib
import time
from types import SimpleNamespace

import pytest
from django.core import mail, signing

from accounts.models import Membership, Organization, Role, User
from environments.models import ApiKey, Environment
from environments.services import api_key_authenticate
from onboarding import services
from tests.onboarding.conftest import FINISH, link_in

SECRET = r"herald_sk_[A-Za-z0-9_-]{43}"


def test_the_emailed_link_creates_everything_and_shows_each_key_once(client, db, sign_up_link):
    link = sign_up_link("Rita@Example.com")
    assert mail.outbox[0].to == ["rita@example.com"]
    assert not User.objects.exists()  # nothing is made before the address is proven

    form = client.get(link).content.decode()
    assert "rita@example.com" in form and "Create account" in form
    response = client.post(link, FINISH)
    assert response.status_code == 200

    user = User.objects.get()
    assert user.email == "rita@example.com"
    assert user.name == "Rita Operator"
    organization = Organization.objects.get()
    assert organization.slug == "initech"
    assert Membership.objects.get().role == Role.ADMIN
    development = Environment.objects.get(name="Development")
    production = Environment.objects.get(name="Production")
    assert production.upstream == development
    assert development.upstream is None
    assert development.application_identifier != production.application_identifier

    page = response.content.decode()
    assert "Welcome to Herald, Rita Operator" in page
    secrets = re.findall(SECRET, page)
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


def _visible(response) -> str:
    """The page without what differs between any two requests: CSRF token, CSP nonce."""
    page = re.sub(r"[A-Za-z0-9]{64}", "<csrf>", response.content.decode())
    return re.sub(r'nonce="[^"]+"', 'nonce="<nonce>"', page)


def _pages(response) -> list[str]:
    return [t.name for t in response.templates if not t.name.startswith("onboarding/email/")]


def test_an_address_with_an_account_gets_the_same_answer_as_a_new_one(client, user):
    taken = client.post("/accounts/signup/", {"email": user.email.upper()})
    # A new address of the same length, so that not even the page's size differs.
    new_address = "x" * (len(user.email) - len("@example.org")) + "@example.org"
    assert len(new_address) == len(user.email)
    free = client.post("/accounts/signup/", {"email": new_address})

    assert taken.status_code == free.status_code == 200
    assert _pages(taken) == _pages(free)
    assert _visible(taken).replace(user.email, new_address) == _visible(free)
    assert sorted(taken.headers) == sorted(free.headers)
    assert "Check your inbox" in _visible(taken)
    assert "already" not in _visible(taken).split("<h1>", 1)[1].split("Already have", 1)[0]

    # Only the owner of the inbox learns which: the account's owner gets a way to log in.
    existing, invitation = mail.outbox
    assert existing.to == [user.email] and invitation.to == [new_address]
    assert "You already have a Herald account" in existing.body
    assert "/accounts/login/" in existing.body
    assert "/accounts/password-reset/" in existing.body
    assert link_in(existing) is None
    assert link_in(invitation) is not None
    assert User.objects.count() == 1


def test_a_link_for_an_address_that_meanwhile_has_an_account_creates_nothing(
    client, db, sign_up_link
):
    link = sign_up_link("rita@example.com")
    client.post(link, FINISH)
    client.logout()

    # The same link again, a GET and a POST: no second account, no second organization.
    assert "You already have an account" in client.get(link).content.decode()
    response = client.post(link, {**FINISH, "organization_name": "Second"})
    assert "You already have an account" in response.content.decode()
    assert User.objects.count() == 1
    assert Organization.objects.count() == 1
    assert "_auth_user_id" not in client.session


def test_a_changed_or_cut_link_is_refused_with_a_clear_message(client, db, sign_up_link):
    link = sign_up_link("rita@example.com")
    token = link.rstrip("/").rsplit("/", 1)[1]
    other_salt = signing.TimestampSigner(salt="another").sign_object({"email": "eve@example.com"})
    # Rita's timestamp and signature on a payload naming someone else.
    swapped = ":".join(
        [signing.b64_encode(b'{"email":"eve@example.com"}').decode(), *token.split(":")[1:]]
    )
    for broken in (token[:-3], token[:10], other_salt, swapped, "x", "%C3%A9:%00:x"):
        response = client.post(f"/accounts/signup/{broken}/", FINISH)
        assert response.status_code == 400, broken
        assert "This link is incomplete or was changed" in response.content.decode()
    assert not User.objects.exists()


def test_an_expired_link_is_refused_and_offers_a_new_one(client, db, sign_up_link, monkeypatch):
    link = sign_up_link("rita@example.com")
    day_later = time.time() + 24 * 3600 + 60
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: day_later))
    response = client.post(link, FINISH)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This link has expired: sign-up links work for 24 hours." in page
    assert 'href="/accounts/signup/"' in page
    assert not User.objects.exists()


def test_sign_up_is_all_or_nothing(client, db, sign_up_link, monkeypatch):
    def failing_pair_create(**kwargs):
        raise RuntimeError("disk full")

    link = sign_up_link("rita@example.com")
    monkeypatch.setattr(services, "environment_pair_create", failing_pair_create)
    with pytest.raises(RuntimeError):
        client.post(link, FINISH)
    assert not User.objects.exists()
    assert not Organization.objects.exists()
    assert not Environment.objects.exists()


def test_both_steps_validate_with_clear_messages(client, db, sign_up_link):
    response = client.post("/accounts/signup/", {"email": "not an email"})
    assert "Enter a valid email address." in response.content.decode()
    # Longer than an account's email can be: refused here, not by the database later.
    response = client.post("/accounts/signup/", {"email": f"{'a' * 60}@{'b' * 200}.example.com"})
    assert "Ensure this value has at most 254 characters" in response.content.decode()
    assert client.post("/accounts/signup/", {}).content.decode().count("This field is required.")
    assert mail.outbox == []

    link = sign_up_link("rita@example.com")
    response = client.post(link, {"name": "", "password": "123", "organization_name": ""})
    page = response.content.decode()
    assert "This password is too short" in page
    assert page.count("This field is required.") == 2
    response = client.post(link, {**FINISH, "password": "rita@example.com"})
    assert "The password is too similar to the email" in response.content.decode()
    assert not User.objects.exists()


def test_a_mail_server_failure_is_a_message_not_a_500(client, db, monkeypatch):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(services, "send_mail", refuse)
    response = client.post("/accounts/signup/", {"email": "rita@example.com"})
    assert response.status_code == 503
    assert "Herald could not send the email just now" in response.content.decode()


def test_one_inbox_gets_a_limited_number_of_links_whoever_asks(client, db, settings):
    settings.SIGNUP_RATE_LIMIT = "2/h"
    answers = [
        client.post(
            "/accounts/signup/", {"email": "rita@example.com"}, REMOTE_ADDR=f"198.51.100.{n}"
        )
        for n in range(1, 5)
    ]
    # Every client is told the same; the inbox gets two emails, not four.
    assert {response.status_code for response in answers} == {200}
    assert all("Check your inbox" in response.content.decode() for response in answers)
    assert len(mail.outbox) == 2


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
    assert len(re.findall(SECRET, page)) == 2
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
