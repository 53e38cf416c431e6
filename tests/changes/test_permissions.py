"""Only admins and editors apply; viewers see the page without buttons; inserting an
environment is for admins. The server checks, in views and again in services."""

import pytest
from django.core.exceptions import PermissionDenied

from changes.diff import ChangeSet
from changes.services import (
    change_discard,
    changes_apply,
    changes_promote_all,
    environment_insert,
    promotion_revert,
)
from tests.changes.conftest import rehash
from workflows.models import Workflow


@pytest.fixture
def edited(tenant, content):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    return ChangeSet.compute(source=tenant.development, target=tenant.production).changes[0]


def production_name(tenant, content):
    return Workflow.unscoped_across_environments.get(
        environment=tenant.production, origin_id=content.welcome.origin_id
    ).name


@pytest.mark.parametrize("role", ["admin", "editor"])
def test_admins_and_editors_apply(tenant, content, edited, login, role):
    client = login(getattr(tenant, role).user)
    page = client.get(tenant.url(tenant.development, "changes/")).content.decode()
    assert "Promote all changes" in page and ">Apply</button>" in page
    response = client.post(
        tenant.url(tenant.development, "changes/apply/"),
        {"change_id": edited.change_id, "fingerprint": edited.fingerprint},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    # The count and the toolbar come in the same response (out of band), not by an event
    # that would make the page ask for them again.
    assert "HX-Trigger" not in response
    html = response.content.decode()
    assert "Applied to Production" in html
    assert '<span id="changes-count"' in html and 'hx-swap-oob="true"' in html
    assert production_name(tenant, content) == "Hello"


def test_viewers_see_the_changes_without_buttons(tenant, content, edited, login):
    client = login(tenant.viewer.user)
    page = client.get(tenant.url(tenant.development, "changes/")).content.decode()
    assert "Hello" in page
    assert "Promote all changes" not in page
    assert ">Apply</button>" not in page
    assert 'name="selected"' not in page


@pytest.mark.parametrize(
    "path", ["changes/apply/", "changes/apply-selected/", "changes/promote/", "changes/discard/"]
)
def test_viewers_are_refused_by_the_server(tenant, content, edited, login, path):
    client = login(tenant.viewer.user)
    response = client.post(
        tenant.url(tenant.development, path),
        {
            "change_id": edited.change_id,
            "fingerprint": edited.fingerprint,
            "selected": f"{edited.change_id}|{edited.fingerprint}",
        },
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert (
        "Only an admin or an editor of Acme can" in body
        or "Your role can read this content but not change it." in body
    )
    assert production_name(tenant, content) == "Welcome"


def test_services_check_the_role_again(tenant, content, edited):
    viewer = tenant.viewer.user
    with pytest.raises(PermissionDenied):
        changes_apply(
            source=tenant.development,
            selection=[(edited.change_id, edited.fingerprint)],
            actor=viewer,
        )
    with pytest.raises(PermissionDenied):
        changes_promote_all(source=tenant.development, actor=viewer)
    with pytest.raises(PermissionDenied):
        change_discard(
            source=tenant.development,
            change_id=edited.change_id,
            fingerprint=edited.fingerprint,
            actor=viewer,
        )
    promotion = changes_promote_all(source=tenant.development, actor=tenant.editor.user).promotion
    with pytest.raises(PermissionDenied):
        promotion_revert(promotion=promotion, actor=viewer)
    with pytest.raises(PermissionDenied):
        environment_insert(upstream=tenant.development, name="Staging", actor=tenant.editor.user)


def test_a_member_of_another_organization_cannot_promote_here(tenant, other_tenant, edited):
    with pytest.raises(PermissionDenied):
        changes_promote_all(source=tenant.development, actor=other_tenant.admin.user)


def test_only_admins_insert_environments(tenant, login):
    client = login(tenant.editor.user)
    url = tenant.url(tenant.development, "changes/insert-environment/")
    assert client.get(url).status_code == 403
    response = client.post(url, {"name": "Staging", "upstream": tenant.development.pk})
    assert response.status_code == 403
    assert not tenant.organization.environments.filter(name="Staging").exists()
