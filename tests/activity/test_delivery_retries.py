"""Retries through the whole pipeline: a trigger sent to ``POST /v1/events/trigger`` whose chat
and SMS steps go to a local HTTP server standing in for Slack, Discord, Teams, Twilio and an SMS
gateway. The server refuses with a 500, a 429 with ``Retry-After``, an answer too slow to wait
for, then accepts; or refuses with a 400, which is never retried.

Delayed retries are run by moving their task's time to now, once the test has read it."""

import json
import time

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max
from pytest_httpserver import HTTPServer
from werkzeug import Response

from activity.models import ExecutionLog, Job, Message, Notification
from tests.activity.conftest import run_tasks, scoped
from tests.factories import (
    IntegrationFactory,
    StepFactory,
    SubscriberCredentialFactory,
    SubscriberFactory,
    WorkflowFactory,
)
from workflows.models import Channel

TIMEOUT_SECONDS = 0.3
BASE_SECONDS = 10.0
# The ceiling of the second retry (BASE * 2): backoff alone always stays below it, so a second
# delay of exactly this long can only come from the provider's Retry-After.
RETRY_AFTER_SECONDS = 20
MAX_ATTEMPTS = 5

ADA_HOOK = "/services/T01/B01/ada-hook-secret-4Qz"
BOB_HOOK = "/services/T01/B02/bob-hook-secret-7Wm"
TWILIO_ACCOUNT = "AC0123"
TWILIO_PATH = f"/2010-04-01/Accounts/{TWILIO_ACCOUNT}/Messages.json"
TWILIO_TOKEN = "twilio-auth-token-8Hq"
GATEWAY_KEY = "gateway-key-3Vb"


@pytest.fixture(autouse=True)
def delivery_policy(settings):
    settings.INTEGRATION_ALLOW_PRIVATE_NETWORKS = True
    settings.INTEGRATION_TIMEOUT_SECONDS = TIMEOUT_SECONDS
    settings.DELIVERY_MAX_ATTEMPTS = MAX_ATTEMPTS
    settings.DELIVERY_RETRY_BASE_SECONDS = BASE_SECONDS
    settings.DELIVERY_RETRY_MAX_SECONDS = 3600.0


@pytest.fixture
def stand_in():
    # Threaded: the answer that comes too late is still sleeping when the next attempt arrives.
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


class Script:
    """A provider that answers each request with the next of its answers. (Counted here: the
    server logs an answer once it is written, and the slow one is written late.)"""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.received = 0

    def __call__(self, request):
        self.received += 1
        return self.answers.pop(0)(request)


def server_error(request):
    # Providers echo the URL they were called at, and for a webhook the URL is the secret.
    return Response(f"upstream failure posting to {request.path}", status=500)


def rate_limited(request):
    return Response(
        f"rate limited: {request.url}",
        status=429,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def too_slow(request):
    time.sleep(TIMEOUT_SECONDS * 4)
    return Response("late")


def accepted(request):
    return Response("ok")


def twilio_accepts(request):
    return Response(
        json.dumps(
            {
                "sid": f"SM-{request.form['To'][-4:]}",
                "status": "queued",
                "echo": f"authenticated with {request.authorization.password}",
            }
        ),
        status=201,
        content_type="application/json",
    )


def requests_to(server, path: str) -> list:
    return [request for request, _ in server.log if request.path == path]


def delayed_tasks():
    """Tasks waiting for a later time (a task enqueued without one has the maximum date)."""
    return DBTaskResult.objects.filter(status="READY").exclude(run_after=get_date_max())


def job_of(environment, subscriber_id: str, channel: str) -> Job:
    with scoped(environment):
        return Job.objects.get(
            notification__subscriber__subscriber_id=subscriber_id, channel=channel
        )


def logs_of(environment, job: Job) -> list[ExecutionLog]:
    with scoped(environment):
        return list(
            ExecutionLog.objects.filter(job_public_id=job.public_id)
            .exclude(stage=ExecutionLog.Stage.MESSAGE_RENDERED)
            .order_by("created_at", "id")
        )


def every_log_as_text() -> str:
    return json.dumps(
        [[log.detail, log.raw] for log in ExecutionLog.unscoped_across_environments.order_by("id")]
    )


def deploy_workflow(environment, *, in_app_position: int):
    workflow = WorkflowFactory(environment=environment, identifier="deploy-finished")
    steps = [
        (Channel.CHAT, "Deploy of {{ payload.service }} finished"),
        (Channel.SMS, "Deploy of {{ payload.service }} finished"),
    ]
    steps.insert(in_app_position, (Channel.IN_APP, "{{ payload.service }} is live"))
    for position, (channel, body) in enumerate(steps):
        StepFactory(workflow=workflow, position=position, channel=channel, body=body)
    return workflow


def subscriber_with_webhook(environment, subscriber_id, phone, provider_id, url):
    subscriber = SubscriberFactory(
        environment=environment, subscriber_id=subscriber_id, phone=phone
    )
    SubscriberCredentialFactory(subscriber=subscriber, provider_id=provider_id, webhook_url=url)
    return subscriber


def chat_and_gateway_sms_deployed(environment, stand_in, *, chat_provider):
    """Chat through ``chat_provider`` to Ada's and Bob's webhooks, SMS through the generic
    gateway, and the workflow with its in-app step last."""
    IntegrationFactory(
        environment=environment, channel="chat", provider_id=chat_provider, primary=True
    )
    IntegrationFactory(
        environment=environment,
        channel="sms",
        provider_id="generic-sms",
        primary=True,
        credentials={"baseUrl": stand_in.url_for("/gateway"), "apiKey": GATEWAY_KEY},
    )
    deploy_workflow(environment, in_app_position=2)
    hook = stand_in.url_for
    subscriber_with_webhook(environment, "ada", "+15555550111", chat_provider, hook(ADA_HOOK))
    subscriber_with_webhook(environment, "bob", "+15555550122", chat_provider, hook(BOB_HOOK))


def test_a_refused_chat_is_retried_with_backoff_until_it_is_accepted_once(
    tenant, other_tenant, key_client, stand_in, settings
):
    settings.TWILIO_API_URL = stand_in.url_for("")
    ada_chat = Script(server_error, rate_limited, too_slow, accepted)
    stand_in.expect_request(ADA_HOOK, method="POST").respond_with_handler(ada_chat)
    stand_in.expect_request(BOB_HOOK, method="POST").respond_with_handler(accepted)
    stand_in.expect_request(TWILIO_PATH, method="POST").respond_with_handler(twilio_accepts)
    production = tenant.production
    IntegrationFactory(environment=production, channel="chat", provider_id="slack", primary=True)
    IntegrationFactory(
        environment=production,
        channel="sms",
        provider_id="twilio",
        primary=True,
        credentials={"accountSid": TWILIO_ACCOUNT, "token": TWILIO_TOKEN, "from": "+15555550100"},
    )
    deploy_workflow(production, in_app_position=0)
    subscriber_with_webhook(production, "ada", "+15555550111", "slack", stand_in.url_for(ADA_HOOK))
    subscriber_with_webhook(production, "bob", "+15555550122", "slack", stand_in.url_for(BOB_HOOK))
    # Another organization's slack integration, which nothing here may reach.
    IntegrationFactory(
        environment=other_tenant.production,
        channel="chat",
        provider_id="slack",
        primary=True,
        credentials={"webhookUrl": stand_in.url_for("/other-organization")},
    )

    response = key_client(production).trigger(
        "deploy-finished", ["ada", "bob"], payload={"service": "billing"}
    )
    assert response.status_code == 201, response.content
    run_tasks()

    # Ada's chat waits for its retry; her in-app step (before it) and all of Bob's went out.
    assert job_of(production, "ada", "chat").status == Job.Status.PENDING
    assert job_of(production, "ada", "sms").status == Job.Status.PENDING  # steps keep order
    assert job_of(production, "ada", "in_app").status == Job.Status.COMPLETED
    assert {job_of(production, "bob", channel).status for channel in ("in_app", "chat", "sms")} == {
        Job.Status.COMPLETED
    }
    assert len(requests_to(stand_in, BOB_HOOK)) == 1

    delays = []
    for _ in range(MAX_ATTEMPTS):
        waiting = list(delayed_tasks())
        if not waiting:
            break
        (task_row,) = waiting
        retrying = logs_of(production, job_of(production, "ada", "chat"))[-1]
        assert retrying.stage == ExecutionLog.Stage.RETRYING
        delays.append((task_row.run_after - retrying.created_at).total_seconds())
        DBTaskResult.objects.filter(pk=task_row.pk).update(run_after=timezone.now())
        assert run_tasks() == 1

    # Three retries, each later than the one before: backoff with jitter, Retry-After a floor.
    assert len(delays) == 3, delays
    after_500, after_429, after_timeout = delays
    assert BASE_SECONDS / 2 < after_500 < BASE_SECONDS
    assert after_429 == RETRY_AFTER_SECONDS
    assert 2 * BASE_SECONDS < after_timeout < 4 * BASE_SECONDS
    assert after_500 < after_429 < after_timeout

    chat_job = job_of(production, "ada", "chat")
    assert (chat_job.status, chat_job.attempts, chat_job.provider_id) == ("completed", 4, "slack")
    assert ada_chat.received == 4 and ada_chat.answers == []
    # One log per attempt, each with what the provider answered, the webhook's secret redacted.
    logs = logs_of(production, chat_job)
    assert [(log.stage, log.status, log.is_retry) for log in logs] == [
        ("retrying", "Warning", True),
        ("retrying", "Warning", True),
        ("retrying", "Warning", True),
        ("message_sent", "Success", False),
    ]
    assert [log.raw for log in logs] == [
        {"status": 500, "body": "upstream failure posting to [redacted]"},
        {"status": 429, "body": "rate limited: [redacted]", "retryAfter": 20.0},
        {"status": None, "error": f"No answer within {TIMEOUT_SECONDS:g} s."},
        {"status": 200, "body": "ok"},
    ]
    assert [log.detail for log in logs[:3]] == [
        f"The provider answered 500 INTERNAL SERVER ERROR. Trying again in {after_500:.0f} s "
        f"(attempt 1 of {MAX_ATTEMPTS}).",
        f"The provider answered 429 TOO MANY REQUESTS. Trying again in {after_429:.0f} s "
        f"(attempt 2 of {MAX_ATTEMPTS}).",
        f"No answer within {TIMEOUT_SECONDS:g} s. Trying again in {after_timeout:.0f} s "
        f"(attempt 3 of {MAX_ATTEMPTS}).",
    ]

    # Sent exactly once: one message, sent, and nothing left to run or to send.
    with scoped(production):
        (chat_message,) = Message.objects.filter(job=chat_job)
        assert chat_message.status == Message.Status.SENT
        assert set(Notification.objects.values_list("status", flat=True)) == {"completed"}
    assert run_tasks() == 0 and not delayed_tasks().exists()
    assert ada_chat.received == 4
    # The SMS step went out after the chat, once per subscriber.
    sms_sent = sorted(request.form["To"] for request in requests_to(stand_in, TWILIO_PATH))
    assert sms_sent == ["+15555550111", "+15555550122"]
    (sms_log,) = logs_of(production, job_of(production, "ada", "sms"))
    assert sms_log.raw["body"] == {
        "sid": "SM-0111",
        "status": "queued",
        "echo": "authenticated with [redacted]",
    }

    # No credential in any log row, though the stand-in echoed each of them.
    every_log = every_log_as_text()
    for secret in ("ada-hook-secret-4Qz", "bob-hook-secret-7Wm", TWILIO_TOKEN):
        assert secret not in every_log
    assert requests_to(stand_in, "/other-organization") == []
    with scoped(other_tenant.production):
        assert not ExecutionLog.objects.exists()
    stand_in.check_handler_errors()


@pytest.mark.parametrize(
    ("chat_provider", "refusal"),
    [
        ("discord", {"message": "Cannot send an empty message", "code": 50006}),
        ("msteams", "Bad payload received by generic incoming webhook."),
    ],
)
def test_a_400_is_never_retried_and_holds_up_no_other_step_or_subscriber(
    tenant, key_client, stand_in, chat_provider, refusal
):
    body = json.dumps(refusal) if isinstance(refusal, dict) else refusal
    stand_in.expect_request(ADA_HOOK, method="POST").respond_with_data(body, status=400)
    stand_in.expect_request(BOB_HOOK, method="POST").respond_with_json({"id": "991"})
    stand_in.expect_request("/gateway", method="POST").respond_with_json({"id": "gw-1"})
    production = tenant.production
    chat_and_gateway_sms_deployed(production, stand_in, chat_provider=chat_provider)

    response = key_client(production).trigger("deploy-finished", ["ada", "bob"])
    assert response.status_code == 201, response.content
    run_tasks()

    chat_job = job_of(production, "ada", "chat")
    assert (chat_job.status, chat_job.attempts) == ("failed", 1)
    (failure,) = logs_of(production, chat_job)
    assert (failure.stage, failure.status, failure.is_retry) == ("failed", "Failed", False)
    assert failure.detail == "The provider answered 400 BAD REQUEST."
    assert failure.raw == {"status": 400, "body": refusal}
    assert not delayed_tasks().exists()
    assert len(requests_to(stand_in, ADA_HOOK)) == 1
    # Ada's later steps and all of Bob's went out all the same.
    statuses = {
        (subscriber_id, channel): job_of(production, subscriber_id, channel).status
        for subscriber_id in ("ada", "bob")
        for channel in ("chat", "sms", "in_app")
    }
    assert statuses == {
        ("ada", "chat"): "failed",
        ("ada", "sms"): "completed",
        ("ada", "in_app"): "completed",
        ("bob", "chat"): "completed",
        ("bob", "sms"): "completed",
        ("bob", "in_app"): "completed",
    }
    with scoped(production):
        notifications = dict(
            Notification.objects.values_list("subscriber__subscriber_id", "status")
        )
    assert notifications == {"ada": "failed", "bob": "completed"}
    assert len(requests_to(stand_in, "/gateway")) == 2
    every_log = every_log_as_text()
    for secret in ("ada-hook-secret-4Qz", "bob-hook-secret-7Wm", GATEWAY_KEY):
        assert secret not in every_log
    stand_in.check_handler_errors()


def test_retries_stop_after_the_last_attempt_and_messages_that_failed_together_spread_out(
    tenant, key_client, stand_in, settings
):
    settings.DELIVERY_MAX_ATTEMPTS = 3
    outage = Response("service unavailable", status=503)
    stand_in.expect_request(ADA_HOOK, method="POST").respond_with_response(outage)
    stand_in.expect_request(BOB_HOOK, method="POST").respond_with_response(outage)
    stand_in.expect_request("/gateway", method="POST").respond_with_json({"id": "gw-1"})
    production = tenant.production
    chat_and_gateway_sms_deployed(production, stand_in, chat_provider="slack")

    response = key_client(production).trigger("deploy-finished", ["ada", "bob"])
    assert response.status_code == 201, response.content
    run_tasks()
    first_delays = {}
    for task_row in delayed_tasks():
        _environment_id, (notification_id,) = task_row.args_kwargs["args"]
        with scoped(production):
            notification = Notification.objects.get(pk=notification_id)
            retrying = ExecutionLog.objects.get(notification=notification, stage="retrying")
        first_delays[notification.subscriber.subscriber_id] = (
            task_row.run_after - retrying.created_at
        ).total_seconds()
    # Both failed in the same outage; jitter sends them back at different times.
    assert set(first_delays) == {"ada", "bob"}
    assert all(BASE_SECONDS / 2 < delay < BASE_SECONDS for delay in first_delays.values())
    assert first_delays["ada"] != first_delays["bob"]

    for _ in range(10):
        if not delayed_tasks().update(run_after=timezone.now()):
            break
        run_tasks()

    for subscriber_id, hook in (("ada", ADA_HOOK), ("bob", BOB_HOOK)):
        chat_job = job_of(production, subscriber_id, "chat")
        assert (chat_job.status, chat_job.attempts) == ("failed", 3)
        assert [(log.stage, log.raw) for log in logs_of(production, chat_job)] == [
            ("retrying", {"status": 503, "body": "service unavailable"}),
            ("retrying", {"status": 503, "body": "service unavailable"}),
            ("failed", {"status": 503, "body": "service unavailable"}),
        ]
        assert len(requests_to(stand_in, hook)) == 3
        # The steps after the chat went out once it had failed for good.
        assert job_of(production, subscriber_id, "sms").status == "completed"
        assert job_of(production, subscriber_id, "in_app").status == "completed"
    assert not delayed_tasks().exists()
