"""An idle page makes no requests: every page of an organization, in every environment of a
Development → Staging → Production chain, left open after it settled, stays quiet.

The pages come from the URL resolver, so a new page is covered as soon as it has a URL; a page
whose ids this test cannot fill fails the test until it learns them.
"""

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.urls import URLResolver, get_resolver, reverse
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from activity.models import Notification
from branding.models import Layout
from changes.models import Promotion
from changes.selectors import change_set_for
from changes.services import changes_promote_all, environment_insert
from environments.models import ApiKey, Environment
from integrations.models import Integration
from subscribers.models import Subscriber, Topic
from tests.activity.seeding import notification_seed
from tests.changes.conftest import build_content, sync
from tests.factories import (
    ApiKeyFactory,
    IntegrationFactory,
    SubscriberFactory,
    TopicFactory,
    TopicSubscriptionFactory,
)
from workflows.models import Channel, Feed, Step, Workflow, WorkflowGroup

QUIET_MS = 3_000
SETTLE_TIMEOUT_MS = 5_000
TABS = 8  # pages watched side by side, each for the whole QUIET_MS

# URLs under an organization that are not pages someone leaves open.
NOT_PAGES = {
    "changes:count": "a fragment: the sidebar's count badge, requested by the page it is on",
    "changes:summary": "a fragment: the overview's Release card, requested by the overview",
    "workflows:email_document": "the email document shown in the step preview page's frame",
    "activity:email_document": "a sent email, shown in the notification page's frame",
}


def _pending_change(environment) -> str | None:
    """A change pending out of ``environment``, for the page of one change (None in the last
    environment, which has none)."""
    change_set = change_set_for(environment)
    changes = change_set.page()[0:1] if change_set is not None else []
    return f"?change={changes[0].change_id}" if changes else None


# The query a page needs to be more than a 404: a string, or a function of the environment
# that answers None where there is no such page.
QUERIES = {"workflows:step_add": "?channel=email", "changes:change": _pending_change}


@dataclass
class Chain:
    environments: list[Environment]
    member_pk: int


@pytest.fixture
def chain(tenant) -> Chain:
    """Development → Staging → Production with content, past promotions into both downstream
    environments, and a change pending out of Development and out of Staging."""
    build_content(tenant.development)
    sync(tenant)  # Development → Production, before Staging existed
    staging = environment_insert(
        upstream=tenant.development, name="Staging", actor=tenant.admin.user
    ).environment
    tenant.production.refresh_from_db()
    Workflow.unscoped_across_environments.filter(
        environment=tenant.development, identifier="receipt"
    ).update(name="Payment receipt")
    changes_promote_all(source=tenant.development, actor=tenant.admin.user)  # into Staging
    Workflow.unscoped_across_environments.filter(
        environment=tenant.development, identifier="welcome"
    ).update(name="Hello")
    environments = [tenant.development, staging, tenant.production]
    for environment in environments:
        ApiKeyFactory(environment=environment, name="Backend")
        IntegrationFactory(environment=environment, identifier="idle-mail")
        subscriber = SubscriberFactory(environment=environment, subscriber_id="idle-ada")
        topic = TopicFactory(environment=environment, key="idle-topic")
        TopicSubscriptionFactory(topic=topic, subscriber=subscriber)
        notification_seed(environment=environment, workflow_identifier="activity-sample")
    return Chain(environments=environments, member_pk=tenant.viewer.pk)


def _ids_by_namespace(chain: Chain, environment: Environment) -> dict[str, dict]:
    """The ``pk`` (and ``step_pk``) of each section's URLs, for the content in ``environment``;
    a URL name (``activity:subscriber``) has its own ids where its section's differ."""
    workflow = Workflow.unscoped_across_environments.get(
        environment=environment, identifier="welcome"
    )
    email_step = Step.unscoped_across_environments.get(workflow=workflow, channel=Channel.EMAIL)
    notification = Notification.unscoped_across_environments.filter(environment=environment).first()
    promotion = (
        Promotion.objects.filter(target=environment).first()
        or Promotion.objects.filter(source=environment).first()
    )
    return {
        "workflows": {"pk": workflow.pk, "step_pk": email_step.pk},
        "workflow_groups": {
            "pk": WorkflowGroup.unscoped_across_environments.get(
                environment=environment, name="General"
            ).pk
        },
        "feeds": {
            "pk": Feed.unscoped_across_environments.get(
                environment=environment, identifier="updates"
            ).pk
        },
        "layouts": {
            "pk": Layout.unscoped_across_environments.get(
                environment=environment, identifier="default"
            ).pk
        },
        "changes": {"pk": promotion.pk},
        "api_keys": {
            "pk": ApiKey.unscoped_across_environments.get(
                environment=environment, name="Backend"
            ).pk
        },
        "members": {"pk": chain.member_pk},
        "subscribers": {
            "public_id": Subscriber.unscoped_across_environments.get(
                environment=environment, subscriber_id="idle-ada"
            ).public_id,
            "workflow_pk": workflow.pk,
        },
        "topics": {
            "public_id": Topic.unscoped_across_environments.get(
                environment=environment, key="idle-topic"
            ).public_id,
            "subscriber_public_id": Subscriber.unscoped_across_environments.get(
                environment=environment, subscriber_id="idle-ada"
            ).public_id,
        },
        "integrations": {
            "provider_id": "nodemailer",
            "public_id": Integration.unscoped_across_environments.get(
                environment=environment, identifier="idle-mail"
            ).public_id,
        },
        "activity:notification": {"public_id": notification.public_id},
        "activity:subscriber": {"public_id": notification.subscriber.public_id},
    }


def _organization_url_names():
    """(view name, URL keyword names) of every URL that names an organization."""

    def walk(patterns, namespace, keywords):
        for entry in patterns:
            names = keywords | set(entry.pattern.converters)
            if isinstance(entry, URLResolver):
                inner = ":".join(filter(None, [namespace, entry.namespace]))
                yield from walk(entry.url_patterns, inner, names)
            elif "organization_slug" in names:
                assert entry.name, f"{entry.pattern} has no name, so no test can reverse it"
                yield (f"{namespace}:{entry.name}" if namespace else entry.name), names

    return list(walk(get_resolver().url_patterns, "", frozenset()))


def _page_urls(chain: Chain, organization_slug: str) -> list[str]:
    url_names = _organization_url_names()
    assert set(NOT_PAGES) <= {name for name, _ in url_names}, "NOT_PAGES names a URL that is gone"
    ids_by_environment = {
        environment: _ids_by_namespace(chain, environment) for environment in chain.environments
    }
    urls = []
    for name, keywords in url_names:
        if name in NOT_PAGES:
            continue
        if "environment_slug" not in keywords:
            assert keywords == {"organization_slug"}, f"No ids for {name}: {sorted(keywords)}"
            urls.append(reverse(name, kwargs={"organization_slug": organization_slug}))
            continue
        for environment in chain.environments:
            kwargs = dict(environment.url_kwargs)
            known = ids_by_environment[environment]
            ids = known.get(name) or known.get(name.rpartition(":")[0], {})
            missing = keywords - set(kwargs) - set(ids)
            assert not missing, f"Teach this test the {sorted(missing)} of {name}"
            kwargs.update({keyword: ids[keyword] for keyword in keywords - set(kwargs)})
            query = QUERIES.get(name, "")
            if callable(query):
                query = query(environment)
                if query is None:
                    continue
            urls.append(reverse(name, kwargs=kwargs) + query)
    return urls


class Watcher:
    """A tab of the logged-in browser that records its requests, script errors and console
    errors. A refusal page answers 403, and Chromium reports that status as an error: that one
    error, about the page's own document, is expected."""

    def __init__(self, context):
        self.tab = context.new_page()
        self.url, self.refused, self.requests, self.errors = "", False, None, []
        self.tab.on("request", self._record_request)
        self.tab.on("pageerror", lambda error: self.errors.append(f"{self.url}: {error}"))
        self.tab.on("console", self._record_console_error)

    def _record_request(self, request):
        if self.requests is not None:
            self.requests.append(f"{request.method} {request.url}")

    def _record_console_error(self, message):
        if message.type != "error":
            return
        own_refusal = (
            self.refused
            and "status of 403" in message.text
            and urlsplit(message.location.get("url", "")).path == urlsplit(self.url).path
        )
        if not own_refusal:
            self.errors.append(f"{self.url}: {message.text}")

    def open(self, url: str, *, refused: bool):
        self.url, self.refused, self.requests = url, refused, None
        self.tab.goto(url, wait_until="load")

    def settle(self, *, timeout_ms: float) -> bool:
        try:
            self.tab.wait_for_load_state("networkidle", timeout=max(timeout_ms, 1))
        except PlaywrightTimeoutError:
            return False
        return True


def _idle_problems(watchers: list[Watcher], pages: list[tuple[str, int]]) -> list[str]:
    """Open ``pages`` (url, status) side by side, let them settle, then record every request
    for QUIET_MS; one line per page that was not idle."""
    for watcher, (url, status) in zip(watchers, pages, strict=False):
        watcher.open(url, refused=status == 403)
    opened = watchers[: len(pages)]
    deadline = time.monotonic() + SETTLE_TIMEOUT_MS / 1000
    settled = {
        watcher: watcher.settle(timeout_ms=(deadline - time.monotonic()) * 1000)
        for watcher in opened
    }
    for watcher in opened:
        watcher.requests = []
    opened[0].tab.wait_for_timeout(QUIET_MS)
    problems = []
    for watcher in opened:
        requests, watcher.requests = watcher.requests, None
        # Chromium throttles the timers of hidden tabs, which could hide a page's requests.
        assert watcher.tab.evaluate("document.visibilityState") == "visible"
        if requests or not settled[watcher]:
            landed = urlsplit(watcher.tab.url).path
            problems.append(
                f"{watcher.url}"
                + (f" (redirected to {landed})" if landed != urlsplit(watcher.url).path else "")
                + ("" if settled[watcher] else f", still busy {SETTLE_TIMEOUT_MS} ms after load")
                + f", made {len(requests)} requests in {QUIET_MS} ms while idle: "
                + ", ".join(sorted(set(requests)))
            )
    return problems


def test_no_page_makes_requests_while_idle(chain, browser_page, tenant):
    pages = []
    for url in _page_urls(chain, tenant.organization.slug):
        status = browser_page.request.get(url).status
        if status == 405:
            continue  # an action that only accepts POST: no page to leave open
        assert status in (200, 403), f"GET {url} answered {status}: the test's ids are wrong"
        pages.append((url, status))

    watchers = [Watcher(browser_page.context) for _ in range(TABS)]
    problems = []
    for start in range(0, len(pages), TABS):
        problems += _idle_problems(watchers, pages[start : start + TABS])
    assert not problems, "Pages that are not idle:\n" + "\n".join(problems)
    errors = [error for watcher in watchers for error in watcher.errors]
    assert not errors, f"The browser reported errors: {errors}"
