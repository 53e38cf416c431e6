"""A forgotten password: an emailed link sets a new one. The answer is the same for any address,
and requests are throttled per client address."""

import re

from django.core import mail

RESET_LINK = r"https?://\S+/accounts/password-reset/\S+/\S+/"


def test_the_emailed_link_sets_a_new_password(client, tenant):
    user = tenant.editor.user
    response = client.post("/accounts/password-reset/", {"email": user.email.upper()}, follow=True)
    assert "If that address has a Herald account" in response.content.decode()
    (email,) = mail.outbox
    assert email.to == [user.email]
    assert email.subject == "Reset your Herald password"
    link = re.search(RESET_LINK, email.body).group(0)

    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    new_password = "another-long-passphrase"
    done = client.post(
        set_url, {"new_password1": new_password, "new_password2": new_password}, follow=True
    )
    assert "Your password is set" in done.content.decode()

    user.refresh_from_db()
    assert user.check_password(new_password)
    # The link works once.
    assert "This link does not work" in client.get(link, follow=True).content.decode()
    response = client.post("/accounts/login/", {"username": user.email, "password": new_password})
    assert response.status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, tenant):
    known = client.post("/accounts/password-reset/", {"email": tenant.viewer.user.email})
    unknown = client.post("/accounts/password-reset/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password-reset/sent/"
    assert [message.to for message in mail.outbox] == [[tenant.viewer.user.email]]


def test_reset_requests_are_throttled_per_client_address(client, tenant, settings):
    settings.PASSWORD_RESET_RATE_LIMIT = "2/h"
    email = {"email": tenant.admin.user.email}
    for _ in range(2):
        assert client.post("/accounts/password-reset/", email).status_code == 302
    response = client.post("/accounts/password-reset/", email)
    assert response.status_code == 429
    assert "Too many password resets" in response.content.decode()
    assert len(mail.outbox) == 2
    other = client.post("/accounts/password-reset/", email, REMOTE_ADDR="198.51.100.23")
    assert other.status_code == 302


def test_the_login_page_offers_a_reset(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password-reset/"' in page
