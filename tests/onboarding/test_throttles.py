"""Sign-up emails are throttled per client address, new organizations per user; over the limit
the answer is a clear 429 page, and nothing is sent or created."""

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from accounts.models import Organization
from config.settings import _rate


def ask_for_link(client, number, address="203.0.113.5"):
    return client.post(
        "/accounts/signup/", {"email": f"person{number}@example.com"}, REMOTE_ADDR=address
    )


def test_sign_ups_from_one_address_are_throttled(client, db, settings):
    settings.SIGNUP_RATE_LIMIT = "2/h"
    assert ask_for_link(client, 1).status_code == 200
    assert ask_for_link(client, 2).status_code == 200
    assert len(mail.outbox) == 2

    response = ask_for_link(client, 3)
    assert response.status_code == 429
    assert "Too many sign-ups" in response.content.decode()
    assert 60 <= int(response["Retry-After"]) <= 3600
    assert len(mail.outbox) == 2

    # Another address is counted on its own.
    assert ask_for_link(client, 4, address="198.51.100.23").status_code == 200
    assert [message.to for message in mail.outbox][-1] == ["person4@example.com"]


def test_the_answer_for_an_existing_account_is_throttled_alike(client, user, settings):
    settings.SIGNUP_RATE_LIMIT = "1/h"
    assert ask_for_link(client, 1).status_code == 200
    response = client.post("/accounts/signup/", {"email": user.email}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 429


def test_a_form_with_mistakes_costs_nothing(client, db, settings):
    settings.SIGNUP_RATE_LIMIT = "1/h"
    for _ in range(3):
        response = client.post("/accounts/signup/", {"email": "not-an-email"})
        assert response.status_code == 200
        assert "Enter a valid email address." in response.content.decode()
    assert ask_for_link(client, 1).status_code == 200
    assert len(mail.outbox) == 1


def test_new_organizations_are_throttled_per_user(client, login, tenant, settings):
    settings.ORGANIZATION_RATE_LIMIT = "2/h"
    login(tenant.admin.user)
    for name in ("One", "Two"):
        assert (
            "is ready"
            in client.post("/accounts/organizations/new/", {"name": name}).content.decode()
        )
    response = client.post("/accounts/organizations/new/", {"name": "Three"})
    assert response.status_code == 429
    assert "Too many new organizations" in response.content.decode()
    assert not Organization.objects.filter(name="Three").exists()

    # Another user, from the same address, is not held back.
    login(tenant.editor.user)
    response = client.post("/accounts/organizations/new/", {"name": "Three"})
    assert "Three is ready" in response.content.decode()


@pytest.mark.parametrize("value", ["five", "5", "5/hour", "0/h", "5/w", ""])
def test_a_malformed_rate_stops_the_start_with_a_clear_message(monkeypatch, value):
    monkeypatch.setenv("SIGNUP_RATE_LIMIT", value)
    with pytest.raises(ImproperlyConfigured, match="SIGNUP_RATE_LIMIT must look like 5/h"):
        _rate("SIGNUP_RATE_LIMIT", "5/h")


@pytest.mark.parametrize("value", ["5/h", "20/d", "3/10m", "100/s"])
def test_well_formed_rates_are_taken(monkeypatch, value):
    monkeypatch.setenv("SIGNUP_RATE_LIMIT", value)
    assert _rate("SIGNUP_RATE_LIMIT", "5/h") == value
