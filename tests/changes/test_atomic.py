"""Nothing is ever half-applied: a failure midway rolls the whole promotion back."""

import pytest

from changes import writes
from changes.diff import ChangeSet
from changes.models import Promotion
from changes.services import changes_promote_all
from tests.changes.conftest import rehash
from tests.factories import FeedFactory, LayoutFactory
from workflows.models import Feed, Workflow


def test_a_failure_midway_leaves_the_target_untouched(tenant, content, monkeypatch):
    FeedFactory(environment=tenant.development, name="Billing", identifier="billing")
    LayoutFactory(environment=tenant.development, name="Plain", identifier="plain")
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    before = ChangeSet.compute(source=tenant.development, target=tenant.production)
    promotions_before = Promotion.objects.count()

    # Feeds and layouts are written before workflows; then the workflow write fails.
    upsert = writes.upsert

    def explode(promotable_type, **kwargs):
        if promotable_type.key == "workflow":
            raise RuntimeError("disk full")
        return upsert(promotable_type, **kwargs)

    monkeypatch.setattr(writes, "upsert", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        changes_promote_all(source=tenant.development, actor=tenant.admin.user)

    assert not Feed.unscoped_across_environments.filter(
        environment=tenant.production, identifier="billing"
    ).exists()
    assert (
        Workflow.unscoped_across_environments.get(
            environment=tenant.production, origin_id=content.welcome.origin_id
        ).name
        == "Welcome"
    )
    after = ChangeSet.compute(source=tenant.development, target=tenant.production)
    assert [c.change_id for c in after.changes] == [c.change_id for c in before.changes]
    assert len(after) == 3
    assert Promotion.objects.count() == promotions_before
