"""Step and workflow content has a maximum length, refused with a message at the field, so no
one can store content that every page showing it must carry."""

from django.urls import reverse

from workflows.models import Step, Workflow

TOO_LONG_BODY = "x" * 50_001


def _url(tenant, name, *args):
    return reverse(name, args=[tenant.organization.slug, tenant.development.slug, *args])


def test_a_step_body_over_50000_characters_is_refused_at_the_field(client, login, tenant, content):
    login(tenant.editor.user)
    step = content.in_app
    response = client.post(
        _url(tenant, "workflows:step_edit", content.workflow.pk, step.pk),
        {f"step-{step.pk}-name": "Inbox", f"step-{step.pk}-body": TOO_LONG_BODY},
    )

    body = response.content.decode()
    assert response.status_code == 200
    body_field = body.index(f'name="step-{step.pk}-body"')
    error = body.index('class="field__error"', body_field)
    assert (
        "Ensure this value has at most 50000 characters (it has 50001)."
        in body[error : error + 300]
    )
    assert 'maxlength="50000"' in body[body_field - 300 : body_field + 300]
    step.refresh_from_db()
    assert step.body == "Order #{{ payload.order.id }} confirmed, {{ subscriber.firstName }}"


def test_a_new_step_with_a_body_over_the_maximum_is_not_created(client, login, tenant, content):
    login(tenant.editor.user)
    response = client.post(
        _url(tenant, "workflows:step_add", content.workflow.pk),
        {"channel": "sms", "new-step-name": "Text", "new-step-body": TOO_LONG_BODY},
    )

    assert "Ensure this value has at most 50000 characters (it has 50001)." in (
        response.content.decode()
    )
    assert Step.unscoped_across_environments.filter(workflow=content.workflow).count() == 2


def _create_workflow(client, tenant, content, **fields):
    return client.post(
        _url(tenant, "workflows:create"),
        {"name": "Digest", "identifier": "", "group": content.group.pk, **fields},
    )


def test_a_description_over_2000_characters_is_refused(client, login, tenant, content):
    login(tenant.editor.user)
    response = _create_workflow(client, tenant, content, description="d" * 2_001)

    assert response.status_code == 200
    assert "Ensure this value has at most 2000 characters (it has 2001)." in (
        response.content.decode()
    )
    assert not Workflow.unscoped_across_environments.filter(identifier="digest").exists()


def test_tags_are_at_most_20_of_at_most_50_characters(client, login, tenant, content):
    login(tenant.editor.user)
    many = ", ".join(f"tag{number}" for number in range(21))
    response = _create_workflow(client, tenant, content, tags=many)
    assert "Use at most 20 tags; this has 21." in response.content.decode()

    response = _create_workflow(client, tenant, content, tags=f"billing, {'t' * 51}")
    assert f"Keep each tag to 50 characters; “{'t' * 20}…” has 51." in response.content.decode()
    assert not Workflow.unscoped_across_environments.filter(identifier="digest").exists()

    response = _create_workflow(client, tenant, content, tags=", ".join(["t" * 50] * 2 + ["a"]))
    assert response.status_code == 302
    assert Workflow.unscoped_across_environments.get(identifier="digest").tags == ["t" * 50, "a"]
