"""The plan of Promote all stays readable and bounded at any size: its first writes and
warnings, with the totals, never a list of every one."""

from changes import services, views
from tests.changes.conftest import rehash
from tests.factories import IntegrationFactory, WorkflowFactory
from workflows.models import Channel, Workflow


def test_the_plan_lists_the_first_writes_and_warnings_with_the_totals(
    tenant, content, login, monkeypatch
):
    monkeypatch.setattr(services, "PLAN_WRITES_SHOWN", 3)
    monkeypatch.setattr(views, "PLAN_WARNINGS_SHOWN", 2)
    for number in range(4):
        WorkflowFactory(environment=tenant.development, name=f"New {number}", group=content.group)
    # Production delivers SMS too, so Receipt's text step is not warned about: the identifiers
    # renamed are the only two warnings.
    IntegrationFactory(
        environment=tenant.production, channel=Channel.SMS, provider_id="twilio", credentials={}
    )
    for workflow in (content.welcome, content.receipt):
        Workflow.unscoped_across_environments.filter(pk=workflow.pk).update(
            identifier=f"{workflow.identifier}-v2"
        )
    rehash(tenant)

    html = login(tenant.editor.user).get(tenant.url(tenant.development, "changes/promote/"))
    html = html.content.decode()

    assert "The 6 writes, in the order they run" in html
    assert html.count('<li><span class="badge') == 3
    assert "… and 3 more, in the same order" in html
    assert html.count('data-testid="plan-warning"') == 2
    assert "Identifier renamed" in html
    assert 'data-testid="plan-more-warnings"' not in html  # two warnings: all shown


def test_more_warnings_than_shown_say_so(tenant, content, login, monkeypatch):
    monkeypatch.setattr(views, "PLAN_WARNINGS_SHOWN", 1)
    for workflow in (content.welcome, content.receipt):
        Workflow.unscoped_across_environments.filter(pk=workflow.pk).update(
            identifier=f"{workflow.identifier}-v2"
        )
    rehash(tenant)

    html = login(tenant.editor.user).get(tenant.url(tenant.development, "changes/promote/"))
    html = html.content.decode()

    assert html.count('data-testid="plan-warning"') == 1
    assert 'data-testid="plan-more-warnings"' in html
    assert "These are the first 1 warnings, in plan order." in html
