"""Browser test: a notification found in Activity, its timeline with the sent email in its
sandboxed frame, and its in-app message in the subscriber's feed preview.

The notification is seeded by ``notification_seed`` (the pipeline is not part of this test);
making it with a real trigger changes only that helper."""

import re

from playwright.sync_api import expect

from tests.activity.seeding import notification_seed


def test_find_a_notification_open_its_timeline_and_see_the_feed(browser_page, tenant):
    page = browser_page
    notification_seed(
        environment=tenant.development,
        subscriber_id="ada",
        transaction_id="order-1042",
        in_app_content="Your order 1042 shipped.",
    )
    notification_seed(
        environment=tenant.development, subscriber_id="grace", in_app_content="Hi Grace"
    )

    page.get_by_role("link", name="Activity", exact=True).click()
    expect(page.get_by_role("heading", name="Activity", exact=True)).to_be_visible()
    expect(
        page.get_by_role("img", name="Triggers per day and status in Development")
    ).to_be_visible()
    expect(page.get_by_test_id("notification-row")).to_have_count(2)

    # Filter by transaction ID (htmx swaps the results; the form works without it too).
    page.get_by_label("Transaction ID").fill("order-1042")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("notification-row")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"transaction=order-1042"))

    page.get_by_test_id("notification-row").get_by_role("link", name="Welcome").click()
    expect(page.get_by_test_id("transaction-id")).to_have_text("order-1042")
    expect(page.get_by_test_id("step-timeline")).to_have_count(2)
    expect(page.get_by_test_id("message-in_app")).to_contain_text("Your order 1042 shipped.")
    frame = page.frame_locator("[data-testid=email-frame]")
    expect(frame.locator("h1")).to_have_text("Welcome, Ada")
    expect(page.get_by_test_id("payload")).to_contain_text('"status": "shipped"')

    page.get_by_role("link", name="ada").first.click()
    feed = page.get_by_test_id("feed-preview")
    expect(feed.get_by_test_id("feed-item")).to_have_count(1)
    expect(feed).to_contain_text("Your order 1042 shipped.")
    expect(feed).not_to_contain_text("Hi Grace")
    expect(page.get_by_test_id("recent-notifications")).to_contain_text("Welcome")
