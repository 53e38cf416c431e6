"""The workflow list: search, group and active filters, pagination, a bounded number of queries,
and nothing from another environment or organization."""

import pytest
from django.urls import reverse

from tests.factories import StepFactory, WorkflowFactory, WorkflowGroupFactory
from workflows.models import Channel


def _url(tenant, environment=None):
    environment = environment or tenant.development
    return reverse("workflows:index", args=[tenant.organization.slug, environment.slug])


@pytest.fixture
def catalogue(tenant, other_tenant):
    dev = tenant.development
    billing = WorkflowGroupFactory(environment=dev, name="Billing")
    security = WorkflowGroupFactory(environment=dev, name="Security")
    WorkflowFactory(environment=dev, name="Invoice overdue", identifier="invoice", group=billing)
    WorkflowFactory(
        environment=dev, name="Refund issued", identifier="refund", group=billing, active=False
    )
    WorkflowFactory(
        environment=dev,
        name="Password reset",
        identifier="password-reset",
        description="Link to choose a new password",
        group=security,
    )
    production_group = WorkflowGroupFactory(environment=tenant.production, name="Billing")
    WorkflowFactory(
        environment=tenant.production, name="Only in production", group=production_group
    )
    other_group = WorkflowGroupFactory(environment=other_tenant.development, name="Billing")
    WorkflowFactory(environment=other_tenant.development, name="Globex invoice", group=other_group)
    return {"billing": billing, "security": security}


def _names(response):
    return [workflow.name for workflow in response.context["page"].object_list]


def test_lists_only_this_environments_workflows(client, login, tenant, catalogue):
    login(tenant.viewer.user)
    response = client.get(_url(tenant))
    assert _names(response) == ["Invoice overdue", "Password reset", "Refund issued"]
    body = response.content.decode()
    assert "Only in production" not in body and "Globex" not in body


def test_search_matches_name_identifier_and_description(client, login, tenant, catalogue):
    login(tenant.viewer.user)
    assert _names(client.get(_url(tenant), {"q": "refund"})) == ["Refund issued"]
    assert _names(client.get(_url(tenant), {"q": "new password"})) == ["Password reset"]
    assert _names(client.get(_url(tenant), {"q": "invoice"})) == ["Invoice overdue"]


def test_group_and_active_filters(client, login, tenant, catalogue):
    login(tenant.viewer.user)
    billing = catalogue["billing"].pk
    assert _names(client.get(_url(tenant), {"group": billing})) == [
        "Invoice overdue",
        "Refund issued",
    ]
    assert _names(client.get(_url(tenant), {"group": billing, "active": "active"})) == [
        "Invoice overdue"
    ]
    assert _names(client.get(_url(tenant), {"active": "inactive"})) == ["Refund issued"]


def test_a_group_of_another_environment_is_not_a_valid_filter(client, login, tenant, other_tenant):
    foreign = WorkflowGroupFactory(environment=other_tenant.development)
    WorkflowFactory(environment=other_tenant.development, group=foreign, name="Foreign")
    login(tenant.viewer.user)
    response = client.get(_url(tenant), {"group": foreign.pk})
    assert "Foreign" not in response.content.decode()


def test_no_match_says_so(client, login, tenant, catalogue):
    login(tenant.viewer.user)
    body = client.get(_url(tenant), {"q": "nothing-like-this"}).content.decode()
    assert "No workflow matches these filters." in body


def test_htmx_gets_only_the_results(client, login, tenant, catalogue):
    login(tenant.viewer.user)
    response = client.get(_url(tenant), {"q": "refund"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="workflow-results"')
    assert "Refund issued" in body and "<html" not in body


def test_pagination_keeps_the_filters(client, login, tenant):
    group = WorkflowGroupFactory(environment=tenant.development, name="Bulk")
    for number in range(25):
        WorkflowFactory(
            environment=tenant.development, name=f"Bulk {number:02}", identifier=f"bulk-{number}"
        )
    WorkflowFactory(environment=tenant.development, name="Bulk grouped", group=group)
    login(tenant.viewer.user)
    first = client.get(_url(tenant), {"q": "bulk"})
    assert len(_names(first)) == 20
    assert "Page 1 of 2 · 26 in all" in first.content.decode()
    assert "?q=bulk&amp;page=2" in first.content.decode()
    second = client.get(_url(tenant), {"q": "bulk", "page": 2})
    assert len(_names(second)) == 6


def test_the_list_does_not_query_per_workflow(client, login, tenant, django_assert_max_num_queries):
    group = WorkflowGroupFactory(environment=tenant.development)
    for _ in range(15):
        workflow = WorkflowFactory(environment=tenant.development, group=group)
        StepFactory(workflow=workflow, channel=Channel.EMAIL)
        StepFactory(workflow=workflow, channel=Channel.SMS)
    login(tenant.viewer.user)
    with django_assert_max_num_queries(14):
        response = client.get(_url(tenant))
    assert response.content.decode().count("channel--sms") == 15


def test_readers_do_not_get_a_new_workflow_button(client, login, tenant, catalogue):
    login(tenant.viewer.user)
    assert "New workflow" not in client.get(_url(tenant)).content.decode()
    login(tenant.editor.user)
    assert "New workflow" in client.get(_url(tenant)).content.decode()
