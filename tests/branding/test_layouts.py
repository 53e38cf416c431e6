"""Layouts: Liquid HTML with a {{ content }} placeholder, exactly one default per environment."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from branding.models import Layout
from branding.services import layout_create, layout_delete, layout_make_default, layout_update
from environments.scoping import environment_scope
from tests.factories import LayoutFactory, StepFactory

GOOD_HTML = "<div style='color: {{ brand.primary_color }}'>{{ content }}</div>"


def create(tenant, environment=None, **fields):
    values = {"name": "Receipt", "identifier": "receipt", "html": GOOD_HTML, "is_default": False}
    values.update(fields)
    environment = environment or tenant.development
    with environment_scope(environment):
        return layout_create(environment=environment, actor=tenant.editor.user, **values)


def test_a_layout_without_the_content_placeholder_is_refused(tenant):
    with pytest.raises(ValidationError) as refused:
        create(tenant, html="<div>{{ brand.primary_color }}</div>")
    assert "{{ content }} placeholder" in str(refused.value)
    assert not Layout.unscoped_across_environments.exists()


def test_a_layout_with_a_liquid_syntax_error_says_where(tenant):
    with pytest.raises(ValidationError) as refused:
        create(tenant, html="<div>\n{{ content }}\n{% iff brand.logo_url %}</div>")
    assert "Line 3" in str(refused.value)
    assert not Layout.unscoped_across_environments.exists()


def test_the_first_layout_is_the_default_and_there_is_only_ever_one(tenant):
    first = create(tenant)
    assert first.is_default
    second = create(tenant, name="Marketing", identifier="marketing", is_default=True)
    first.refresh_from_db()
    assert second.is_default and not first.is_default
    with environment_scope(tenant.development):
        layout_make_default(layout=first, actor=tenant.admin.user)
        assert list(Layout.objects.filter(is_default=True)) == [first]
        with pytest.raises(ValidationError, match="Make another layout the default"):
            layout_update(
                layout=first,
                name="Receipt",
                identifier="receipt",
                html=GOOD_HTML,
                is_default=False,
                actor=tenant.admin.user,
            )


def test_identifiers_are_unique_per_environment_only(tenant, other_tenant):
    create(tenant)
    with pytest.raises(ValidationError, match="already has a layout with the identifier"):
        create(tenant, name="Another")
    LayoutFactory(environment=tenant.production, identifier="receipt")
    create(other_tenant, environment=other_tenant.development)
    assert Layout.unscoped_across_environments.filter(identifier="receipt").count() == 3


def test_a_layout_used_by_email_steps_cannot_be_deleted(tenant):
    layout = create(tenant)
    StepFactory(
        workflow__environment=tenant.development,
        workflow__name="Order shipped",
        layout=layout,
        channel="email",
    )
    with (
        environment_scope(tenant.development),
        pytest.raises(ValidationError, match="Order shipped"),
    ):
        layout_delete(layout=layout, actor=tenant.editor.user)
    assert Layout.unscoped_across_environments.filter(pk=layout.pk).exists()


def test_the_default_goes_last(tenant):
    default = create(tenant)
    other = create(tenant, name="Plain", identifier="plain")
    with environment_scope(tenant.development):
        with pytest.raises(ValidationError, match="is the default layout"):
            layout_delete(layout=default, actor=tenant.editor.user)
        layout_delete(layout=other, actor=tenant.editor.user)
        layout_delete(layout=default, actor=tenant.editor.user)
        assert not Layout.objects.exists()


def test_services_refuse_production_and_viewers(tenant):
    with pytest.raises(PermissionDenied, match="Production is read-only"):
        create(tenant, environment=tenant.production)
    with environment_scope(tenant.development), pytest.raises(PermissionDenied):
        layout_create(
            environment=tenant.development,
            actor=tenant.viewer.user,
            name="x",
            identifier="x",
            html=GOOD_HTML,
            is_default=False,
        )
    assert not Layout.unscoped_across_environments.exists()


def test_the_editor_page_shows_errors_inline_and_saves_nothing(client, login, tenant):
    login(tenant.editor.user)
    response = client.post(
        tenant.url(tenant.development, "layouts/new/"),
        {"name": "Receipt", "identifier": "", "html": "<p>No placeholder</p>"},
    )
    assert response.status_code == 200
    assert "must contain the {{ content }} placeholder" in response.content.decode()
    assert not Layout.unscoped_across_environments.exists()

    response = client.post(
        tenant.url(tenant.development, "layouts/new/"),
        {"name": "Receipt Mail", "identifier": "", "html": GOOD_HTML},
        follow=True,
    )
    layout = Layout.unscoped_across_environments.get()
    assert layout.identifier == "receipt-mail"
    assert layout.updated_by == tenant.editor.user
    assert "Created the layout “Receipt Mail”" in response.content.decode()


def test_production_shows_layouts_read_only(client, login, tenant, other_tenant):
    layout = LayoutFactory(environment=tenant.production, name="Receipt", is_default=True)
    LayoutFactory(environment=other_tenant.production, name="Globex layout")
    login(tenant.admin.user)
    listing = client.get(tenant.url(tenant.production, "layouts/")).content.decode()
    assert "Receipt" in listing
    assert "Globex layout" not in listing
    assert "New layout" not in listing
    assert "Make default" not in listing
    detail = client.get(tenant.url(tenant.production, f"layouts/{layout.pk}/")).content.decode()
    assert 'data-testid="layout-read-only"' in detail
    assert "<form" not in detail.split('id="content"')[1].split("</main>")[0]
    response = client.post(tenant.url(tenant.production, f"layouts/{layout.pk}/default/"))
    assert response.status_code == 403


def test_a_name_without_latin_letters_asks_for_an_identifier(client, login, tenant):
    login(tenant.editor.user)
    response = client.post(
        tenant.url(tenant.development, "layouts/new/"),
        {"name": "日本語", "identifier": "", "html": GOOD_HTML},
    )
    assert "This name gives no identifier" in response.content.decode()
    assert not Layout.unscoped_across_environments.exists()


def test_edit_only_pages_refuse_viewers_and_production_even_on_get(client, login, tenant):
    layout = LayoutFactory(environment=tenant.production)
    login(tenant.viewer.user)
    assert client.get(tenant.url(tenant.development, "layouts/new/")).status_code == 403
    login(tenant.admin.user)
    assert client.get(tenant.url(tenant.production, "layouts/new/")).status_code == 403
    assert (
        client.get(tenant.url(tenant.production, f"layouts/{layout.pk}/delete/")).status_code == 403
    )
    assert client.get(tenant.url(tenant.development, "layouts/new/")).status_code == 200
