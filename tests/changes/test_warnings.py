"""Warnings before applying; activity data plugs into the new-variables warning."""

from changes import warnings
from changes.diff import ChangeSet
from changes.warnings import VariableUsage
from tests.changes.conftest import opened_page, rehash
from workflows.models import Step


class RecentTriggers:
    """What the activity app will provide: usage of variables in the last 100 triggers."""

    def __init__(self):
        self.asked = []

    def usage(self, *, environment, workflow_identifier, variables):
        self.asked.append((environment.name, workflow_identifier, variables))
        return {"payload.orderId": VariableUsage(carried=37, sampled=100)}


def test_new_variables_with_activity_data_plugged_in(tenant, content, login, monkeypatch):
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(
        subject="Order {{ payload.orderId }} for {{ payload.customer.name }}"
    )
    rehash(tenant)
    recent = RecentTriggers()
    monkeypatch.setattr(warnings, "trigger_variable_usage", recent)

    html = opened_page(login(tenant.editor.user), tenant.url(tenant.development, "changes/"))

    assert recent.asked == [("Production", "welcome", ["payload.customer.name", "payload.orderId"])]
    assert "This change adds variables: <code>payload.customer.name</code>" in html
    assert "(carried by 37 of the last 100 Production triggers)" in html
    assert "Make sure the code that sends them is deployed to Production first." in html


def test_no_activity_data_yet_says_only_what_changed(tenant, content):
    Step.unscoped_across_environments.filter(pk=content.steps[0].pk).update(
        body="Hi {{ subscriber.firstName }}, {{ payload.orderId }}"
    )
    rehash(tenant)
    [change] = ChangeSet.compute(source=tenant.development, target=tenant.production).changes
    [warning] = change.warnings
    assert warning.variables == [("payload.orderId", None)]


def test_an_invalid_template_adds_no_variables_and_no_error(tenant, content):
    Step.unscoped_across_environments.filter(pk=content.steps[0].pk).update(body="{{ oops ")
    rehash(tenant)
    [change] = ChangeSet.compute(source=tenant.development, target=tenant.production).changes
    assert change.warnings == []
