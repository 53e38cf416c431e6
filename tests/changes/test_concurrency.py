"""Two operators promoting at once are serialised by the lock on the target environment."""

import threading

import pytest
from django.db import close_old_connections, connection

from changes.diff import ChangeSet
from changes.models import Promotion, PromotionItem, PromotionKind
from changes.services import changes_promote_all
from tests.changes.conftest import build_content
from workflows.models import Workflow

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=(
        "Needs PostgreSQL: SQLite has no row locks, so it cannot show two promotions "
        "serialising. Run with DATABASE_URL=postgres://… (the CI does)."
    ),
)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_promote_alls_apply_each_change_exactly_once(tenant):
    build_content(tenant.development)
    expected = len(ChangeSet.compute(source=tenant.development, target=tenant.production))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def promote(user):
        try:
            barrier.wait(timeout=10)
            results.append(changes_promote_all(source=tenant.development, actor=user))
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=promote, args=(user,))
        for user in (tenant.admin.user, tenant.editor.user)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    promoted = [result.promotion for result in results if result.promotion is not None]
    assert len(promoted) == 1, "the second promotion must find nothing left"
    assert Promotion.objects.filter(kind=PromotionKind.PROMOTE_ALL).count() == 1
    items = PromotionItem.objects.filter(promotion__kind=PromotionKind.PROMOTE_ALL)
    assert items.count() == expected
    assert items.values("origin_id").distinct().count() == expected
    assert Workflow.unscoped_across_environments.filter(environment=tenant.production).count() == 2
    assert ChangeSet.compute(source=tenant.development, target=tenant.production).changes == []
