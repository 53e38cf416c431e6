"""In-app call-to-action URLs: only http(s) and links within the app. An unsafe literal is
refused on save with a message at the field; an unsafe URL made by Liquid from the payload is
left out of the rendered message, with a message in the preview."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from environments.scoping import environment_scope
from workflows.links import cta_url_problem, cta_url_template_problem
from workflows.models import Step
from workflows.previews import step_preview
from workflows.services import step_update

HTMX = {"HX-Request": "true"}

SAFE = [
    "",
    "/orders/42",
    "/search?q=a%20b&page=2#results",
    "orders/42",
    "?tab=billing",
    "#top",
    "https://example.com",
    "HTTPS://example.com/path?x=1",
    "http://localhost:8000/x",
    "https://user@example.com:8443/",
]

UNSAFE = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x00javascript:alert(1)",
    "java\u200bscript:alert(1)",
    "javascript&colon;alert(1)",
    "javascript&#58;alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "mailto:ada@example.com",
    "//evil.example/path",
    "/\\evil.example/path",
    "\\\\evil.example",
    "https:evil.example",
    "https:///path",
    "https://[::1",
    "/orders/42 ",
    "example.com:80/x",
]


@pytest.mark.parametrize("url", SAFE)
def test_safe_urls_pass(url):
    assert cta_url_problem(url) is None
    assert cta_url_template_problem(url) is None


@pytest.mark.parametrize("url", UNSAFE)
def test_unsafe_urls_are_refused_with_a_reason(url):
    problem = cta_url_problem(url)
    assert problem and problem.endswith(".")
    assert cta_url_template_problem(url) == problem


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ payload.url }}", None),
        ("/orders/{{ payload.order.id }}", None),
        ("https://{{ payload.host }}/x", None),
        ("{% if payload.a %}https://a.example{% else %}/b{% endif %}", None),
        ("javascript:{{ payload.code }}", "“javascript:” links are not allowed"),
        (" javascript:{{ payload.code }}", "a space, a line break or an invisible character"),
        ("DATA:{{ payload.blob }}", "“data:” links are not allowed"),
        ("//{{ payload.host }}/x", "leads to another site"),
        ("/x/{{ payload.id }}\t", "a space, a line break or an invisible character"),
    ],
)
def test_a_template_is_judged_by_its_literal_text(source, expected):
    problem = cta_url_template_problem(source)
    if expected is None:
        assert problem is None
    else:
        assert expected in problem


def test_the_step_form_refuses_an_unsafe_cta_url_at_its_field(client, login, tenant, content):
    login(tenant.editor.user)
    step = content.in_app
    url = reverse(
        "workflows:step_edit",
        args=[tenant.organization.slug, tenant.development.slug, content.workflow.pk, step.pk],
    )
    response = client.post(
        url,
        {
            f"step-{step.pk}-name": "Inbox",
            f"step-{step.pk}-body": "Hi",
            f"step-{step.pk}-cta_url": "javascript:alert(document.cookie)",
            f"step-{step.pk}-active": "on",
        },
        headers=HTMX,
    )
    text = response.content.decode()
    assert "“javascript:” links are not allowed. Use an http(s) URL or a link within" in text
    stored = Step.unscoped_across_environments.get(pk=step.pk)
    assert stored.cta_url == "/orders/{{ payload.order.id }}"


def test_the_service_refuses_it_too(tenant, content):
    with environment_scope(tenant.development), pytest.raises(ValidationError) as refused:
        step_update(step=content.in_app, actor=tenant.editor.user, cta_url="//evil.example")
    assert "leads to another site" in refused.value.message_dict["cta_url"][0]


def test_an_unsafe_rendered_url_is_left_out_of_the_preview(tenant, content):
    Step.unscoped_across_environments.filter(pk=content.in_app.pk).update(
        cta_url="{{ payload.url }}"
    )
    content.in_app.refresh_from_db()
    with environment_scope(tenant.development):
        unsafe = step_preview(step=content.in_app, payload={"url": " javascript:alert(1)"})
        safe = step_preview(step=content.in_app, payload={"url": "https://example.com/a"})
    assert unsafe.cta_url == ""
    assert unsafe.refused_cta_url == "javascript:alert(1)"
    assert "“javascript:” links are not allowed" in unsafe.cta_url_refusal
    assert unsafe.body  # the rest of the message still renders
    assert (safe.cta_url, safe.cta_url_refusal) == ("https://example.com/a", "")


def test_the_preview_says_why_the_cta_is_left_out(client, login, tenant, content):
    Step.unscoped_across_environments.filter(pk=content.in_app.pk).update(
        cta_url="{{ payload.url }}"
    )
    login(tenant.viewer.user)
    url = reverse(
        "workflows:step_preview",
        args=[
            tenant.organization.slug,
            tenant.development.slug,
            content.workflow.pk,
            content.in_app.pk,
        ],
    )
    response = client.post(url, {"payload": '{"url": "data:text/html,<b>x</b>"}'}, headers=HTMX)
    text = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="preview-cta-refused"' in text
    assert "left out: it came out as <code>data:text/html,&lt;b&gt;x&lt;/b&gt;</code>." in text
    assert "“data:” links are not allowed." in text
    assert 'class="inbox-preview__cta"' not in text
