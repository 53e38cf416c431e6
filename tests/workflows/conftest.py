from dataclasses import dataclass

import pytest

from branding.models import Brand, Layout
from tests.factories import (
    BrandFactory,
    FeedFactory,
    LayoutFactory,
    StepFactory,
    WorkflowFactory,
    WorkflowGroupFactory,
)
from workflows.models import Channel, Feed, Step, Workflow, WorkflowGroup


@dataclass
class Content:
    """One environment's workflow content: a group, a feed, a layout, a brand, a workflow with
    an in-app and an email step."""

    group: WorkflowGroup
    spare_group: WorkflowGroup
    feed: Feed
    layout: Layout
    brand: Brand
    workflow: Workflow
    in_app: Step
    email: Step


def make_content(environment, *, prefix: str = "") -> Content:
    group = WorkflowGroupFactory(environment=environment, name=f"{prefix}Orders")
    spare_group = WorkflowGroupFactory(environment=environment, name=f"{prefix}Spare")
    feed = FeedFactory(environment=environment, name="Activity", identifier="activity")
    layout = LayoutFactory(
        environment=environment,
        name="Transactional",
        identifier="transactional",
        html='<div class="frame" style="border-color:{{ brand.primary_color }}">{{ content }}</div>',
        is_default=True,
    )
    brand = BrandFactory(environment=environment, primary_color="#ff6600", direction="ltr")
    workflow = WorkflowFactory(
        environment=environment,
        name=f"{prefix}Order confirmation",
        identifier="order-confirmation",
        group=group,
    )
    in_app = StepFactory(
        workflow=workflow,
        position=0,
        channel=Channel.IN_APP,
        name="Inbox",
        body="Order #{{ payload.order.id }} confirmed, {{ subscriber.firstName }}",
        cta_url="/orders/{{ payload.order.id }}",
        feed=feed,
    )
    email = StepFactory(
        workflow=workflow,
        position=1,
        channel=Channel.EMAIL,
        name="Receipt",
        subject="Order #{{ payload.order.id }}",
        body="<h1>Thanks {{ subscriber.firstName }}</h1><p>{{ payload.note }}</p>",
    )
    return Content(group, spare_group, feed, layout, brand, workflow, in_app, email)


@pytest.fixture
def content(tenant):
    return make_content(tenant.development)


@pytest.fixture
def production_content(tenant):
    return make_content(tenant.production)


@pytest.fixture
def other_content(other_tenant):
    return make_content(other_tenant.development, prefix="Globex ")
