"""Workflow groups and notification feeds: create, rename, delete; a group or feed in use is
not deleted and the refusal names the workflows that use it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from environments.scoping import environment_scope
from onboarding.services import organization_create
from tests.factories import StepFactory, UserFactory, WorkflowFactory, WorkflowGroupFactory
from workflows import services
from workflows.models import DEFAULT_GROUP_NAME, Channel, Feed, WorkflowGroup


def _url(tenant, name, *args):
    return reverse(name, args=[tenant.organization.slug, tenant.development.slug, *args])


def _groups(environment):
    return list(
        WorkflowGroup.unscoped_across_environments.filter(environment=environment)
        .order_by("name")
        .values_list("name", flat=True)
    )


def test_groups_list_with_their_workflow_counts(client, login, tenant, content, other_content):
    WorkflowFactory(environment=tenant.development, group=content.group)
    login(tenant.viewer.user)
    body = client.get(_url(tenant, "workflow_groups:index")).content.decode()
    assert "Orders" in body and "2 workflows" in body
    assert "Globex" not in body


def test_create_and_rename_a_group(client, login, tenant):
    login(tenant.editor.user)
    response = client.post(
        _url(tenant, "workflow_groups:create"), {"name": "Billing"}, headers={"HX-Request": "true"}
    )
    assert response.content.decode().lstrip().startswith('<div id="group-section"')
    group = WorkflowGroup.unscoped_across_environments.get(name="Billing")
    assert group.updated_by == tenant.editor.user

    client.post(_url(tenant, "workflow_groups:edit", group.pk), {"name": "Payments"})
    assert _groups(tenant.development) == ["Payments"]


def test_a_duplicate_group_name_is_refused(client, login, tenant, content):
    login(tenant.editor.user)
    response = client.post(_url(tenant, "workflow_groups:create"), {"name": "Orders"})
    assert "Development already has a group with the name “Orders”." in response.content.decode()
    assert _groups(tenant.development).count("Orders") == 1


def test_a_group_in_use_is_not_deleted_and_the_refusal_names_its_workflows(
    client, login, tenant, content
):
    WorkflowFactory(environment=tenant.development, group=content.group, name="Refund issued")
    login(tenant.editor.user)
    url = _url(tenant, "workflow_groups:delete", content.group.pk)

    confirmation = client.get(url).content.decode()
    assert "Order confirmation" in confirmation and "Refund issued" in confirmation
    assert "Delete group" not in confirmation

    response = client.post(url)
    body = response.content.decode()
    assert response.status_code == 409
    assert "“Orders” is still used by “Order confirmation” and “Refund issued”." in body
    assert "Orders" in _groups(tenant.development)


def test_an_unused_group_is_deleted_after_confirmation(client, login, tenant, content):
    login(tenant.editor.user)
    url = _url(tenant, "workflow_groups:delete", content.spare_group.pk)
    assert "Delete group" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert "Spare" not in _groups(tenant.development)


def test_the_general_group_stays(tenant):
    general = WorkflowGroupFactory(environment=tenant.development, name=DEFAULT_GROUP_NAME)
    with environment_scope(tenant.development):
        with pytest.raises(ValidationError, match="default group"):
            services.workflow_group_delete(group=general, actor=tenant.admin.user)
        with pytest.raises(ValidationError, match="keeps its name"):
            services.workflow_group_update(group=general, name="Misc", actor=tenant.admin.user)


def test_new_organizations_get_general_in_both_environments_with_one_origin(db):
    organization, _ = organization_create(name="Initech", owner=UserFactory())
    groups = WorkflowGroup.unscoped_across_environments.filter(
        environment__organization=organization
    )
    assert sorted(groups.values_list("environment__slug", "name")) == [
        ("development", "General"),
        ("production", "General"),
    ]
    assert len({group.origin_id for group in groups}) == 1


def test_feeds_are_created_edited_and_listed_with_their_use(
    client, login, tenant, content, other_content
):
    login(tenant.editor.user)
    client.post(_url(tenant, "feeds:create"), {"name": "Billing alerts", "identifier": ""})
    feed = Feed.unscoped_across_environments.get(identifier="billing-alerts")
    assert (feed.environment, feed.updated_by) == (tenant.development, tenant.editor.user)

    client.post(_url(tenant, "feeds:edit", feed.pk), {"name": "Billing", "identifier": "billing"})
    feed.refresh_from_db()
    assert (feed.name, feed.identifier) == ("Billing", "billing")

    body = client.get(_url(tenant, "feeds:index")).content.decode()
    assert "1 step in 1 workflow" in body  # Activity, used by the in-app step
    assert body.count("<code>activity</code>") == 1  # not Globex's feed of the same identifier


def test_a_feed_in_use_is_not_deleted(client, login, tenant, content):
    login(tenant.editor.user)
    url = _url(tenant, "feeds:delete", content.feed.pk)
    assert "Order confirmation" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 409
    assert "used by in-app steps of “Order confirmation”" in response.content.decode()
    assert Feed.unscoped_across_environments.filter(pk=content.feed.pk).exists()


def test_an_unused_feed_is_deleted(client, login, tenant, content):
    StepFactory(workflow=content.workflow, channel=Channel.SMS)
    content.in_app.delete()
    login(tenant.editor.user)
    assert client.post(_url(tenant, "feeds:delete", content.feed.pk)).status_code == 302
    assert not Feed.unscoped_across_environments.filter(pk=content.feed.pk).exists()


def test_in_app_steps_choose_among_this_environments_feeds(
    client, login, tenant, content, other_content
):
    login(tenant.editor.user)
    url = _url(tenant, "workflows:step_edit", content.workflow.pk, content.in_app.pk)
    form = client.get(url).context["form"]
    assert list(form.fields["feed"].queryset) == [content.feed]
    response = client.post(
        url,
        {
            f"step-{content.in_app.pk}-name": "Inbox",
            f"step-{content.in_app.pk}-body": "Hi",
            f"step-{content.in_app.pk}-feed": other_content.feed.pk,
        },
    )
    assert "Select a valid choice" in response.content.decode()


def test_the_general_group_keeps_its_name_through_the_edit_page(client, login, tenant):
    general = WorkflowGroupFactory(environment=tenant.development, name=DEFAULT_GROUP_NAME)
    login(tenant.editor.user)
    response = client.post(_url(tenant, "workflow_groups:edit", general.pk), {"name": "Misc"})
    page = response.content.decode()
    assert "keeps its name" in page
    assert "Edit the group “General”" in page
    general.refresh_from_db()
    assert general.name == DEFAULT_GROUP_NAME
