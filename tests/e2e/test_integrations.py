"""An admin adds an SMTP integration in Production, sends a test through it, and reads the
SMTP server's answer on the page; the server (aiosmtpd, on loopback) receives the email."""

import re

import pytest
from playwright.sync_api import expect

from tests.smtp import running_smtp_server


@pytest.fixture
def smtp_server():
    server, controller = running_smtp_server()
    yield server
    controller.stop()


def test_add_an_smtp_integration_in_production_and_send_a_test(browser_page, tenant, smtp_server):
    page = browser_page
    page.goto(tenant.url(tenant.production))
    page.get_by_role("link", name="Integrations", exact=True).click()
    expect(page.get_by_role("heading", name="Integrations")).to_be_visible()
    expect(page.get_by_test_id("environment-local-note")).to_contain_text("never promoted")

    page.get_by_role("link", name="Add integration").click()
    page.get_by_test_id("provider-nodemailer").click()
    page.get_by_label("Name", exact=True).fill("Production mail")
    page.get_by_label("Host", exact=True).fill("127.0.0.1")
    page.get_by_label("Port", exact=True).fill(str(smtp_server.port))
    page.get_by_label("From address").fill("orders@acme.test")
    page.get_by_label("Sender name").fill("Acme Orders")
    page.get_by_label("Password", exact=True).fill("smtp-secret-Lq3")
    page.get_by_role("button", name="Add integration").click()

    expect(page).to_have_url(re.compile(r"/production/integrations/$"))
    row = page.locator("[data-testid^=integration-nodemailer-]")
    expect(row).to_contain_text("Production mail")
    expect(row).to_contain_text("primary")
    identifier = row.locator("code").inner_text()
    assert re.fullmatch(r"nodemailer-[a-z0-9]{6}", identifier)

    row.get_by_role("link", name="Send test").click()
    page.get_by_label("Send the test to").fill("ops@example.com")
    page.get_by_role("button", name="Send test").click()

    answer = page.get_by_test_id("provider-answer")
    expect(answer).to_contain_text("Sent")
    expect(page.get_by_test_id("answer-status")).to_have_text("250")
    expect(page.get_by_test_id("answer-body")).to_have_text("2.0.0 Ok: queued as H3RALD")
    assert "smtp-secret-Lq3" not in page.content()

    [mail] = smtp_server.received
    assert mail.recipients == ["ops@example.com"]
    assert mail.message["Subject"] == "Test from Herald: Production mail"
    assert "Production mail" in mail.part("text/plain")
