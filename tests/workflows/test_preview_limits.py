"""A preview of a template that runs away reports the limit it reached, as the send will."""

import pytest

from environments.scoping import environment_scope
from tests.factories import StepFactory
from workflows.liquid import RenderLimitExceeded
from workflows.models import Channel, Step
from workflows.previews import email_compose, step_preview

EXPLODING_JOIN = '{{ payload.a | split: "" | join: payload.a | size }}'


def test_a_runaway_body_is_the_previews_problem(tenant, content):
    step = StepFactory(workflow=content.workflow, channel=Channel.SMS, body=EXPLODING_JOIN)
    preview = step_preview(step=step, payload={"a": "x" * 2_000})
    assert preview.problem_field == "body"
    assert str(preview.problem).startswith(
        "Line 1: “join” would build up to 4,000,000 characters of text; the limit is 1,000,000"
    )


def test_a_runaway_email_body_is_not_composed(tenant, content):
    Step.unscoped_across_environments.filter(pk=content.email.pk).update(body=EXPLODING_JOIN)
    content.email.refresh_from_db()
    with environment_scope(tenant.development), pytest.raises(RenderLimitExceeded) as raised:
        email_compose(step=content.email, payload={"a": "x" * 2_000})
    assert "“join” would build up to" in str(raised.value)
