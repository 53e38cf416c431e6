"""Previews: any step rendered with a sample payload the operator edits as JSON; email steps
composed inside their layout with the environment's brand, on a locked-down document URL."""

import json
import re

import pytest
from django.urls import reverse

from branding.models import Brand, Layout
from environments.scoping import environment_scope
from tests.factories import LayoutFactory, StepFactory
from workflows.models import Channel
from workflows.previews import (
    email_compose,
    email_document_id,
    sample_payload_for,
    sms_segments,
)

HTMX = {"HX-Request": "true"}


def _url(tenant, environment, name, *args):
    return reverse(name, args=[tenant.organization.slug, environment.slug, *args])


def _preview(client, tenant, step, payload=None, *, environment=None, headers=None):
    url = _url(
        tenant,
        environment or tenant.development,
        "workflows:step_preview",
        step.workflow_id,
        step.pk,
    )
    if payload is None:
        return client.get(url, headers=headers or {})
    return client.post(url, {"payload": payload}, headers=headers or {})


def test_the_preview_starts_from_a_sample_payload_built_from_the_variables(
    client, login, tenant, content
):
    login(tenant.viewer.user)
    response = _preview(client, tenant, content.in_app, headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div class="preview" id="preview-')
    sample = json.loads(response.context["form"].initial["payload"])
    assert sample == {"order": {"id": 1042}}
    assert "Order #1042 confirmed, Ada" in body


def test_an_in_app_step_renders_with_the_operators_payload(client, login, tenant, content):
    login(tenant.viewer.user)
    response = _preview(client, tenant, content.in_app, '{"order": {"id": "A-77"}}')
    body = response.content.decode()
    assert "Order #A-77 confirmed, Ada" in body
    assert "/orders/A-77" in body
    assert "Activity" in body  # the feed it posts into


def test_invalid_json_gets_a_clear_message(client, login, tenant, content):
    login(tenant.viewer.user)
    body = _preview(client, tenant, content.in_app, '{"order": {"id": 1,}}', headers=HTMX)
    text = body.content.decode()
    # The parser's own wording differs between Python versions; where it points does not.
    assert re.search(r"This is not valid JSON: [^<]+ \(line 1, column (19|20)\)\.", text)
    assert "{&quot;order&quot;: {&quot;id&quot;: 1,}}" in text  # kept for fixing


def test_a_payload_must_be_an_object(client, login, tenant, content):
    login(tenant.viewer.user)
    text = _preview(client, tenant, content.in_app, "[1, 2]").content.decode()
    assert "The payload must be a JSON object" in text


def test_payload_values_are_text_in_the_in_app_preview(client, login, tenant, content):
    login(tenant.viewer.user)
    text = _preview(
        client, tenant, content.in_app, '{"order": {"id": "<img src=x onerror=alert(1)>"}}'
    ).content.decode()
    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_sms_and_chat_previews(client, login, tenant, content):
    sms = StepFactory(workflow=content.workflow, channel=Channel.SMS, body="{{ payload.code }} ok")
    chat = StepFactory(
        workflow=content.workflow, channel=Channel.CHAT, body="Deploy of {{ payload.service }}"
    )
    login(tenant.viewer.user)
    sms_text = _preview(client, tenant, sms, '{"code": "123456"}').content.decode()
    assert "123456 ok" in sms_text and "9 characters · 1 SMS segment" in sms_text
    chat_text = _preview(client, tenant, chat, '{"service": "api"}').content.decode()
    assert "Deploy of api" in chat_text
    assert sms_segments("x" * 161) == 2


def test_a_render_error_is_reported_not_raised(client, login, tenant, content):
    looping = StepFactory(
        workflow=content.workflow,
        channel=Channel.SMS,
        body="{% for i in (1..20000) %}x{% endfor %}",
    )
    login(tenant.viewer.user)
    text = _preview(client, tenant, looping, "{}").content.decode()
    assert "The body could not be rendered." in text


def test_the_email_preview_frames_the_composed_document(client, login, tenant, content):
    login(tenant.viewer.user)
    response = _preview(client, tenant, content.email, '{"order": {"id": 9}, "note": "Soon"}')
    body = response.content.decode()
    assert "Order #9" in body  # the subject
    assert "Transactional" in body  # the default layout, named
    frame_url = response.context["email_document_url"]
    assert f'<iframe class="email-preview__frame" sandbox src="{frame_url}"' in body

    document = client.get(frame_url)
    html = document.content.decode()
    assert document["Content-Type"] == "text/html; charset=utf-8"
    assert '<div class="frame" style="border-color:#ff6600">' in html  # layout with brand colour
    assert "<h1>Thanks Ada</h1><p>Soon</p>" in html  # the step inside it
    csp = document["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'self'" in csp
    assert "script-src" not in csp
    assert "; sandbox" in csp
    assert document["X-Frame-Options"] == "SAMEORIGIN"


def test_email_html_escapes_payload_values(tenant, content):
    with environment_scope(tenant.development):
        html = email_compose(step=content.email, payload={"note": "<script>steal()</script>"})
    assert "<script>" not in html
    assert "&lt;script&gt;steal()&lt;/script&gt;" in html


def test_the_brand_is_applied(tenant, content):
    Brand.unscoped_across_environments.filter(pk=content.brand.pk).update(
        direction="rtl", font_family="Georgia, serif", font_color="#222222"
    )
    content.brand.logo.name = "brand/logo.png"
    Brand.unscoped_across_environments.filter(pk=content.brand.pk).update(logo="brand/logo.png")
    LayoutFactory(
        environment=tenant.development,
        identifier="with-logo",
        html='<img src="{{ brand.logo_url }}" alt="">{{ content }}',
    )
    content.email.layout = Layout.unscoped_across_environments.get(identifier="with-logo")
    with environment_scope(tenant.development):
        html = email_compose(step=content.email, payload={})
    assert '<html dir="rtl">' in html
    assert "font-family:Georgia, serif;color:#222222;" in html
    assert '<img src="/media/brand/logo.png" alt="">' in html


def test_a_step_layout_wins_over_the_default_and_a_missing_layout_falls_back(tenant, content):
    Layout.unscoped_across_environments.filter(pk=content.layout.pk).delete()
    with environment_scope(tenant.development):
        html = email_compose(step=content.email, payload={})
    assert "max-width:600px" in html  # the built-in plain layout
    assert "<h1>Thanks Ada</h1>" in html


def test_the_email_document_is_only_for_email_steps_of_this_environment(
    client, login, tenant, content, other_tenant, other_content
):
    user = tenant.viewer.user
    login(user)
    for environment, step in [
        (tenant.development, content.in_app),
        (other_tenant.development, other_content.email),
    ]:
        with environment_scope(environment):
            document_id = email_document_id(
                environment=environment, step=step, user=user, payload_source="{}"
            )
        url = _url(
            tenant,
            tenant.development,
            "workflows:email_document",
            step.workflow_id,
            step.pk,
            document_id,
        )
        response = client.get(url)
        assert response.status_code == 404
        assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "No such workflow in this environment." in response.content.decode()


def test_production_can_preview_its_copies(client, login, tenant, production_content):
    login(tenant.viewer.user)
    response = _preview(
        client,
        tenant,
        production_content.in_app,
        '{"order": {"id": 5}}',
        environment=tenant.production,
    )
    assert response.status_code == 200
    assert "Order #5 confirmed" in response.content.decode()


@pytest.mark.parametrize(
    ("paths", "payload"),
    [
        (
            ["payload.a.b", "payload.a.c_url"],
            {"a": {"b": "B", "c_url": "https://example.com/c_url"}},
        ),
        (
            ["payload.items", "payload.items[0].sku", "subscriber.firstName"],
            {"items": [{"sku": "Sku"}]},
        ),
        (["payload.order.total"], {"order": {"total": 1042}}),
    ],
)
def test_sample_payloads(paths, payload):
    assert sample_payload_for(paths) == payload


def test_json_that_python_cannot_hold_gets_a_message_not_a_500(client, login, tenant, content):
    login(tenant.viewer.user)
    for payload in ('{"n": ' + "9" * 5000 + "}", "[" * 20000 + "]" * 20000):
        response = _preview(client, tenant, content.in_app, payload, headers=HTMX)
        assert response.status_code == 200
        assert "numbers are too long or it is nested too deeply" in response.content.decode()


def test_a_filter_failing_on_the_payload_is_shown_not_a_500(client, login, tenant, content):
    from workflows.services import step_update

    with environment_scope(tenant.development):
        step_update(
            step=content.in_app, actor=tenant.editor.user, body="{{ payload.n | modulo: 0 }}"
        )
    login(tenant.viewer.user)
    response = _preview(client, tenant, content.in_app, '{"n": 1.5}', headers=HTMX)
    assert response.status_code == 200
    assert "A filter cannot work on this data" in response.content.decode()
