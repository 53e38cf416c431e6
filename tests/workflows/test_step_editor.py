"""The editor: steps are added, edited, reordered and removed over htmx (and without it), a
template that does not parse is reported at its step and field and nothing is saved, and every
change stamps the workflow."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from workflows.models import Step, Workflow

HTMX = {"HX-Request": "true"}


def _url(tenant, name, *args):
    return reverse(name, args=[tenant.organization.slug, tenant.development.slug, *args])


@pytest.fixture
def editor(client, login, tenant):
    login(tenant.editor.user)
    return client


def _age_workflow(workflow):
    long_ago = timezone.now() - timedelta(days=3)
    Workflow.unscoped_across_environments.filter(pk=workflow.pk).update(
        updated_at=long_ago, updated_by=None
    )
    return long_ago


def _assert_stamped(workflow, tenant, long_ago):
    workflow = Workflow.unscoped_across_environments.get(pk=workflow.pk)
    assert workflow.updated_by == tenant.editor.user
    assert workflow.updated_at > long_ago


def _steps(workflow):
    return list(
        Step.unscoped_across_environments.filter(workflow=workflow)
        .order_by("position")
        .values_list("name", "position")
    )


def test_the_editor_lists_steps_with_their_variables(editor, tenant, content):
    response = editor.get(_url(tenant, "workflows:detail", content.workflow.pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("Inbox") < body.index("Receipt")
    for variable in ["payload.order.id", "subscriber.firstName", "payload.note"]:
        assert f">{variable}</code>" in body


def test_adding_a_step_over_htmx_returns_the_steps_with_the_new_one(editor, tenant, content):
    long_ago = _age_workflow(content.workflow)
    response = editor.post(
        _url(tenant, "workflows:step_add", content.workflow.pk),
        {
            "channel": "sms",
            "new-step-name": "Text them",
            "new-step-body": "Code {{ payload.code }}",
            "new-step-active": "on",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="steps"')
    assert "Text them" in body and ">payload.code</code>" in body
    assert response["HX-Trigger"] == "changes-updated"  # the sidebar count refreshes
    assert _steps(content.workflow) == [("Inbox", 0), ("Receipt", 1), ("Text them", 2)]
    _assert_stamped(content.workflow, tenant, long_ago)


def test_the_new_step_form_comes_as_a_fragment_or_as_a_page(editor, tenant, content):
    url = _url(tenant, "workflows:step_add", content.workflow.pk)
    fragment = editor.get(url, {"channel": "email"}, headers=HTMX).content.decode()
    assert fragment.lstrip().startswith('<section id="steps"')
    assert 'name="new-step-subject"' in fragment
    page = editor.get(url, {"channel": "email"}).content.decode()
    assert "<html" in page and 'name="new-step-subject"' in page
    assert "hx-post" not in page.split('<main id="content"')[1]


def test_without_javascript_a_step_is_added_by_a_plain_post(editor, tenant, content):
    response = editor.post(
        _url(tenant, "workflows:step_add", content.workflow.pk),
        {"channel": "chat", "new-step-name": "Ping", "new-step-body": "Deploy failed"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(_url(tenant, "workflows:detail", content.workflow.pk))
    assert ("Ping", 2) in _steps(content.workflow)


def test_a_syntax_error_is_shown_at_its_step_and_field_and_nothing_is_saved(
    editor, tenant, content
):
    step = content.email
    long_ago = _age_workflow(content.workflow)
    response = editor.post(
        _url(tenant, "workflows:step_edit", content.workflow.pk, step.pk),
        {
            f"step-{step.pk}-name": "Receipt v2",
            f"step-{step.pk}-subject": "Order {{ payload.order.id }}",
            f"step-{step.pk}-body": "<h1>Hi</h1>\n<p>{% if payload.vip %}VIP</p>",
        },
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved" in body
    # The error sits in this step's form, right after its body field, with line and message.
    form_start = body.index(f'id="step-{step.pk}"')
    body_field = body.index(f'name="step-{step.pk}-body"', form_start)
    error = body.index('class="field__error"', body_field)
    assert "Line 2:" in body[error : error + 300]
    assert "never closed with {% endif %}" in body[error : error + 300]
    # The operator's text is kept in the form so they can fix it.
    assert "{% if payload.vip %}VIP" in body
    step.refresh_from_db()
    assert step.name == "Receipt"
    assert step.body == "<h1>Thanks {{ subscriber.firstName }}</h1><p>{{ payload.note }}</p>"
    assert Workflow.unscoped_across_environments.get(pk=content.workflow.pk).updated_at == long_ago


def test_a_bad_subject_is_reported_on_the_subject(editor, tenant, content):
    step = content.email
    response = editor.post(
        _url(tenant, "workflows:step_edit", content.workflow.pk, step.pk),
        {
            f"step-{step.pk}-name": "Receipt",
            f"step-{step.pk}-subject": "Order {{ payload.order.id | nope }}",
            f"step-{step.pk}-body": "<p>ok</p>",
        },
    )
    body = response.content.decode()
    subject = body.index(f'name="step-{step.pk}-subject"')
    assert "Line 1: unknown filter &#x27;nope&#x27;" in body[subject : subject + 900]
    step.refresh_from_db()
    assert step.body != "<p>ok</p>"


def test_a_new_step_with_an_error_is_not_created(editor, tenant, content):
    response = editor.post(
        _url(tenant, "workflows:step_add", content.workflow.pk),
        {"channel": "in_app", "new-step-name": "Bad", "new-step-body": "{{ payload.x "},
        headers=HTMX,
    )
    assert "Line 1: expected &#x27;}}&#x27;" in response.content.decode()
    assert len(_steps(content.workflow)) == 2


def test_editing_a_step_saves_it_and_stamps_the_workflow(editor, tenant, content):
    step = content.in_app
    long_ago = _age_workflow(content.workflow)
    response = editor.post(
        _url(tenant, "workflows:step_edit", content.workflow.pk, step.pk),
        {
            f"step-{step.pk}-name": "Inbox item",
            f"step-{step.pk}-body": "New body {{ payload.x.y }}",
            f"step-{step.pk}-cta_url": "",
            f"step-{step.pk}-feed": "",
            f"step-{step.pk}-active": "on",
        },
        headers=HTMX,
    )
    assert ">payload.x.y</code>" in response.content.decode()
    step.refresh_from_db()
    assert (step.name, step.body, step.feed_id) == (
        "Inbox item",
        "New body {{ payload.x.y }}",
        None,
    )
    _assert_stamped(content.workflow, tenant, long_ago)


def test_steps_move_up_and_down_and_stay_put_at_the_ends(editor, tenant, content):
    move = _url(tenant, "workflows:step_move", content.workflow.pk, content.email.pk)
    long_ago = _age_workflow(content.workflow)
    response = editor.post(move, {"direction": "up"}, headers=HTMX)
    body = response.content.decode()
    assert body.index("Receipt") < body.index("Inbox")
    assert _steps(content.workflow) == [("Receipt", 0), ("Inbox", 1)]
    _assert_stamped(content.workflow, tenant, long_ago)

    editor.post(move, {"direction": "up"})
    assert _steps(content.workflow) == [("Receipt", 0), ("Inbox", 1)]
    response = editor.post(move, {"direction": "down"})
    assert response.status_code == 302
    assert _steps(content.workflow) == [("Inbox", 0), ("Receipt", 1)]


def test_removing_a_step_renumbers_the_others(editor, tenant, content):
    long_ago = _age_workflow(content.workflow)
    url = _url(tenant, "workflows:step_delete", content.workflow.pk, content.in_app.pk)
    confirmation = editor.get(url).content.decode()
    assert "Remove the step “Inbox”?" in confirmation
    response = editor.post(url, headers=HTMX)
    assert "Inbox" not in response.content.decode().split("Add a step")[0]
    assert _steps(content.workflow) == [("Receipt", 0)]
    _assert_stamped(content.workflow, tenant, long_ago)


def test_a_step_keeps_only_its_channels_fields(editor, tenant, content):
    """An SMS step never carries a subject, a layout or a feed posted along with it."""
    editor.post(
        _url(tenant, "workflows:step_add", content.workflow.pk),
        {
            "channel": "sms",
            "new-step-name": "SMS",
            "new-step-body": "Hi",
            "new-step-subject": "ignored",
            "new-step-feed": content.feed.pk,
        },
    )
    step = Step.unscoped_across_environments.get(workflow=content.workflow, name="SMS")
    assert (step.subject, step.feed_id, step.layout_id) == ("", None, None)


def test_steps_of_another_organization_are_not_reachable(
    editor, tenant, content, other_tenant, other_content
):
    url = _url(tenant, "workflows:step_edit", other_content.workflow.pk, other_content.email.pk)
    assert editor.get(url).status_code == 404
    assert editor.post(url, {}).status_code == 404
    # Nor is a step of another workflow through this workflow's URL.
    mixed = _url(tenant, "workflows:step_edit", content.workflow.pk, other_content.email.pk)
    assert editor.get(mixed).status_code == 404


def test_workflow_deletion_asks_first(editor, tenant, content):
    url = _url(tenant, "workflows:delete", content.workflow.pk)
    confirmation = editor.get(url).content.decode()
    assert "Delete “Order confirmation”?" in confirmation
    assert "2 steps" in confirmation
    assert Workflow.unscoped_across_environments.filter(pk=content.workflow.pk).exists()
    response = editor.post(url)
    assert response.status_code == 302
    assert not Workflow.unscoped_across_environments.filter(pk=content.workflow.pk).exists()
    assert not Step.unscoped_across_environments.filter(workflow_id=content.workflow.pk).exists()
