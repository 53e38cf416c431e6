"""The PyPI ``novu`` client (1.14) as a backend service would use it, against the live server:
a workflow made in Development, its change listed and applied, then read in Production with
Production's key; a write in Production is refused."""

import importlib.metadata
import sys
import types
import warnings

import pytest
import requests

from changes.models import Promotion
from environments.services import api_key_issue
from workflows.services import default_workflow_group_create

with warnings.catch_warnings():
    # The client reads its own version through setuptools' pkg_resources, which warns that it
    # is deprecated; where setuptools is not installed, this stands in for that one call.
    warnings.simplefilter("ignore", UserWarning)
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        sys.modules["pkg_resources"] = types.SimpleNamespace(
            get_distribution=lambda name: types.SimpleNamespace(
                version=importlib.metadata.version(name)
            )
        )

from novu.api import (
    ChangeApi,
    EnvironmentApi,
    FeedApi,
    LayoutApi,
    NotificationGroupApi,
    NotificationTemplateApi,
)
from novu.dto.layout import LayoutDto
from novu.dto.notification_template import (
    NotificationStepDto,
    NotificationTemplateFormDto,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def keys(tenant):
    """(url, Development's secret, Production's secret), with General in both environments."""
    default_workflow_group_create(environments=[tenant.development, tenant.production])
    return tuple(
        api_key_issue(environment=environment, name="Default key", created_by=None).secret
        for environment in (tenant.development, tenant.production)
    )


def welcome_form(group_id: str) -> NotificationTemplateFormDto:
    return NotificationTemplateFormDto(
        name="Welcome",
        notification_group_id=group_id,
        tags=["onboarding"],
        steps=[
            NotificationStepDto(
                active=True,
                template={"type": "in_app", "content": "Hi {{ subscriber.firstName }}"},
            ),
            NotificationStepDto(
                active=True,
                template={
                    "type": "email",
                    "subject": "Welcome, {{ subscriber.firstName }}",
                    "content": "<p>Your code: {{ payload.code }}</p>",
                },
            ),
        ],
    )


def test_create_in_development_apply_and_read_in_production(live_server, keys):
    development_secret, production_secret = keys
    url = live_server.url  # the client appends /v1 itself

    [general] = NotificationGroupApi(url, development_secret).list().data
    created = NotificationTemplateApi(url, development_secret).create(welcome_form(general._id))

    assert created.name == "Welcome"
    assert created._notification_group_id == general._id
    [trigger] = created.triggers
    assert trigger.identifier == "welcome"
    assert [variable.name for variable in trigger.variables] == ["code"]
    assert [step.template["type"] for step in created.steps] == ["in_app", "email"]

    changes = ChangeApi(url, development_secret)
    assert changes.count() == 1
    [change] = changes.list().data
    assert (change.type, change._entity_id, change.enabled) == (
        "NotificationTemplate",
        created._id,
        False,
    )
    applied = changes.apply(change._id)
    assert [(item._id, item.enabled) for item in applied.data] == [(change._id, True)]
    assert changes.count() == 0
    assert Promotion.objects.get().actor_label == "API key “Default key”"

    production = NotificationTemplateApi(url, production_secret)
    [copy] = production.list().data
    assert copy.name == "Welcome" and copy._id != created._id
    fetched = production.get(copy._id)
    assert [step.template["content"] for step in fetched.steps] == [
        "Hi {{ subscriber.firstName }}",
        "<p>Your code: {{ payload.code }}</p>",
    ]
    assert [step._id for step in fetched.steps] != [step._id for step in created.steps]
    [streamed] = list(production.stream())
    assert streamed._id == copy._id


def test_a_write_in_production_is_refused_with_the_reason(live_server, keys):
    _development_secret, production_secret = keys
    url = live_server.url
    [general] = NotificationGroupApi(url, production_secret).list().data

    with pytest.raises(requests.HTTPError) as refused:
        NotificationTemplateApi(url, production_secret).create(welcome_form(general._id))

    assert refused.value.response.status_code == 403
    assert refused.value.response.json() == {
        "statusCode": 403,
        "message": "Production is read-only. Make changes in Development, then promote them "
        "on the Changes page.",
        "error": "Forbidden",
    }
    with pytest.raises(requests.HTTPError) as not_there:
        ChangeApi(url, production_secret).apply("workflow.x.0123456789abcdef")
    assert not_there.value.response.status_code == 403


def test_groups_feeds_layouts_keys_and_bulk_apply(live_server, keys):
    development_secret, _production_secret = keys
    url = live_server.url

    group = NotificationGroupApi(url, development_secret).create("Billing")
    assert NotificationGroupApi(url, development_secret).get(group._id).name == "Billing"
    feeds = FeedApi(url, development_secret)
    feed = feeds.create("Order updates")
    assert feed.identifier == "order-updates"
    layouts = LayoutApi(url, development_secret)
    layout = layouts.create(
        LayoutDto(
            name="Plain",
            description="Simple",
            content="<div>{{ content }}</div>",
            is_default=True,
        )
    )
    assert layouts.get(layout._id).is_default is True
    assert [item.name for item in layouts.list().data] == ["Plain"]
    layout.name = "Plainer"
    assert layouts.patch(layout).name == "Plainer"
    layouts.set_default(layout._id)

    changes = ChangeApi(url, development_secret)
    change_ids = [change._id for change in changes.list().data]
    assert len(change_ids) == 3
    applied = list(changes.bulk_apply(change_ids))
    assert sorted(change.type for change in applied) == ["Feed", "Layout", "NotificationGroup"]
    assert changes.count() == 0

    feeds.delete(feed._id)
    assert [item.name for item in feeds.list()] == []
    [api_key] = EnvironmentApi(url, development_secret).api_keys()
    assert api_key.key.endswith("…") and development_secret not in api_key.key
