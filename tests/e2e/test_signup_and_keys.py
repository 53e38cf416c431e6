"""A new operator signs up through the emailed link, explores both environments, and rotates
a key."""

import re

from django.core import mail
from playwright.sync_api import expect


def test_sign_up_switch_to_production_and_rotate_a_key(page, db):
    page.goto("/accounts/signup/")
    page.get_by_label("Work email").fill("rita@example.com")
    page.get_by_role("button", name="Email me a sign-up link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    # The live server runs in this process, so its emails land in this outbox.
    (email,) = mail.outbox
    assert email.to == ["rita@example.com"]
    link = re.search(r"http://\S+/accounts/signup/\S+/", email.body).group(0)
    page.goto(link)
    expect(page.get_by_test_id("signup-email")).to_have_text("rita@example.com")
    page.get_by_label("Your name").fill("Rita Operator")
    page.get_by_label("Password").fill("a-long-unusual-passphrase")
    page.get_by_label("Organization").fill("Initech")
    page.get_by_role("button", name="Create account").click()

    # The keys of both environments, shown once.
    secrets = page.get_by_test_id("secret-once")
    expect(secrets).to_have_count(2)
    expect(secrets.first).to_contain_text("herald_sk_")
    page.get_by_role("link", name="Continue to Development").click()

    expect(page).to_have_url(re.compile(r"/initech/development/$"))
    expect(page.get_by_test_id("environment-stripe")).to_contain_text("Development")
    expect(page.get_by_test_id("read-only-banner")).to_have_count(0)

    page.get_by_test_id("environment-switcher").click()
    page.locator(".environment-switcher").get_by_role("link", name=re.compile("Production")).click()
    expect(page).to_have_url(re.compile(r"/initech/production/$"))
    banner = page.get_by_test_id("read-only-banner")
    expect(banner).to_contain_text("Production is read-only.")
    expect(banner.get_by_role("link", name="Development")).to_be_visible()

    page.get_by_role("link", name="API Keys", exact=True).click()
    expect(page.get_by_role("heading", name="API Keys")).to_be_visible()
    application_identifier = page.get_by_test_id("application-identifier")
    expect(application_identifier).to_have_text(re.compile(r"\S{12,}"))

    # Rotate as admin: the new secret appears once.
    page.get_by_role("link", name="Rotate").first.click()
    page.get_by_label("After 1 hour").check()
    page.get_by_role("button", name="Rotate key").click()
    new_secret = page.get_by_test_id("new-secret")
    expect(new_secret).to_have_text(re.compile(r"^herald_sk_[A-Za-z0-9_-]{43}$"))
    secret = new_secret.inner_text()
    expect(page).to_have_url(re.compile(r"/initech/production/api-keys/$"))

    page.reload()
    expect(page.get_by_role("heading", name="API Keys")).to_be_visible()
    expect(page.get_by_test_id("new-secret")).to_have_count(0)
    assert secret not in page.content()
    # Both keys are listed: the new one, and the old one expiring in an hour.
    expect(page.get_by_test_id("api-keys").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("api-keys")).to_contain_text("expiring")
