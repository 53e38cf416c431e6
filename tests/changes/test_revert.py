"""Revert restores the target's prior documents, atomically, as a recorded promotion."""

import pytest

from changes.diff import ChangeSet
from changes.models import PromotionKind
from changes.services import (
    PromotionRefused,
    changes_apply,
    changes_promote_all,
    promotion_revert,
)
from tests.changes.conftest import rehash
from tests.factories import LayoutFactory
from workflows.models import Step, Workflow


def production(tenant, model, **filters):
    return model.unscoped_across_environments.filter(environment=tenant.production, **filters)


def test_revert_restores_the_prior_documents(tenant, content):
    LayoutFactory(environment=tenant.development, name="Plain", identifier="plain")
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(subject="New subject")
    Workflow.unscoped_across_environments.filter(pk=content.receipt.pk).delete()
    rehash(tenant)
    promotion = changes_promote_all(source=tenant.development, actor=tenant.admin.user).promotion
    assert not production(tenant, Workflow, origin_id=content.receipt.origin_id).exists()

    revert = promotion_revert(promotion=promotion, actor=tenant.editor.user)

    welcome = production(tenant, Workflow, origin_id=content.welcome.origin_id).get()
    assert welcome.name == "Welcome"
    assert (
        production(tenant, Step, origin_id=content.steps[1].origin_id).get().subject
        == "Welcome aboard"
    )
    receipt = production(tenant, Workflow, origin_id=content.receipt.origin_id).get()
    assert list(production(tenant, Step, workflow=receipt).values_list("name", flat=True)) == [
        "Text"
    ]
    assert not production(tenant, Workflow, name="Plain").exists()
    assert revert.kind == PromotionKind.REVERT
    assert revert.reverts == promotion
    assert (revert.created_count, revert.updated_count, revert.deleted_count) == (1, 1, 1)
    # Development still has the edits, so they are pending again.
    assert len(ChangeSet.compute(source=tenant.development, target=tenant.production)) == 3


def test_revert_is_refused_after_a_later_promotion_of_the_same_entities(tenant, content):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    first = changes_promote_all(source=tenant.development, actor=tenant.admin.user).promotion
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Howdy")
    rehash(tenant)
    change = ChangeSet.compute(source=tenant.development, target=tenant.production).changes[0]
    changes_apply(
        source=tenant.development,
        selection=[(change.change_id, change.fingerprint)],
        actor=tenant.editor.user,
    )

    with pytest.raises(PromotionRefused) as refused:
        promotion_revert(promotion=first, actor=tenant.admin.user)

    assert "a later promotion" in str(refused.value)
    assert "Workflow “Howdy”" in str(refused.value)
    assert production(tenant, Workflow, origin_id=content.welcome.origin_id).get().name == "Howdy"


def test_a_promotion_is_reverted_only_once(tenant, content):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    promotion = changes_promote_all(source=tenant.development, actor=tenant.admin.user).promotion
    promotion_revert(promotion=promotion, actor=tenant.admin.user)
    with pytest.raises(PromotionRefused, match="already reverted"):
        promotion_revert(promotion=promotion, actor=tenant.admin.user)


def test_revert_over_http_from_history(tenant, content, login):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    promotion = changes_promote_all(source=tenant.development, actor=tenant.admin.user).promotion
    client = login(tenant.editor.user)

    page = client.get(tenant.url(tenant.development, f"changes/history/{promotion.pk}/"))
    assert "Revert this promotion" in page.content.decode()
    assert "Hello" in page.content.decode()

    response = client.post(
        tenant.url(tenant.development, f"changes/history/{promotion.pk}/revert/")
    )
    assert response.status_code == 302
    assert production(tenant, Workflow, origin_id=content.welcome.origin_id).get().name == "Welcome"
    page = client.get(tenant.url(tenant.development, f"changes/history/{promotion.pk}/"))
    assert "already reverted" in page.content.decode()
