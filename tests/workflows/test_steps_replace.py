"""Replacing a workflow's steps as a whole (the API's ``steps``): validated like the editor,
all or nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from environments.scoping import environment_scope
from workflows.models import Channel, Step
from workflows.services import StepContent, workflow_steps_replace


def steps_of(workflow):
    return list(Step.unscoped_across_environments.filter(workflow=workflow).order_by("position"))


def test_listed_steps_are_kept_new_ones_added_and_the_rest_removed(tenant, content):
    with environment_scope(tenant.development):
        saved = workflow_steps_replace(
            workflow=content.workflow,
            steps=[
                StepContent(
                    channel=Channel.EMAIL,
                    values={"subject": "New subject"},
                    public_id=content.email.public_id,
                ),
                StepContent(channel=Channel.SMS, values={"name": "Text", "body": "Hi"}),
            ],
            actor=tenant.editor.user,
        )

    email, sms = steps_of(content.workflow)
    assert saved == [email, sms]
    assert (email.pk, email.position, email.subject) == (content.email.pk, 0, "New subject")
    assert email.body == content.email.body
    assert (sms.channel, sms.name, sms.body, sms.active, sms.position) == (
        Channel.SMS,
        "Text",
        "Hi",
        True,
        1,
    )
    assert not Step.unscoped_across_environments.filter(pk=content.in_app.pk).exists()
    content.workflow.refresh_from_db()
    assert content.workflow.updated_by == tenant.editor.user


def test_every_problem_is_reported_and_nothing_is_saved(tenant, content):
    before = [(step.pk, step.body) for step in steps_of(content.workflow)]

    with environment_scope(tenant.development), pytest.raises(ValidationError) as refused:
        workflow_steps_replace(
            workflow=content.workflow,
            steps=[
                StepContent(channel=Channel.SMS, values={"name": "Fine", "body": "ok"}),
                StepContent(channel=Channel.SMS, values={"name": "Bad", "body": "{% if %}"}),
                StepContent(
                    channel=Channel.SMS, values={"body": "x"}, public_id=content.in_app.public_id
                ),
                StepContent(channel="push", values={"name": "Push"}),
                StepContent(channel=Channel.SMS, values={"body": "no name"}),
            ],
            actor=tenant.editor.user,
        )

    assert set(refused.value.message_dict) == {
        "steps[1].body",
        "steps[2].channel",
        "steps[3].channel",
        "steps[4].name",
    }
    assert refused.value.message_dict["steps[1].body"][0].startswith("Line 1:")
    assert [(step.pk, step.body) for step in steps_of(content.workflow)] == before


def test_a_step_of_another_workflow_is_not_this_workflows(tenant, content, production_content):
    with environment_scope(tenant.development), pytest.raises(ValidationError) as refused:
        workflow_steps_replace(
            workflow=content.workflow,
            steps=[
                StepContent(
                    channel=Channel.IN_APP,
                    values={},
                    public_id=production_content.in_app.public_id,
                )
            ],
            actor=tenant.editor.user,
        )
    assert list(refused.value.message_dict) == ["steps[0].public_id"]


def test_viewers_and_read_only_environments_are_refused(tenant, content, production_content):
    with environment_scope(tenant.development), pytest.raises(PermissionDenied):
        workflow_steps_replace(workflow=content.workflow, steps=[], actor=tenant.viewer.user)
    with environment_scope(tenant.production), pytest.raises(PermissionDenied):
        workflow_steps_replace(
            workflow=production_content.workflow, steps=[], actor=tenant.admin.user
        )
    assert len(steps_of(content.workflow)) == len(steps_of(production_content.workflow)) == 2
