"""The one policy: every question, for every role, an API key and a stranger, in a writable
and a read-only environment."""

import pytest
from django.core.exceptions import PermissionDenied

from environments import policy
from environments.policy import Permissions, Write, WriteRefused
from tests.factories import ApiKeyFactory

W, R = "writable", "read-only"

# (write, environment) -> roles that may, among admin, editor, viewer
EXPECTED = {
    (Write.CONTENT, W): {"admin", "editor"},
    (Write.CONTENT, R): set(),
    (Write.RUNTIME, W): {"admin", "editor"},
    (Write.RUNTIME, R): set(),
    (Write.SETTINGS, W): {"admin"},
    (Write.SETTINGS, R): {"admin"},
    (Write.PROMOTION, W): {"admin", "editor"},
    (Write.PROMOTION, R): set(),  # Production has no downstream
    (Write.MEMBERS, W): {"admin"},
    (Write.MEMBERS, R): {"admin"},
    (Write.NOTHING, W): {"admin", "editor", "viewer"},
    (Write.NOTHING, R): {"admin", "editor", "viewer"},
}


def _environment(tenant, kind):
    return tenant.development if kind == W else tenant.production


@pytest.mark.parametrize(("write", "kind"), list(EXPECTED), ids=lambda value: str(value))
def test_members_by_role(tenant, write, kind):
    environment = _environment(tenant, kind)
    for role, membership in [
        ("admin", tenant.admin),
        ("editor", tenant.editor),
        ("viewer", tenant.viewer),
    ]:
        expected = role in EXPECTED[(write, kind)]
        assert policy.allows(write, environment=environment, actor=membership) is expected, role
        # A user is looked up to the same membership.
        assert policy.allows(write, environment=environment, actor=membership.user) is expected


@pytest.mark.parametrize("write", list(Write))
def test_a_member_of_another_organization_may_do_nothing_but_read(tenant, other_tenant, write):
    for environment in (tenant.development, tenant.production):
        allowed = policy.allows(write, environment=environment, actor=other_tenant.admin)
        assert allowed is (write is Write.NOTHING)


def test_an_api_key_writes_everything_of_its_environment_but_content_where_read_only(tenant):
    development_key = ApiKeyFactory(environment=tenant.development)
    production_key = ApiKeyFactory(environment=tenant.production)
    for write in (Write.CONTENT, Write.RUNTIME, Write.SETTINGS, Write.PROMOTION):
        assert policy.allows(write, environment=tenant.development, actor=development_key)
    assert policy.allows(Write.RUNTIME, environment=tenant.production, actor=production_key)
    assert policy.allows(Write.SETTINGS, environment=tenant.production, actor=production_key)
    refused = policy.refusal(Write.CONTENT, environment=tenant.production, actor=production_key)
    assert refused.read_only
    assert "Make changes in Development" in refused.message
    # Never members, and never another environment's objects.
    assert not policy.allows(Write.MEMBERS, environment=tenant.development, actor=development_key)
    assert not policy.allows(Write.RUNTIME, environment=tenant.development, actor=production_key)


def test_require_raises_a_permission_denied_with_the_message(tenant):
    with pytest.raises(
        PermissionDenied, match=r"Production is read-only\. Make changes in Development"
    ):
        policy.require(Write.CONTENT, environment=tenant.production, actor=tenant.admin)
    with pytest.raises(WriteRefused, match="Only an admin of Acme can change"):
        policy.require(Write.SETTINGS, environment=tenant.development, actor=tenant.editor)


def test_runtime_refusal_in_production_names_where_test_data_lives(tenant):
    refused = policy.refusal(Write.RUNTIME, environment=tenant.production, actor=tenant.admin)
    assert refused.read_only
    assert "through the API" in refused.message
    assert "Development" in refused.message


def test_templates_get_the_same_answers(tenant):
    may = Permissions(environment=tenant.production, membership=tenant.admin)
    assert (may.edit_content, may.write_runtime, may.change_settings, may.promote) == (
        False,
        False,
        True,
        False,
    )
    may = Permissions(environment=tenant.development, membership=tenant.editor)
    assert (may.edit_content, may.promote, may.change_settings, may.manage_members) == (
        True,
        True,
        False,
        False,
    )
