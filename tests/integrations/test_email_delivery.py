"""Email through a real SMTP server on loopback: composed in its layout with the brand, with a
plain-text part, and SMTP's answers classified for retries."""

import pytest

from integrations.delivery import channel_message_send, send_through_integration, step_email_compose
from tests.factories import (
    BrandFactory,
    IntegrationFactory,
    LayoutFactory,
    StepFactory,
    SubscriberFactory,
    WorkflowFactory,
)

ORDER_EMAIL = (
    "<p>Your order {{ payload.orderId }} shipped.</p>"
    '<p><a href="https://example.com/orders/{{ payload.orderId }}">Track it</a></p>'
)


def smtp_integration(environment, port, **credentials):
    return IntegrationFactory(
        environment=environment,
        primary=True,
        credentials={"host": "127.0.0.1", "port": port, "from": "orders@acme.test",
                     "senderName": "Acme Orders", **credentials},
    )  # fmt: skip


@pytest.fixture
def order_step(tenant):
    production = tenant.production
    BrandFactory(environment=production, primary_color="#ff3366")
    LayoutFactory(
        environment=production,
        is_default=True,
        html='<div class="acme-frame" style="color: {{ brand.primary_color }}">{{ content }}'
        "<footer>Acme Inc., 1 Main St</footer></div>",
    )
    workflow = WorkflowFactory(environment=production)
    return StepFactory(
        workflow=workflow, channel="email", subject="Order {{ payload.orderId }}", body=ORDER_EMAIL
    )


def test_an_email_arrives_in_its_layout_with_the_brand_and_a_text_part(
    tenant, smtp_server, order_step
):
    integration = smtp_integration(tenant.production, smtp_server.port)
    subscriber = SubscriberFactory(environment=tenant.production, email="ada@example.com")
    composed = step_email_compose(
        step=order_step, payload={"orderId": 1042}, subscriber={"firstName": "Ada"}
    )

    answer = channel_message_send(
        environment=tenant.production,
        channel="email",
        subscriber=subscriber,
        subject=composed.subject,
        html=composed.html,
    )

    assert answer.status == "sent", answer.detail
    [mail] = smtp_server.received
    assert mail.recipients == ["ada@example.com"]
    message = mail.message
    assert message["Subject"] == "Order 1042"
    assert message["From"] == "Acme Orders <orders@acme.test>"
    html = mail.part("text/html")
    assert 'class="acme-frame"' in html and "Acme Inc., 1 Main St" in html  # the layout
    assert "color: #ff3366" in html and "a{color:#ff3366;}" in html  # the brand
    text = mail.part("text/plain")
    assert "Your order 1042 shipped." in text
    assert "Track it (https://example.com/orders/1042)" in text
    assert "<p>" not in text and "acme-frame" not in text
    # The provider's answer: the server's reply, and the message id it was sent with.
    assert answer.raw == {"status": 250, "body": "2.0.0 Ok: queued as H3RALD"}
    assert answer.provider_message_id == message["Message-ID"]
    assert answer.provider_id == "nodemailer"
    assert answer.integration_identifier == integration.identifier


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [("451 4.3.0 Try again later", True), ("550 5.1.1 No such user here", False)],
)
def test_smtp_transient_replies_retry_and_permanent_ones_do_not(
    tenant, smtp_server, reply, retryable
):
    integration = smtp_integration(tenant.production, smtp_server.port)
    smtp_server.reply = reply
    answer = send_through_integration(
        integration=integration, to="ada@example.com", subject="Hi", html="<p>Hi</p>"
    )
    assert answer.status == "failed"
    assert answer.retryable is retryable
    assert answer.raw["status"] == int(reply[:3])
    assert reply[4:] in answer.raw["body"]
    assert smtp_server.received == []


def test_a_refused_login_is_permanent_and_the_password_is_not_in_the_answer(tenant, smtp_server):
    integration = smtp_integration(
        tenant.production, smtp_server.port, user="mailer", password="hunter2-secret"
    )
    # aiosmtpd offers no AUTH on a plain connection: the login cannot happen.
    answer = send_through_integration(
        integration=integration, to="ada@example.com", html="<p>x</p>"
    )
    assert answer.status == "failed" and answer.retryable is False
    assert "hunter2-secret" not in str(answer.as_record())


def test_an_smtp_server_that_never_answers_is_a_retryable_timeout(tenant, silent_server, settings):
    settings.INTEGRATION_TIMEOUT_SECONDS = 0.3
    integration = smtp_integration(tenant.production, silent_server)
    answer = send_through_integration(
        integration=integration, to="ada@example.com", html="<p>x</p>"
    )
    assert answer.status == "failed"
    assert answer.retryable is True
    assert "did not answer within 0.3 s" in answer.detail


def test_nothing_listening_is_a_retryable_connection_failure(tenant):
    from tests.smtp import free_port

    integration = smtp_integration(tenant.production, free_port())
    answer = send_through_integration(
        integration=integration, to="ada@example.com", html="<p>x</p>"
    )
    assert (answer.status, answer.retryable) == ("failed", True)
    assert answer.detail.startswith("Could not connect to the SMTP server")


def test_an_email_without_html_is_sent_as_text(tenant, smtp_server):
    integration = smtp_integration(tenant.production, smtp_server.port)
    send_through_integration(
        integration=integration, to="ada@example.com", subject="S", text="Plain"
    )
    [mail] = smtp_server.received
    assert mail.message.get_content_type() == "text/plain"
    assert mail.message.get_content().strip() == "Plain"
