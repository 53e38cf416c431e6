"""Chat, SMS and email APIs through a local HTTP server standing in for each provider: what
they receive, and how their answers (2xx, 500, 429, 4xx, no answer) are classified and logged,
with secrets redacted."""

import json
import logging
import time

import pytest
from werkzeug import Response

from integrations.delivery import send_through_integration
from tests.factories import IntegrationFactory

WEBHOOK_PATH = "/services/T000/B000/webhook-token-Zq8"
TWILIO_TOKEN = "twilio-auth-token-9Kd"


def requests_to(httpserver, path: str) -> list:
    """What the stand-in received at ``path`` (a slow answer of an earlier test may land in the
    log late, so the log is read by path)."""
    return [request for request, _ in httpserver.log if request.path == path]


def integration(tenant, provider_id, channel, **credentials):
    return IntegrationFactory(
        environment=tenant.production,
        provider_id=provider_id,
        channel=channel,
        credentials=credentials,
        primary=True,
    )


@pytest.mark.parametrize(
    ("provider_id", "expected_body"),
    [
        ("slack", {"text": "Deploy finished"}),
        ("msteams", {"text": "Deploy finished"}),
    ],
)
def test_chat_webhooks_receive_the_message(tenant, httpserver, provider_id, expected_body):
    httpserver.expect_oneshot_request(
        WEBHOOK_PATH, method="POST", json=expected_body
    ).respond_with_data("ok")
    chat = integration(tenant, provider_id, "chat")
    answer = send_through_integration(
        integration=chat, to=httpserver.url_for(WEBHOOK_PATH), content="Deploy finished"
    )
    httpserver.check_assertions()
    assert answer.status == "sent"
    assert answer.raw == {"status": 200, "body": "ok"}


def test_discord_answers_with_the_message_id(tenant, httpserver):
    httpserver.expect_oneshot_request(
        WEBHOOK_PATH, method="POST", json={"content": "Deploy finished"}, query_string="wait=true"
    ).respond_with_json({"id": "112233", "content": "Deploy finished"})
    chat = integration(tenant, "discord", "chat")
    answer = send_through_integration(
        integration=chat, to=httpserver.url_for(WEBHOOK_PATH), content="Deploy finished"
    )
    assert answer.status == "sent" and answer.provider_message_id == "112233"


def test_the_default_webhook_of_the_integration_is_used_without_a_destination(tenant, httpserver):
    httpserver.expect_oneshot_request("/default-hook", method="POST").respond_with_data("ok")
    chat = integration(tenant, "slack", "chat", webhookUrl=httpserver.url_for("/default-hook"))
    answer = send_through_integration(integration=chat, to="", content="Hello")
    httpserver.check_assertions()
    assert answer.status == "sent"


def test_twilio_receives_the_sms_with_basic_auth(tenant, httpserver, settings):
    settings.TWILIO_API_URL = httpserver.url_for("")
    path = "/2010-04-01/Accounts/AC123/Messages.json"
    httpserver.expect_oneshot_request(
        path,
        method="POST",
        data="To=%2B15555550111&From=%2B15555550100&Body=Your+code+is+1234",
        headers={"Authorization": "Basic QUMxMjM6dHdpbGlvLWF1dGgtdG9rZW4tOUtk"},
    ).respond_with_json({"sid": "SM42", "status": "queued", "auth_token": TWILIO_TOKEN}, status=201)
    sms = integration(
        tenant, "twilio", "sms", accountSid="AC123", token=TWILIO_TOKEN, **{"from": "+15555550100"}
    )
    answer = send_through_integration(
        integration=sms, to="+15555550111", content="Your code is 1234"
    )
    httpserver.check_assertions()
    assert (answer.status, answer.provider_message_id, answer.http_status) == ("sent", "SM42", 201)
    # An answer that echoes the token keeps it out of the record.
    assert TWILIO_TOKEN not in json.dumps(answer.as_record())
    assert answer.raw["body"]["auth_token"] == "[redacted]"


def test_the_generic_sms_gateway_receives_json_with_its_key_header(tenant, httpserver):
    httpserver.expect_oneshot_request(
        "/sms", method="POST", json={"to": "+15555550111", "from": "Acme", "content": "Hi"},
        headers={"X-Api-Key": "gateway-key-77"},
    ).respond_with_json({"id": "msg-9"})  # fmt: skip
    sms = integration(
        tenant, "generic-sms", "sms", baseUrl=httpserver.url_for("/sms"),
        apiKeyRequestHeader="X-Api-Key", apiKey="gateway-key-77", **{"from": "Acme"},
    )  # fmt: skip
    answer = send_through_integration(integration=sms, to="+15555550111", content="Hi")
    httpserver.check_assertions()
    assert answer.status == "sent" and answer.provider_message_id == "msg-9"


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (503, True), (429, True), (400, False), (404, False)]
)
def test_5xx_and_429_are_retryable_and_other_4xx_never(tenant, httpserver, status, retryable):
    httpserver.expect_request(WEBHOOK_PATH).respond_with_data("no", status=status)
    chat = integration(tenant, "slack", "chat")
    answer = send_through_integration(
        integration=chat, to=httpserver.url_for(WEBHOOK_PATH), content="x"
    )
    assert (answer.status, answer.retryable, answer.http_status) == ("failed", retryable, status)
    assert answer.raw == {"status": status, "body": "no"}


def test_a_429_carries_its_retry_after(tenant, httpserver):
    httpserver.expect_request(WEBHOOK_PATH).respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "120"})
    )
    chat = integration(tenant, "slack", "chat")
    answer = send_through_integration(
        integration=chat, to=httpserver.url_for(WEBHOOK_PATH), content="x"
    )
    assert (answer.retryable, answer.retry_after) == (True, 120.0)


def test_no_answer_in_time_is_a_retryable_timeout(tenant, httpserver, settings):
    settings.INTEGRATION_TIMEOUT_SECONDS = 0.2

    def slow(request):
        time.sleep(0.6)
        return Response("late")

    httpserver.expect_request(WEBHOOK_PATH).respond_with_handler(slow)
    chat = integration(tenant, "slack", "chat")
    answer = send_through_integration(
        integration=chat, to=httpserver.url_for(WEBHOOK_PATH), content="x"
    )
    assert (answer.status, answer.retryable) == ("failed", True)
    assert answer.detail == "No answer within 0.2 s."


def test_failures_are_logged_classified_and_without_secrets(tenant, httpserver, caplog):
    httpserver.expect_request(WEBHOOK_PATH).respond_with_data(
        f"invalid_token for {WEBHOOK_PATH}", status=403
    )
    chat = integration(tenant, "slack", "chat")
    url = httpserver.url_for(WEBHOOK_PATH)
    with caplog.at_level(logging.INFO, logger="herald.integrations"):
        answer = send_through_integration(integration=chat, to=url, content="x")
    [record] = [record for record in caplog.records if record.name == "herald.integrations"]
    assert record.levelname == "WARNING"
    assert (
        f"Delivery through slack ({chat.identifier}): failed. The provider answered 403"
        in record.getMessage()
    )
    # The webhook URL is a credential: neither the log nor the stored answer holds it.
    assert "webhook-token-Zq8" not in record.getMessage()
    assert "webhook-token-Zq8" not in json.dumps(answer.as_record())
    assert answer.raw["body"] == "invalid_token for [redacted]"


def test_a_private_address_is_refused_unless_allowed(tenant, httpserver, settings):
    settings.INTEGRATION_ALLOW_PRIVATE_NETWORKS = False
    chat = integration(tenant, "slack", "chat")
    answer = send_through_integration(integration=chat, to=httpserver.url_for("/x"), content="x")
    assert (answer.status, answer.retryable) == ("failed", False)
    assert "private or local network" in answer.detail
    assert requests_to(httpserver, "/x") == []


def test_a_provider_that_raises_fails_this_delivery_only(tenant, monkeypatch, caplog):
    from integrations.providers import PROVIDERS

    def broken(**kwargs):
        raise RuntimeError("secret-in-message-xyz")

    monkeypatch.setattr(PROVIDERS["slack"], "send", broken)
    chat = integration(tenant, "slack", "chat", webhookUrl="https://hooks.example.com/x")
    answer = send_through_integration(integration=chat, to="", content="x")
    assert (answer.status, answer.retryable) == ("failed", False)
    assert "secret-in-message-xyz" not in caplog.text


# Email APIs through anymail's backends, their API URLs pointed at the local server -------------


@pytest.fixture
def anymail_urls(settings, httpserver):
    settings.ANYMAIL = {
        "SENDGRID_API_URL": httpserver.url_for("/sendgrid/v3/"),
        "MAILGUN_API_URL": httpserver.url_for("/mailgun/v3/"),
        "POSTMARK_API_URL": httpserver.url_for("/postmark/"),
        "AMAZON_SES_CLIENT_PARAMS": {"endpoint_url": httpserver.url_for("/ses")},
    }


EMAIL = {"to": "ada@example.com", "subject": "Receipt", "html": "<p>Thanks!</p>"}


def test_sendgrid_receives_the_message_with_its_key(tenant, httpserver, anymail_urls):
    httpserver.expect_oneshot_request(
        "/sendgrid/v3/mail/send", method="POST", headers={"Authorization": "Bearer SG.key-1"}
    ).respond_with_data("", status=202, headers={"X-Message-Id": "sg-1"})
    email = integration(tenant, "sendgrid", "email", apiKey="SG.key-1", **{"from": "o@acme.test"})
    answer = send_through_integration(integration=email, **EMAIL)
    httpserver.check_assertions()
    [request] = requests_to(httpserver, "/sendgrid/v3/mail/send")
    body = request.get_json()
    assert body["personalizations"][0]["to"] == [{"email": "ada@example.com"}]
    assert [part["type"] for part in body["content"]] == ["text/plain", "text/html"]
    assert answer.status == "sent" and answer.http_status == 202


def test_mailgun_receives_the_message_for_its_domain(tenant, httpserver, anymail_urls):
    httpserver.expect_oneshot_request(
        "/mailgun/v3/mg.acme.test/messages", method="POST"
    ).respond_with_json({"id": "<mg-1@mg.acme.test>", "message": "Queued. Thank you."})
    email = integration(
        tenant,
        "mailgun",
        "email",
        apiKey="key-mg",
        domain="mg.acme.test",
        **{"from": "o@acme.test"},
    )
    answer = send_through_integration(integration=email, **EMAIL)
    httpserver.check_assertions()
    assert answer.status == "sent" and answer.provider_message_id == "<mg-1@mg.acme.test>"


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (429, True), (422, False)])
def test_postmark_errors_are_classified(tenant, httpserver, anymail_urls, status, retryable):
    httpserver.expect_request("/postmark/email").respond_with_json(
        {"ErrorCode": 300, "Message": "Invalid email request", "ServerToken": "pm-token-1"},
        status=status,
    )
    email = integration(tenant, "postmark", "email", apiKey="pm-token-1", **{"from": "o@acme.test"})
    answer = send_through_integration(integration=email, **EMAIL)
    assert (answer.status, answer.retryable, answer.http_status) == ("failed", retryable, status)
    assert answer.raw["body"]["Message"] == "Invalid email request"
    assert "pm-token-1" not in json.dumps(answer.as_record())


def test_an_email_api_that_does_not_answer_in_time_is_retryable(
    tenant, httpserver, anymail_urls, settings
):
    settings.INTEGRATION_TIMEOUT_SECONDS = 0.2

    def slow(request):
        time.sleep(0.6)
        return Response("{}", status=200)

    httpserver.expect_request("/postmark/email").respond_with_handler(slow)
    email = integration(tenant, "postmark", "email", apiKey="pm-token-1", **{"from": "o@acme.test"})
    answer = send_through_integration(integration=email, **EMAIL)
    assert (answer.status, answer.retryable) == ("failed", True)
    assert "did not answer within 0.2 s" in answer.detail


SES = {
    "apiKey": "AKIATEST",
    "secretKey": "ses-secret-key-5",
    "region": "eu-west-1",
    "from": "o@acme.test",
}


def test_amazon_ses_receives_the_message_and_answers_its_id(tenant, httpserver, anymail_urls):
    httpserver.expect_oneshot_request(
        "/ses/v2/email/outbound-emails", method="POST"
    ).respond_with_json({"MessageId": "ses-0001"})
    email = integration(tenant, "ses", "email", **SES)
    answer = send_through_integration(integration=email, **EMAIL)
    httpserver.check_assertions()
    [request] = requests_to(httpserver, "/ses/v2/email/outbound-emails")
    assert "Credential=AKIATEST/" in request.headers["Authorization"]  # signed with its own key
    assert (answer.status, answer.provider_message_id) == ("sent", "ses-0001")


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (400, False)])
def test_amazon_ses_errors_are_classified(tenant, httpserver, anymail_urls, status, retryable):
    httpserver.expect_request("/ses/v2/email/outbound-emails").respond_with_json(
        {"__type": "Whatever", "message": "no"}, status=status
    )
    email = integration(tenant, "ses", "email", **SES)
    answer = send_through_integration(integration=email, **EMAIL)
    assert (answer.status, answer.retryable, answer.http_status) == ("failed", retryable, status)
    # boto3's own retries are off: Herald schedules them.
    assert len(requests_to(httpserver, "/ses/v2/email/outbound-emails")) == 1
    assert "ses-secret-key-5" not in json.dumps(answer.as_record())
