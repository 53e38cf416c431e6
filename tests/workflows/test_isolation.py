"""Content of one environment never reaches another: not through URLs, not through forms, not
through references between rows."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from environments.scoping import environment_scope
from workflows import services


def _url(tenant, environment, name, *args):
    return reverse(name, args=[tenant.organization.slug, environment.slug, *args])


@pytest.mark.parametrize("name", ["workflows:detail", "workflows:delete", "workflows:step_add"])
def test_a_workflow_is_only_reachable_in_its_own_environment(
    client, login, tenant, content, production_content, other_content, name
):
    login(tenant.admin.user)
    for foreign in (production_content.workflow, other_content.workflow):
        url = _url(tenant, tenant.development, name, foreign.pk)
        assert client.get(url, {"channel": "sms"}).status_code == 404
        assert client.post(url, {"channel": "sms"}).status_code == 404


def test_the_editor_offers_only_this_environments_groups_and_layouts(
    client, login, tenant, content, production_content, other_content
):
    login(tenant.admin.user)
    url = _url(
        tenant, tenant.development, "workflows:step_edit", content.workflow.pk, content.email.pk
    )
    form = client.get(url).context["form"]
    assert list(form.fields["layout"].queryset) == [content.layout]
    editor = client.get(_url(tenant, tenant.development, "workflows:detail", content.workflow.pk))
    groups = list(editor.context["settings_form"].fields["group"].queryset)
    assert groups == [content.group, content.spare_group]


def test_services_refuse_references_to_another_environment(tenant, content, production_content):
    with environment_scope(tenant.development):
        with pytest.raises(ValidationError, match="Choose a group of Development"):
            services.workflow_update(
                workflow=content.workflow, actor=tenant.admin.user, group=production_content.group
            )
        with pytest.raises(ValidationError, match="Choose a feed of Development"):
            services.step_update(
                step=content.in_app, actor=tenant.admin.user, feed=production_content.feed
            )
    content.workflow.refresh_from_db()
    assert content.workflow.group == content.group
