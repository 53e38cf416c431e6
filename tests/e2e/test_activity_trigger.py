"""Browser test of the runtime end to end: a backend triggers a workflow over HTTP with the
environment's API key, the worker delivers it, and the operator finds the notification in
Activity, reads its timeline and its rendered in-app message, and sees that message in the
subscriber's feed preview. None of these pages makes a request while it sits idle.

Screenshots of the three pages go to ``HERALD_SCREENSHOTS`` when it names a directory."""

import os
import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from activity.models import Notification
from environments.keys import generate_secret
from tests.activity.conftest import in_app_workflow, run_tasks
from tests.factories import ApiKeyFactory

QUIET_MS = 3_000
SCREENSHOTS = os.environ.get("HERALD_SCREENSHOTS", "")


@pytest.fixture
def backend_secret(tenant):
    """Development's API key as the backend holds it, and the workflow it triggers. Made before
    ``browser_page`` so the test thread never writes while the live server answers the page."""
    in_app_workflow(
        tenant.development,
        name="Order shipped",
        body="Hi {{ subscriber.firstName }}, order {{ payload.order.id }} shipped.",
    )
    secret = generate_secret()
    ApiKeyFactory(environment=tenant.development, secret=secret)
    return secret


def _trigger(live_server, secret: str, **body) -> requests.Response:
    return requests.post(
        f"{live_server.url}/v1/events/trigger",
        json=body,
        headers={"Authorization": f"ApiKey {secret}"},
        timeout=10,
    )


def _screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def _assert_idle(page) -> None:
    """The page, settled, makes no request for QUIET_MS."""
    page.wait_for_load_state("networkidle")
    requests_seen = []
    page.on("request", lambda request: requests_seen.append(f"{request.method} {request.url}"))
    page.wait_for_timeout(QUIET_MS)
    assert requests_seen == [], f"{page.url} made requests while idle: {requests_seen}"


def test_a_triggered_notification_in_activity_its_timeline_and_the_feed(
    backend_secret, browser_page, live_server, tenant
):
    page = browser_page
    to = {"subscriberId": "ada", "firstName": "Ada", "email": "ada@example.com"}
    response = _trigger(
        live_server,
        backend_secret,
        name="order-shipped",
        to=to,
        payload={"order": {"id": 1042}},
        transactionId="order-1042",
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"]["transactionId"] == "order-1042"
    other = _trigger(
        live_server, backend_secret, name="order-shipped", to="grace", payload={"order": {"id": 7}}
    )
    assert other.status_code == 201, other.text
    assert run_tasks() > 0
    assert (
        Notification.unscoped_across_environments.filter(
            environment=tenant.development, status=Notification.Status.COMPLETED
        ).count()
        == 2
    )

    page.get_by_role("link", name="Activity", exact=True).click()
    expect(page.get_by_role("heading", name="Activity", exact=True)).to_be_visible()
    rows = page.get_by_test_id("notification-row")
    expect(rows).to_have_count(2)
    page.get_by_label("Transaction ID").fill("order-1042")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"transaction=order-1042"))
    expect(rows).to_contain_text("ada")
    expect(rows).to_contain_text("Completed")
    _screenshot(page, "activity-list")
    _assert_idle(page)

    rows.get_by_role("link", name="Order shipped").click()
    expect(page.get_by_test_id("transaction-id")).to_have_text("order-1042")
    step = page.get_by_test_id("step-timeline")
    expect(step).to_have_count(1)
    expect(step).to_contain_text("In-app")
    step_logs = step.get_by_test_id("execution-log")
    expect(step_logs).to_have_count(2)
    expect(step_logs.nth(0)).to_contain_text("Message rendered")
    expect(step_logs.nth(1)).to_contain_text("Message sent")
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("Trigger received")
    expect(timeline).to_contain_text("Subscriber resolved")
    expect(page.get_by_test_id("message-in_app")).to_contain_text("Hi Ada, order 1042 shipped.")
    expect(page.get_by_test_id("payload")).to_contain_text('"id": 1042')
    _screenshot(page, "notification")
    _assert_idle(page)

    page.get_by_role("link", name="ada", exact=True).first.click()
    feed = page.get_by_test_id("feed-preview")
    expect(feed.get_by_test_id("feed-item")).to_have_count(1)
    expect(feed).to_contain_text("Hi Ada, order 1042 shipped.")
    expect(feed).not_to_contain_text("order 7")
    expect(feed.get_by_test_id("feed-item")).to_contain_text("just now")
    expect(page.get_by_test_id("recent-notifications")).to_contain_text("Order shipped")
    _screenshot(page, "subscriber")
    _assert_idle(page)
