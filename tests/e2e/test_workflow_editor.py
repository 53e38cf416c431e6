"""An operator builds a two-step workflow in Development, sees its variables, previews it with a
payload, and finds Production read-only."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import StepFactory, WorkflowFactory, WorkflowGroupFactory
from workflows.models import Channel


@pytest.fixture
def promoted_workflow(tenant):
    """Development's General group, and a workflow already promoted to Production."""
    WorkflowGroupFactory(environment=tenant.development, name="General")
    workflow = WorkflowFactory(
        environment=tenant.production,
        name="Password reset",
        identifier="password-reset",
        group=WorkflowGroupFactory(environment=tenant.production, name="General"),
    )
    StepFactory(
        workflow=workflow,
        channel=Channel.EMAIL,
        subject="Reset",
        body="<p>Hi {{ payload.name }}</p>",
    )
    return workflow


# Rows are made in fixtures listed before `browser_page`, which logs in: the test thread then
# never writes while the live server answers the page's own requests (SQLite would lock).
def test_build_preview_and_find_production_read_only(promoted_workflow, browser_page, tenant):
    page = browser_page

    # 1. Create the workflow; the identifier follows the name.
    page.get_by_role("link", name="Workflows", exact=True).click()
    page.get_by_role("link", name="New workflow").click()
    page.get_by_label("Name").fill("Order shipped")
    expect(page.get_by_label("Identifier")).to_have_value("order-shipped")
    page.get_by_role("button", name="Create workflow").click()
    expect(page.get_by_role("heading", name="Order shipped", level=1)).to_be_visible()
    expect(page.get_by_test_id("workflow-identifier")).to_have_text("order-shipped")

    # 2. An in-app step, added without leaving the page.
    editor_url = page.url
    page.get_by_role("link", name="+ In-app").click()
    page.get_by_label("Body").fill("Hi {{ subscriber.firstName }}, order {{ payload.order.id }}")
    page.get_by_role("button", name="Add step").click()
    steps = page.get_by_test_id("step")
    expect(steps).to_have_count(1)
    assert page.url == editor_url

    # 3. An email step: a syntax error is shown at its field and nothing is saved; then fixed.
    page.get_by_role("link", name="+ Email").click()
    page.get_by_label("Subject").fill("Order {{ payload.order.id }} has shipped")
    page.get_by_label("HTML body").fill(
        "<p>Tracking:\n{{ payload.tracking.url | default: 'soon' }</p>"
    )
    page.get_by_role("button", name="Add step").click()
    expect(page.get_by_test_id("step-form-errors")).to_contain_text("Nothing was saved")
    expect(page.locator(".field--invalid .field__error")).to_contain_text("Line 2:")
    expect(steps).to_have_count(1)
    page.get_by_label("HTML body").fill(
        "<p>Tracking:\n{{ payload.tracking.url | default: 'soon' }}</p>"
    )
    page.get_by_role("button", name="Add step").click()
    expect(steps).to_have_count(2)

    # 4. Each step lists the variables its templates use.
    expect(steps.nth(0).get_by_test_id("variables")).to_contain_text("payload.order.id")
    expect(steps.nth(0).get_by_test_id("variables")).to_contain_text("subscriber.firstName")
    email_variables = steps.nth(1).get_by_test_id("variables")
    expect(email_variables).to_contain_text("payload.order.id")
    expect(email_variables).to_contain_text("payload.tracking.url")

    # 5. Preview the email with an edited payload: composed in the layout, in a frame.
    steps.nth(1).get_by_role("link", name="Preview").click()
    preview = steps.nth(1).get_by_test_id("preview")
    payload = preview.get_by_label("Sample payload (JSON)")
    payload.fill('{"order": {"id": 77}, "tracking": {"url": "https://track.example/77"}}')
    preview.get_by_role("button", name="Render preview").click()
    expect(preview.get_by_test_id("preview-subject")).to_have_text("Order 77 has shipped")
    frame = page.frame_locator("[data-testid=email-frame]")
    expect(frame.locator("body")).to_contain_text("Tracking: https://track.example/77")
    # A payload far over what a URL may carry: it is posted, and the frame loads it by an id.
    filler = "x" * 6000
    payload.fill(f'{{"order": {{"id": 78}}, "filler": "{filler}", "tracking": {{"url": "/t/78"}}}}')
    preview.get_by_role("button", name="Render preview").click()
    expect(preview.get_by_test_id("preview-subject")).to_have_text("Order 78 has shipped")
    expect(frame.locator("body")).to_contain_text("Tracking: /t/78")
    frame_src = preview.get_by_test_id("email-frame").get_attribute("src")
    assert len(frame_src) < 300 and "filler" not in frame_src

    payload.fill('{"order": ')
    preview.get_by_role("button", name="Render preview").click()
    expect(preview.locator(".field__error")).to_contain_text("This is not valid JSON")

    # 6. Production: same kind of pages, no edit controls.
    page.get_by_test_id("environment-switcher").click()
    page.locator(".environment-switcher").get_by_role("link", name=re.compile("Production")).click()
    expect(page).to_have_url(re.compile(r"/production/workflows/$"))
    expect(page.get_by_test_id("read-only-banner")).to_be_visible()
    content = page.locator("#content")
    expect(content.get_by_role("link", name="Password reset")).to_be_visible()
    expect(content.get_by_role("link", name="New workflow")).to_have_count(0)

    content.get_by_role("link", name="Password reset").click()
    expect(page.get_by_role("heading", name="Password reset", level=1)).to_be_visible()
    expect(content.locator("form[method=post]")).to_have_count(0)
    expect(content.locator("[hx-post]")).to_have_count(0)
    for control in ["Edit", "Remove", "Delete workflow", "+ Email", "Save settings"]:
        expect(content.get_by_role("link", name=control, exact=True)).to_have_count(0)
        expect(content.get_by_role("button", name=control, exact=True)).to_have_count(0)
    expect(content.get_by_test_id("settings-read-only")).to_contain_text("password-reset")
    # Reading is still allowed: the promoted copy can be previewed, with a payload of one's own.
    content.get_by_role("link", name="Preview").click()
    expect(content.get_by_test_id("email-preview")).to_be_visible()
    production_frame = page.frame_locator("[data-testid=email-frame]").locator("body")
    expect(production_frame).to_contain_text("Hi Name")  # the sample payload
    content.get_by_label("Sample payload (JSON)").fill('{"name": "Grace"}')
    content.get_by_role("button", name="Render preview").click()
    expect(production_frame).to_contain_text("Hi Grace")


@pytest.fixture
def three_step_workflow(tenant):
    workflow = WorkflowFactory(environment=tenant.development, name="Deploy failed")
    for position, (channel, name) in enumerate(
        [(Channel.CHAT, "Alert"), (Channel.SMS, "Page"), (Channel.EMAIL, "Report")]
    ):
        StepFactory(workflow=workflow, position=position, channel=channel, name=name)
    return workflow


def test_steps_reorder_from_the_keyboard(three_step_workflow, browser_page, tenant):
    page, workflow = browser_page, three_step_workflow
    page.goto(f"/{tenant.organization.slug}/development/workflows/{workflow.pk}/")
    titles = page.locator(".step-card__title")
    expect(titles).to_have_text(["Alert", "Page", "Report"])

    page.get_by_role("button", name="Move “Alert” down").focus()
    page.keyboard.press("Enter")
    expect(titles).to_have_text(["Page", "Alert", "Report"])
    expect(page.get_by_role("button", name="Move “Alert” down")).to_be_focused()
    page.keyboard.press("Enter")
    expect(titles).to_have_text(["Page", "Report", "Alert"])
    # At the end, "down" is disabled: focus moves to the step's "up" button, not the page.
    expect(page.get_by_role("button", name="Move “Alert” up")).to_be_focused()
