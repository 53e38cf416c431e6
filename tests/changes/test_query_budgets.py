"""Every request that touches changes costs a number of queries that does not depend on how
many changes are pending: the same budget at two sizes, with every kind of change present
(creates, updates, deletes, renames, reorders, references, a relink)."""

import pytest

from changes.diff import ChangeSet
from changes.services import changes_promote_all
from tests.changes.conftest import build_content, rehash, sync
from tests.factories import LayoutFactory, StepFactory, WorkflowFactory, WorkflowGroupFactory
from workflows.models import Step, Workflow

SIZES = [3, 30]
# Measured at both sizes, plus a little room; the sidebar badge and the toolbar are the
# middleware's five queries and one that counts.
BUDGETS = {
    # A first view of a page also loads the documents of its rows to work out their facts
    # (summaries, what warnings are made of), and stores them: three queries more.
    "changes/": 34,
    "changes/?page=2": 34,
    "changes/?type=workflow": 26,
    # A first count, stored under the change stamps (the stamps read, the count, the store).
    "changes/count/": 7,
    "changes/summary/": 8,
    "changes/?fragment=toolbar": 6,
    "changes/promote/": 40,
}
# Once stored, a page's rows read their facts in one query and load no document.
WARM_PAGE_BUDGET = 22
APPLY_BUDGET = 22
PROMOTE_ALL_BUDGET = 52


def seed(tenant, count):
    """Production in sync with Development, then ``count`` of each kind of change."""
    content = build_content(tenant.development)
    doomed = [
        WorkflowFactory(environment=tenant.development, name=f"Old {n}", group=content.group)
        for n in range(count)
    ]
    updated = [
        WorkflowFactory(environment=tenant.development, name=f"Kept {n:02}", group=content.group)
        for n in range(count)
    ]
    for workflow in doomed + updated:
        for position in range(3):
            StepFactory(workflow=workflow, position=position, body=f"Hi {position}")
    sync(tenant)
    billing = WorkflowGroupFactory(environment=tenant.development, name="Billing")
    fresh = LayoutFactory(environment=tenant.development, name="Fresh", identifier="fresh")
    # A relink: the same group made separately on each side.
    WorkflowGroupFactory(environment=tenant.development, name="Ops")
    WorkflowGroupFactory(environment=tenant.production, name="Ops")
    for n, workflow in enumerate(updated):
        kind = n % 4
        if kind == 0:  # renamed, with a new identifier
            Workflow.unscoped_across_environments.filter(pk=workflow.pk).update(
                name=f"Renamed {n:02}", identifier=f"renamed-{n}"
            )
        elif kind == 1:  # steps reordered
            first, second, _third = Step.unscoped_across_environments.filter(
                workflow=workflow
            ).order_by("position")
            Step.unscoped_across_environments.filter(pk=first.pk).update(position=1)
            Step.unscoped_across_environments.filter(pk=second.pk).update(position=0)
        elif kind == 2:  # a step edited, with a new variable
            Step.unscoped_across_environments.filter(workflow=workflow, position=0).update(
                body="Hello {{ payload.name }}"
            )
        else:  # references: a new group and a new layout
            Workflow.unscoped_across_environments.filter(pk=workflow.pk).update(group=billing)
            Step.unscoped_across_environments.filter(workflow=workflow, position=0).update(
                channel="email", layout=fresh
            )
    Workflow.unscoped_across_environments.filter(pk__in=[w.pk for w in doomed]).delete()
    for n in range(count):
        WorkflowFactory(environment=tenant.development, name=f"New {n:02}", group=billing)
    rehash(tenant)
    return content


@pytest.mark.parametrize("count", SIZES)
def test_pages_and_fragments_cost_the_same_at_any_size(
    tenant, other_tenant, login, django_assert_max_num_queries, count
):
    seed(tenant, count)
    seed(other_tenant, 2)
    pending = len(ChangeSet(source=tenant.development, target=tenant.production))
    assert pending == 3 * count + 3  # created, updated, deleted workflows; billing, fresh, ops
    client = login(tenant.editor.user)
    for path, budget in BUDGETS.items():
        with django_assert_max_num_queries(budget, info=path):
            response = client.get(tenant.url(tenant.development, path), HTTP_HX_REQUEST="true")
        assert response.status_code == 200, path
    for path in ("changes/", "changes/?page=2"):
        with django_assert_max_num_queries(WARM_PAGE_BUDGET, info=path):
            page = client.get(tenant.url(tenant.development, path)).content.decode()
        assert f"{pending} pending changes" in page


@pytest.mark.parametrize("count", SIZES)
def test_apply_costs_the_same_at_any_size(tenant, login, django_assert_max_num_queries, count):
    seed(tenant, count)
    change = ChangeSet(source=tenant.development, target=tenant.production).page()[0:1][0]
    client = login(tenant.editor.user)
    with django_assert_max_num_queries(APPLY_BUDGET):
        response = client.post(
            tenant.url(tenant.development, "changes/apply/"),
            {"change_id": change.change_id, "fingerprint": change.fingerprint},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200


@pytest.mark.parametrize("count", SIZES)
def test_promote_all_costs_the_same_at_any_size_deletes_included(
    tenant, django_assert_max_num_queries, count
):
    seed(tenant, count)
    with django_assert_max_num_queries(PROMOTE_ALL_BUDGET):
        promotion = changes_promote_all(
            source=tenant.development, actor=tenant.admin.user
        ).promotion
    assert promotion.deleted_count == count
    assert promotion.created_count == count + 2  # and the Billing group, the Fresh layout
    assert len(ChangeSet(source=tenant.development, target=tenant.production)) == 0
