"""An operator edits a workflow in Development, reviews the diff, applies one change, promotes
the rest, finds Production up to date, and reverts the promotion from History."""

import re

import pytest
from playwright.sync_api import expect

from tests.changes.conftest import build_content, sync
from workflows.models import Workflow


@pytest.fixture
def synced_content(tenant, other_tenant):
    """Built before the browser logs in: the live server reads while the page loads."""
    build_content(tenant.development)
    sync(tenant)
    build_content(other_tenant.development)  # another organization's pending changes stay apart


def test_review_apply_promote_and_revert(synced_content, browser_page, tenant, other_tenant):
    page = browser_page
    changes_count = page.get_by_test_id("changes-count")

    # 1. Edit the Welcome email's subject, and rename Receipt, in the workflow editor.
    page.locator(".sidebar").get_by_role("link", name="Workflows", exact=True).click()
    page.locator("#content").get_by_role("link", name="Welcome").click()
    email_step = page.get_by_test_id("step").filter(has_text="Email")
    email_step.get_by_role("link", name="Edit").click()
    page.get_by_label("Subject").fill("Welcome to Acme, {{ subscriber.firstName }}")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_test_id("step").filter(has_text="Welcome to Acme")).to_have_count(1)
    page.locator(".sidebar").get_by_role("link", name="Workflows", exact=True).click()
    page.locator("#content").get_by_role("link", name="Receipt").click()
    page.get_by_label("Name", exact=True).fill("Payment receipt")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("heading", name="Payment receipt", level=1)).to_be_visible()

    # 2. The sidebar counts both pending changes.
    page.reload()
    expect(changes_count).to_have_text("2")

    # 3. The diff of the Welcome change shows the old and the new subject. It is loaded when
    #    the row is opened (here from the keyboard), once.
    details = []
    page.on(
        "request",
        lambda request: details.append(request.url) if "/changes/change/" in request.url else None,
    )
    page.get_by_test_id("nav-changes").click()
    expect(page.get_by_test_id("change-pair")).to_contain_text("Development → Production")
    welcome = page.get_by_test_id("change-row").filter(has=page.get_by_role("link", name="Welcome"))
    expect(welcome.locator(".change__summary")).to_contain_text("subject, 1 step")
    page.wait_for_load_state("networkidle")
    assert details == []
    welcome.get_by_text("Show the diff").focus()
    page.keyboard.press("Enter")
    diff = welcome.get_by_test_id("diff")
    expect(diff.locator("del.diff-old")).to_have_text("Welcome aboard")
    expect(diff.locator("ins.diff-new")).to_have_text("Welcome to Acme, {{ subscriber.firstName }}")
    welcome.get_by_text("Show the diff").click()  # closed, and opened again: not loaded again
    welcome.get_by_text("Show the diff").click()
    expect(diff).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert len(details) == 1

    # 4. Apply that one change: its row reports it, and the count drops without a reload.
    welcome.get_by_role("button", name="Apply Welcome").click()
    expect(page.get_by_test_id("applied-row")).to_contain_text("Applied to Production")
    expect(changes_count).to_have_text("1")
    expect(page.get_by_test_id("promote-all")).to_contain_text("1")

    # 5. Promote all changes: the plan, then the promotion.
    page.get_by_test_id("promote-all").click()
    expect(page.get_by_test_id("plan-counts")).to_contain_text("0 created, 1 updated, 0 deleted")
    page.get_by_test_id("confirm-promote").click()
    expect(page.get_by_test_id("changes-empty")).to_contain_text(
        "Development and Production are in sync"
    )
    expect(page.locator("#messages")).to_contain_text("Promoted 1 changes to Production")

    # 6. The count is 0 and Production has the content.
    expect(changes_count).to_have_text("0")
    page.get_by_test_id("environment-switcher").click()
    page.locator(".environment-switcher").get_by_role("link", name=re.compile("Production")).click()
    page.locator(".sidebar").get_by_role("link", name="Workflows", exact=True).click()
    expect(page.locator("#content").get_by_role("link", name="Payment receipt")).to_be_visible()

    # 7. Back in Development: revert the promotion from History.
    page.get_by_test_id("environment-switcher").click()
    page.locator(".environment-switcher").get_by_role(
        "link", name=re.compile("Development")
    ).click()
    page.get_by_test_id("nav-changes").click()
    page.get_by_role("link", name="History").click()
    history = page.get_by_test_id("history")
    expect(history.locator("tbody tr")).to_have_count(3)  # setup sync, apply, promote all
    history.locator("tbody tr").first.get_by_role("link").click()
    page.get_by_role("link", name="Revert this promotion").click()
    page.get_by_test_id("confirm-revert").click()
    expect(page.locator("#messages")).to_contain_text("Reverted")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revert")
    expect(changes_count).to_have_text("1")
    page.wait_for_load_state("networkidle")
    assert (
        Workflow.unscoped_across_environments.get(
            environment=tenant.production, identifier="receipt"
        ).name
        == "Receipt"
    )
    # Nothing of the other organization moved.
    assert not Workflow.unscoped_across_environments.filter(
        environment=other_tenant.production
    ).exists()
