"""An operator creates a test subscriber in Development, finds it by typing in the search (htmx
swaps the results and the address bar follows), puts it in a topic and changes a preference.
The page fixture fails the test on any script error or CSP violation."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import SubscriberFactory, TopicFactory, WorkflowFactory


@pytest.fixture
def audience(tenant):
    for name in ("Grace", "Alan", "Linus"):
        SubscriberFactory(
            environment=tenant.development, subscriber_id=name.lower(), first_name=name
        )
    WorkflowFactory(environment=tenant.development, name="Weekly digest")
    return TopicFactory(environment=tenant.development, key="beta-testers", name="Beta testers")


# Rows are made in fixtures listed before `browser_page`: the test thread then never writes
# while the live server answers the page's own requests.
def test_create_search_subscribe_and_prefer(audience, browser_page, tenant):
    page = browser_page
    page.get_by_role("link", name="Subscribers", exact=True).click()
    page.get_by_role("link", name="New subscriber").click()
    page.get_by_label("Subscriber ID").fill("ada")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Data (JSON)").fill('{"plan": "pro"}')
    page.get_by_role("button", name="Create subscriber").click()
    expect(page.get_by_test_id("subscriber-id")).to_have_text("ada")
    expect(page.get_by_test_id("subscriber-data")).to_contain_text('"plan": "pro"')

    page.get_by_role("link", name="Subscribers", exact=True).first.click()
    results = page.get_by_test_id("subscriber-results")
    expect(results).to_contain_text("grace")
    page.get_by_label("Search").fill("ADA@")
    expect(results).not_to_contain_text("grace")
    expect(results).to_contain_text("ada@example.com")
    expect(page).to_have_url(re.compile(r"subscribers/\?q=ADA%40$"))

    page.get_by_role("link", name="Topics", exact=True).click()
    page.get_by_role("link", name="beta-testers").click()
    page.get_by_label("Subscriber IDs").fill("ada, nobody")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Added ada to “beta-testers”.")).to_be_visible()
    expect(page.get_by_text("Development has no subscriber nobody.")).to_be_visible()
    members = page.get_by_test_id("topic-members")
    members.get_by_role("link", name="ada").click()

    row = page.get_by_test_id("preference-row").filter(has_text="Weekly digest")
    row.get_by_label("Email").uncheck()
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the preferences for “Weekly digest”.")).to_be_visible()
    row = page.get_by_test_id("preference-row").filter(has_text="Weekly digest")
    expect(row.get_by_label("Email")).not_to_be_checked()
    expect(row.get_by_label("SMS")).to_be_checked()
    expect(page.get_by_test_id("subscriber-topics")).to_contain_text("beta-testers")
