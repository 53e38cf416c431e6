"""A preview's payload travels in the body of a POST, never in a URL: a 100,000-character payload
renders, in Production and for viewers too. The email frame loads the composed document by a
short signed id, valid for ten minutes and only for the person, step and environment it was
made for; otherwise the frame says why and what to do."""

import json
import time
from unittest import mock

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.urls import reverse

from environments.scoping import environment_scope
from tests.factories import MembershipFactory
from workflows.forms import PreviewForm
from workflows.models import Step
from workflows.previews import (
    EMAIL_DOCUMENT_MAX_AGE,
    EmailDocumentGone,
    email_document_id,
    email_document_payload,
)

HTMX = {"HX-Request": "true"}


def _preview_url(tenant, environment, step):
    return reverse(
        "workflows:step_preview",
        args=[tenant.organization.slug, environment.slug, step.workflow_id, step.pk],
    )


def _large_payload(size: int) -> str:
    """A payload of about ``size`` characters whose last value is easy to spot."""
    payload = {"order": {"id": 4242}, "filler": "x" * size, "note": "Wrapped with care"}
    return json.dumps(payload)


@pytest.fixture
def viewer(client, login, tenant):
    login(tenant.viewer.user)
    return client


@pytest.mark.parametrize("size", [5_000, PreviewForm.base_fields["payload"].max_length - 100])
def test_a_large_payload_previews_and_the_frame_url_stays_short(viewer, tenant, content, size):
    payload = _large_payload(size)
    response = viewer.post(
        _preview_url(tenant, tenant.development, content.email), {"payload": payload}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert '<dd data-testid="preview-subject">Order #4242</dd>' in body

    frame_url = response.context["email_document_url"]
    assert len(frame_url) < 300
    assert "filler" not in frame_url and "4242" not in frame_url
    assert f'sandbox src="{frame_url}"' in body
    document = viewer.get(frame_url)
    assert document.status_code == 200
    assert "<p>Wrapped with care</p>" in document.content.decode()


def test_the_payload_waits_in_the_database_shared_by_every_web_process(viewer, tenant, content):
    """A LocMem cache would keep it in the process that rendered the preview; the frame's
    request may reach another one."""
    viewer.post(
        _preview_url(tenant, tenant.development, content.email), {"payload": '{"note": "hi"}'}
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM herald_preview_cache")
        assert cursor.fetchone() == (1,)


def test_viewers_preview_in_production(viewer, tenant, production_content):
    for step, expected in [
        (production_content.in_app, "Order #P-1 confirmed, Ada"),
        (production_content.email, '<dd data-testid="preview-subject">Order #P-1</dd>'),
    ]:
        response = viewer.post(
            _preview_url(tenant, tenant.production, step),
            {"payload": '{"order": {"id": "P-1"}, "note": "From Production"}'},
            headers=HTMX,
        )
        assert response.status_code == 200
        assert expected in response.content.decode()
    frame = viewer.get(response.context["email_document_url"])
    assert "<p>From Production</p>" in frame.content.decode()


def test_without_javascript_the_form_posts_with_its_csrf_token(tenant, production_content):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.viewer.user, backend="django.contrib.auth.backends.ModelBackend")
    url = _preview_url(tenant, tenant.production, production_content.in_app)
    page = client.get(url).content.decode()
    assert (
        f'<form class="preview__payload" method="post" novalidate\n        action="{url}"' in page
    )
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]

    response = client.post(url, {"payload": '{"order": {"id": 8}}', "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert "Order #8 confirmed, Ada" in response.content.decode()
    assert client.post(url, {"payload": "{}"}).status_code == 403  # no token, no preview


def test_a_payload_in_the_url_is_not_read(viewer, tenant, content):
    url = _preview_url(tenant, tenant.development, content.in_app)
    response = viewer.get(url, {"payload": '{"order": {"id": "FROM-URL"}}'})
    body = response.content.decode()
    assert "FROM-URL" not in body
    assert "Order #1042 confirmed, Ada" in body  # the sample payload
    legacy_document = url + 'email/?payload={"order":{}}'
    assert viewer.get(legacy_document).status_code == 404


def test_the_sample_preview_frames_without_storing_anything(viewer, tenant, content):
    response = viewer.get(_preview_url(tenant, tenant.development, content.email))
    document = viewer.get(response.context["email_document_url"])
    assert "<h1>Thanks Ada</h1><p>Note</p>" in document.content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM herald_preview_cache")
        assert cursor.fetchone() == (0,)


def _frame_url(client, tenant, step, payload='{"note": "first"}'):
    response = client.post(_preview_url(tenant, tenant.development, step), {"payload": payload})
    return response.context["email_document_url"]


def _gone(response, message):
    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Frame-Options"] == "SAMEORIGIN"  # shown in the frame, not refused
    assert message in response.content.decode()


def test_the_frame_says_when_its_preview_expired(viewer, tenant, content):
    frame_url = _frame_url(viewer, tenant, content.email)
    later = time.time() + EMAIL_DOCUMENT_MAX_AGE + 1
    with mock.patch("django.core.signing.time.time", return_value=later):
        _gone(viewer.get(frame_url), "This preview has expired. Render the preview again.")


def test_a_newer_preview_replaces_the_older_one(viewer, tenant, content):
    first = _frame_url(viewer, tenant, content.email)
    second = _frame_url(viewer, tenant, content.email, '{"note": "second"}')
    _gone(viewer.get(first), "a newer one replaced it. Render the preview again.")
    assert "<p>second</p>" in viewer.get(second).content.decode()
    caches["previews"].clear()  # evicted (the table is culled when full)
    _gone(viewer.get(second), "This preview has expired or a newer one replaced it.")


def test_the_id_is_the_persons_own(viewer, client, login, tenant, content):
    frame_url = _frame_url(viewer, tenant, content.email)
    login(tenant.editor.user)
    _gone(client.get(frame_url), "This preview link does not belong to this step, environment")


def test_a_damaged_id_is_refused(viewer, tenant, content):
    frame_url = _frame_url(viewer, tenant, content.email)
    _gone(viewer.get(frame_url.replace(":", "x:", 1)), "or it is incomplete.")
    _gone(viewer.get(frame_url[:-5] + "/"), "or it is incomplete.")


def test_the_id_is_bound_to_its_environment_and_step(tenant, content, production_content):
    user = tenant.viewer.user
    with environment_scope(tenant.development):
        document_id = email_document_id(
            environment=tenant.development, step=content.email, user=user, payload_source="{}"
        )
        assert (
            email_document_payload(
                environment=tenant.development,
                step=content.email,
                user=user,
                document_id=document_id,
            )
            == {}
        )
        other_step = Step.objects.get(pk=content.in_app.pk)
        with pytest.raises(EmailDocumentGone):
            email_document_payload(
                environment=tenant.development, step=other_step, user=user, document_id=document_id
            )
    with environment_scope(tenant.production), pytest.raises(EmailDocumentGone):
        # Production's copy of the step, reached with Development's id.
        email_document_payload(
            environment=tenant.production,
            step=production_content.email,
            user=user,
            document_id=document_id,
        )


def test_another_organization_cannot_open_the_frame(
    viewer, client, login, tenant, content, other_tenant, other_content
):
    frame_url = _frame_url(viewer, tenant, content.email)
    # A member of both organizations, with this organization's frame URL moved to the other.
    MembershipFactory(organization=other_tenant.organization, user=tenant.viewer.user)
    elsewhere = frame_url.replace(
        f"/{tenant.organization.slug}/", f"/{other_tenant.organization.slug}/", 1
    )
    _gone(viewer.get(elsewhere), "No such workflow in this environment.")
    # Someone of the other organization only: the organization is not even revealed.
    login(other_tenant.viewer.user)
    assert client.get(frame_url).status_code == 404
