"""History says who promoted: a user by name, an API key as ``API key “<name>”``."""

from changes.services import changes_promote_all, promotion_revert
from environments.services import api_key_issue
from tests.changes.conftest import rehash
from workflows.models import Workflow


def test_a_promotion_by_an_api_key_is_recorded_with_the_keys_name(tenant, content, login):
    api_key = api_key_issue(
        environment=tenant.development, name="Default key", created_by=None
    ).api_key
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)

    promotion = changes_promote_all(source=tenant.development, actor=api_key).promotion

    promotion.refresh_from_db()
    assert promotion.actor is None
    assert promotion.api_key == api_key
    assert promotion.actor_label == "API key “Default key”"
    copy = Workflow.unscoped_across_environments.get(
        environment=tenant.production, origin_id=content.welcome.origin_id
    )
    assert copy.name == "Hello"
    assert copy.updated_by is None
    client = login(tenant.viewer.user)
    history = client.get(tenant.url(tenant.development, "changes/history/")).content.decode()
    assert "API key “Default key”" in history
    detail = client.get(
        tenant.url(tenant.development, f"changes/history/{promotion.pk}/")
    ).content.decode()
    assert "by API key “Default key”" in detail


def test_the_name_outlives_the_key_and_a_user_is_recorded_by_name(tenant, content):
    api_key = api_key_issue(environment=tenant.development, name="CI", created_by=None).api_key
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    by_key = changes_promote_all(source=tenant.development, actor=api_key).promotion
    api_key.delete()

    reverted = promotion_revert(promotion=by_key, actor=tenant.editor.user)

    by_key.refresh_from_db()
    assert by_key.api_key is None
    assert by_key.actor_label == "API key “CI”"
    assert reverted.actor == tenant.editor.user
    assert reverted.actor_label == tenant.editor.user.display_name


def test_promotions_recorded_before_names_were_kept_show_the_users_name(tenant, content):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    promotion = changes_promote_all(source=tenant.development, actor=tenant.admin.user).promotion
    promotion.actor_name = ""

    assert promotion.actor_label == tenant.admin.user.display_name
