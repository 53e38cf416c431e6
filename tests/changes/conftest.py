"""Content for the Changes tests: Development with every promotable type, mirrored into
Production, so each test starts in sync and makes the one difference it is about."""

import re
from dataclasses import dataclass
from html import unescape

import pytest

from changes.documents import environment_content_hashes_refresh
from changes.services import changes_promote_all
from tests.factories import (
    BrandFactory,
    FeedFactory,
    IntegrationFactory,
    LayoutFactory,
    StepFactory,
    WorkflowFactory,
    WorkflowGroupFactory,
)
from workflows.models import Channel


@dataclass
class Content:
    group: object
    feed: object
    layout: object
    brand: object
    welcome: object
    receipt: object
    steps: list


def build_content(environment) -> Content:
    group = WorkflowGroupFactory(environment=environment, name="General")
    feed = FeedFactory(environment=environment, name="Updates", identifier="updates")
    layout = LayoutFactory(
        environment=environment,
        name="Default",
        identifier="default",
        html="<html>\n<body>\n{{ content }}\n</body>\n</html>",
        is_default=True,
    )
    brand = BrandFactory(environment=environment)
    welcome = WorkflowFactory(
        environment=environment, name="Welcome", identifier="welcome", group=group
    )
    steps = [
        StepFactory(
            workflow=welcome,
            position=0,
            channel=Channel.IN_APP,
            name="Inbox",
            body="Hi {{ subscriber.firstName }}",
            feed=feed,
        ),
        StepFactory(
            workflow=welcome,
            position=1,
            channel=Channel.EMAIL,
            name="Email",
            subject="Welcome aboard",
            body="<p>Hello {{ subscriber.firstName }}</p>\n<p>Thanks for joining.</p>",
            layout=layout,
        ),
    ]
    receipt = WorkflowFactory(
        environment=environment, name="Receipt", identifier="receipt", group=group
    )
    StepFactory(workflow=receipt, position=0, channel=Channel.SMS, name="Text", body="Paid")
    return Content(
        group=group,
        feed=feed,
        layout=layout,
        brand=brand,
        welcome=welcome,
        receipt=receipt,
        steps=steps,
    )


def rehash(*tenants):
    """Tests edit rows directly, around the services; the content hashes follow, as they do
    on every write path (``manage.py content_hashes --fix`` does the same)."""
    environment_content_hashes_refresh(
        environments=[
            environment
            for tenant in tenants
            for environment in tenant.organization.environments.all()
        ]
    )


def sync(tenant):
    changes_promote_all(source=tenant.development, actor=tenant.admin.user)


@pytest.fixture
def content(tenant) -> Content:
    """Development's content, already promoted: Development and Production are in sync, and
    Production delivers email (without it, every workflow change warns of a skipped step)."""
    built = build_content(tenant.development)
    sync(tenant)
    IntegrationFactory(environment=tenant.production, primary=True)
    return built


@pytest.fixture
def other_content(other_tenant) -> Content:
    built = build_content(other_tenant.development)
    sync(other_tenant)
    return built


def change_detail(client, url: str, change_id: str) -> str:
    """A change's warnings and diff, as its row loads them when it is opened (``url`` is the
    Changes page's)."""
    response = client.get(f"{url}change/", {"change": change_id}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def opened_page(client, url: str) -> str:
    """The Changes page at ``url`` with every row opened: the page, then each row's detail."""
    page = client.get(url).content.decode()
    base = url.split("?")[0]
    details = [
        change_detail(client, base, unescape(change_id))
        for change_id in re.findall(r'data-change-id="([^"]+)"', page)
    ]
    return "\n".join([page, *details])
