"""A trigger's email leaves Herald through the environment's SMTP integration: the pipeline
hands each email, chat and SMS message to the integrations' deliverer."""

import pytest

from activity.models import ExecutionLog, Job, Message
from environments.scoping import environment_scope
from tests.factories import IntegrationFactory, StepFactory, SubscriberFactory, WorkflowFactory
from tests.smtp import running_smtp_server
from workflows.models import Channel


@pytest.fixture
def smtp_server(settings):
    settings.INTEGRATION_ALLOW_PRIVATE_NETWORKS = True
    server, controller = running_smtp_server()
    yield server
    controller.stop()


def test_a_triggered_email_is_sent_through_the_smtp_integration(
    tenant, key_client, drain, smtp_server
):
    IntegrationFactory(
        environment=tenant.production,
        identifier="production-smtp",
        primary=True,
        credentials={"host": "127.0.0.1", "port": smtp_server.port, "from": "ops@example.com"},
    )
    workflow = WorkflowFactory(environment=tenant.production, identifier="receipt")
    StepFactory(
        workflow=workflow,
        channel=Channel.EMAIL,
        subject="Receipt {{ payload.number }}",
        body="<p>Total: {{ payload.total }}</p>",
    )
    SubscriberFactory(environment=tenant.production, subscriber_id="ada", email="ada@example.com")

    response = key_client(tenant.production).trigger(
        "receipt", "ada", payload={"number": 7, "total": "12 EUR"}
    )
    assert response.status_code == 201, response.content
    drain()

    (mail,) = smtp_server.received
    assert mail.recipients == ["ada@example.com"]
    assert mail.message["Subject"] == "Receipt 7"
    assert "Total: 12 EUR" in mail.part("text/html")
    assert "Total: 12 EUR" in mail.part("text/plain")
    with environment_scope(tenant.production):
        message = Message.objects.get()
        assert message.status == Message.Status.SENT
        sent = ExecutionLog.objects.get(stage=ExecutionLog.Stage.MESSAGE_SENT)
        assert sent.raw  # the provider's answer is kept with the log


def test_without_an_integration_the_email_is_stored_and_not_sent(tenant, key_client, drain):
    workflow = WorkflowFactory(environment=tenant.production, identifier="receipt")
    StepFactory(workflow=workflow, channel=Channel.EMAIL, subject="Hi", body="<p>Hi</p>")
    SubscriberFactory(environment=tenant.production, subscriber_id="ada", email="ada@example.com")
    assert key_client(tenant.production).trigger("receipt", "ada").status_code == 201
    drain()
    with environment_scope(tenant.production):
        assert Message.objects.get().status == Message.Status.WARNING
        skipped = ExecutionLog.objects.get(stage="step_filtered")
        assert "no active email integration" in skipped.detail and skipped.status == "Warning"
        assert Job.objects.get().status == Job.Status.SKIPPED
