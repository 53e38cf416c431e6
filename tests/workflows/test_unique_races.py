"""When two saves race past the form's uniqueness check, the database decides and the loser
gets a form error, not a 500."""

import pytest
from django.core.exceptions import ValidationError

from branding.models import Layout
from branding.services import layout_create
from environments.scoping import environment_scope
from onboarding.services import user_sign_up
from workflows import services
from workflows.models import Feed, WorkflowGroup


@pytest.fixture
def check_skipped(monkeypatch):
    """Let the second save through the service's own check, as a concurrent save would be."""
    monkeypatch.setattr(services, "_refuse_duplicate", lambda *args, **kwargs: None)


def test_a_feed_identifier_clash_is_a_validation_error(tenant, check_skipped):
    with environment_scope(tenant.development):
        services.feed_create(
            environment=tenant.development, name="A", identifier="news", actor=tenant.editor.user
        )
        with pytest.raises(ValidationError, match="already taken"):
            services.feed_create(
                environment=tenant.development,
                name="B",
                identifier="news",
                actor=tenant.editor.user,
            )
        assert Feed.objects.count() == 1


def test_a_group_name_clash_is_a_validation_error(tenant, check_skipped):
    with environment_scope(tenant.development):
        services.workflow_group_create(
            environment=tenant.development, name="Billing", actor=tenant.editor.user
        )
        with pytest.raises(ValidationError, match="already taken"):
            services.workflow_group_create(
                environment=tenant.development, name="Billing", actor=tenant.editor.user
            )
        assert WorkflowGroup.objects.filter(name="Billing").count() == 1


def test_a_layout_clash_is_a_validation_error(tenant, monkeypatch):
    from branding import services as branding_services

    monkeypatch.setattr(branding_services, "_validate_layout", lambda **kwargs: None)
    values = {"name": "A", "identifier": "receipt", "html": "{{ content }}", "is_default": False}
    with environment_scope(tenant.development):
        layout_create(environment=tenant.development, actor=tenant.editor.user, **values)
        with pytest.raises(ValidationError, match="saved at the same moment"):
            layout_create(environment=tenant.development, actor=tenant.editor.user, **values)
        assert Layout.objects.count() == 1


def test_a_sign_up_clash_is_a_validation_error(user):
    with pytest.raises(ValidationError, match="already exists"):
        user_sign_up(
            email=user.email, password="a-long-passphrase", name="X", organization_name="X"
        )
