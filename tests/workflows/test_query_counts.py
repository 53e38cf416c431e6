"""List and editor pages read a bounded number of queries, however much content there is."""

from django.urls import reverse

from tests.factories import FeedFactory, StepFactory, WorkflowFactory, WorkflowGroupFactory
from workflows.models import Channel


def _url(tenant, name, *args):
    return reverse(name, args=[tenant.organization.slug, tenant.development.slug, *args])


def test_groups_page(client, login, tenant, django_assert_max_num_queries):
    for number in range(12):
        group = WorkflowGroupFactory(environment=tenant.development, name=f"Group {number:02}")
        WorkflowFactory(environment=tenant.development, group=group)
    login(tenant.editor.user)
    with django_assert_max_num_queries(10):
        body = client.get(_url(tenant, "workflow_groups:index")).content.decode()
    assert body.count("1 workflow<") == 12


def test_feeds_page(client, login, tenant, django_assert_max_num_queries):
    workflow = WorkflowFactory(environment=tenant.development)
    for number in range(12):
        feed = FeedFactory(environment=tenant.development, name=f"Feed {number:02}")
        StepFactory(workflow=workflow, feed=feed)
    login(tenant.editor.user)
    with django_assert_max_num_queries(10):
        body = client.get(_url(tenant, "feeds:index")).content.decode()
    assert body.count("1 step in 1 workflow") == 12


def test_editor_page(client, login, tenant, django_assert_max_num_queries):
    workflow = WorkflowFactory(environment=tenant.development)
    feed = FeedFactory(environment=tenant.development)
    for position in range(12):
        StepFactory(workflow=workflow, position=position, channel=Channel.IN_APP, feed=feed)
    login(tenant.editor.user)
    with django_assert_max_num_queries(14):
        body = client.get(_url(tenant, "workflows:detail", workflow.pk)).content.decode()
    assert body.count('data-testid="step"') == 12
