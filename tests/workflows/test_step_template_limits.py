"""A step is saved only with templates that a render could run: the literal limits of
``template_problem`` apply when operators save steps, with the line to fix."""

import pytest
from django.core.exceptions import ValidationError

from environments.scoping import environment_scope
from workflows.models import Step
from workflows.services import step_update


def test_a_step_whose_template_could_never_render_is_not_saved(tenant, content):
    step = content.in_app
    body = "Hi\n{% if (1..999999999) contains payload.x %}yes{% endif %}"
    with environment_scope(tenant.development), pytest.raises(ValidationError) as raised:
        step_update(step=step, actor=tenant.editor.user, body=body)
    assert raised.value.message_dict["body"] == [
        "Line 2: the range (1..999999999) has 999,999,999 numbers; at most 100,000 are allowed "
        "(at “{% if (1..999999999) contains payload.x %}yes{% endif %}”)"
    ]
    assert Step.unscoped_across_environments.get(pk=step.pk).body != body
