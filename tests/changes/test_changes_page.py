"""The Changes page: the pair, rows, diffs, filter, pagination, plan and the sidebar count."""

import pytest

from changes.models import Promotion
from tests.changes.conftest import opened_page, rehash
from tests.factories import FeedFactory, LayoutFactory, StepFactory, WorkflowFactory
from workflows.models import Step, Workflow


def test_empty_state_says_in_sync(tenant, content, login):
    page = login(tenant.viewer.user).get(tenant.url(tenant.development, "changes/"))
    html = page.content.decode()
    assert "Development and Production are in sync" in html
    assert 'data-testid="change-pair"' in html


def test_rows_show_type_name_action_summary_and_diff(tenant, content, login):
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(subject="Hi there")
    Workflow.unscoped_across_environments.filter(pk=content.receipt.pk).delete()
    rehash(tenant)
    FeedFactory(environment=tenant.development, name="Billing", identifier="billing")
    client = login(tenant.editor.user)

    html = opened_page(client, tenant.url(tenant.development, "changes/"))

    assert 'Development <span aria-label="into">→</span>' in html
    assert "3 pending changes" in html
    assert "1 created, 1 updated, 1 deleted" in html
    assert html.count('data-testid="change-row"') == 3
    for badge in ("created", "updated", "deleted"):
        assert (
            f'<span class="badge badge--{badge}" data-testid="change-action">{badge}</span>' in html
        )
    assert "subject, 1 step" in html
    assert "Welcome aboard" in html and "Hi there" in html  # old and new subject in the diff
    assert f"/workflows/{content.welcome.pk}/" in html  # the name links to the entity
    assert 'Promote all changes <span class="button__count">3</span>' in html
    assert 'id="changes-count"' in html and ">3</span>" in html


def test_type_filter_and_pagination_keep_promote_meaning_all(tenant, content, login):
    for number in range(30):
        WorkflowFactory(
            environment=tenant.development, name=f"Flow {number:02}", group=content.group
        )
    LayoutFactory(environment=tenant.development, name="Plain", identifier="plain")
    client = login(tenant.editor.user)

    first = client.get(tenant.url(tenant.development, "changes/")).content.decode()
    assert first.count('data-testid="change-row"') == 25
    assert "Page 1 of 2" in first
    assert 'Promote all changes <span class="button__count">31</span>' in first
    layouts = client.get(tenant.url(tenant.development, "changes/?type=layout")).content.decode()
    assert layouts.count('data-testid="change-row"') == 1
    assert "Plain" in layouts and "Flow 00" not in layouts


def test_promote_all_asks_for_confirmation_with_the_plan(tenant, content, login):
    layout = LayoutFactory(environment=tenant.development, name="Receipt", identifier="receipt-l")
    Step.unscoped_across_environments.filter(workflow=content.receipt).update(
        layout=layout, body="Paid {{ payload.orderId }}"
    )
    rehash(tenant)
    FeedFactory(environment=tenant.development, name="Billing", identifier="billing")
    client = login(tenant.editor.user)

    plan = client.get(tenant.url(tenant.development, "changes/promote/")).content.decode()

    assert "2 created, 1 updated, 0 deleted" in plan
    assert "This change adds variables: payload.orderId" in plan
    assert Promotion.objects.count() == 1  # the dry run wrote nothing
    fingerprint = plan.split('name="plan_fingerprint" value="')[1].split('"')[0]
    response = client.post(
        tenant.url(tenant.development, "changes/promote/"),
        {"plan_fingerprint": fingerprint},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Redirect"].endswith("/development/changes/")
    page = client.get(tenant.url(tenant.development, "changes/")).content.decode()
    assert "Promoted 3 changes to Production" in page
    assert "Development and Production are in sync" in page


def test_a_plan_edited_after_review_is_refused(tenant, content, login):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    client = login(tenant.editor.user)
    plan = client.get(tenant.url(tenant.development, "changes/promote/")).content.decode()
    fingerprint = plan.split('name="plan_fingerprint" value="')[1].split('"')[0]
    Workflow.unscoped_across_environments.filter(pk=content.receipt.pk).update(name="Paid")
    rehash(tenant)

    response = client.post(
        tenant.url(tenant.development, "changes/promote/"), {"plan_fingerprint": fingerprint}
    )

    assert response.status_code == 409
    assert "edited after you reviewed the plan" in response.content.decode()
    assert "0 created, 2 updated, 0 deleted" in response.content.decode()
    assert Promotion.objects.count() == 1


@pytest.mark.parametrize("form", [{}, {"plan_fingerprint": ""}])
def test_promote_all_without_the_reviewed_plan_is_refused(tenant, content, login, form):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    client = login(tenant.editor.user)

    response = client.post(tenant.url(tenant.development, "changes/promote/"), form)

    assert response.status_code == 409
    html = response.content.decode()
    assert "Review the plan below, then confirm it. Nothing was applied." in html
    assert 'name="plan_fingerprint"' in html  # the plan is shown again, to be confirmed
    assert "0 created, 1 updated, 0 deleted" in html
    assert Promotion.objects.count() == 1  # only the fixture's sync
    assert (
        Workflow.unscoped_across_environments.get(
            environment=tenant.production, origin_id=content.welcome.origin_id
        ).name
        == "Welcome"
    )


def test_the_sidebar_count_endpoint(tenant, content, login):
    StepFactory(workflow=content.welcome, name="Extra")
    client = login(tenant.viewer.user)
    badge = client.get(tenant.url(tenant.development, "changes/count/")).content.decode()
    assert 'id="changes-count"' in badge and ">1</span>" in badge
    assert 'hx-trigger="changes-updated from:body"' in badge
    overview = client.get(tenant.url(tenant.development, "")).content.decode()
    assert 'hx-trigger="load, changes-updated from:body"' in overview


def test_history_lists_promotions_and_the_detail_shows_diffs(tenant, content, login):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    client = login(tenant.editor.user)
    plan = client.get(tenant.url(tenant.development, "changes/promote/")).content.decode()
    fingerprint = plan.split('name="plan_fingerprint" value="')[1].split('"')[0]
    client.post(
        tenant.url(tenant.development, "changes/promote/"), {"plan_fingerprint": fingerprint}
    )
    history = client.get(tenant.url(tenant.development, "changes/history/")).content.decode()
    assert history.count("Promote all") == 2  # the fixture's sync and this one
    newest = Promotion.objects.order_by("-pk").first()
    detail = client.get(
        tenant.url(tenant.development, f"changes/history/{newest.pk}/")
    ).content.decode()
    assert "Welcome" in detail and "Hello" in detail
    assert "0 created, 1 updated, 0 deleted" in detail
