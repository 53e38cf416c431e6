"""Query counts do not grow with the number of changes: documents load in bulk."""

import pytest

from changes.services import changes_promote_all
from tests.factories import StepFactory, WorkflowFactory, WorkflowGroupFactory

# The warnings read the target once per page: its sampled workflows and its integrations; the
# counts read the change stamps, and store what they counted under them.
PAGE_QUERIES = 26
PROMOTE_QUERIES = 30


def seed(tenant, count):
    group = WorkflowGroupFactory(environment=tenant.development, name="General")
    for number in range(count):
        workflow = WorkflowFactory(
            environment=tenant.development, name=f"Flow {number}", group=group
        )
        for position in range(3):
            StepFactory(
                workflow=workflow, position=position, body=f"Hi {{{{ payload.v{number} }}}}"
            )


@pytest.mark.parametrize("count", [3, 40])
def test_the_changes_page_queries_are_constant(
    tenant, other_tenant, login, django_assert_max_num_queries, count
):
    seed(tenant, count)
    seed(other_tenant, 2)
    client = login(tenant.editor.user)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(tenant.url(tenant.development, "changes/"))
    assert f"{count + 1} pending changes" in response.content.decode()
    with django_assert_max_num_queries(PAGE_QUERIES):
        client.get(tenant.url(tenant.development, "changes/promote/"))


@pytest.mark.parametrize("count", [3, 40])
def test_promote_all_queries_are_constant(tenant, django_assert_max_num_queries, count):
    seed(tenant, count)
    with django_assert_max_num_queries(PROMOTE_QUERIES):
        result = changes_promote_all(source=tenant.development, actor=tenant.admin.user)
    assert result.promotion.created_count == count + 1
