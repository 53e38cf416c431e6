"""Production is read-only and viewers only read: every write of the workflows area is refused
on the server (views and services), nothing changes, and read pages render no edit controls."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import resolve, reverse

from environments.policy import Write
from environments.scoping import environment_scope
from workflows import services
from workflows.models import Channel, Feed, Step, Workflow, WorkflowGroup


def _url(tenant, environment, name, *args):
    return reverse(name, args=[tenant.organization.slug, environment.slug, *args])


def write_requests(tenant, environment, content):
    """(name, url, form data) for every writing view of the area."""
    workflow, step, group = content.workflow, content.email, content.group
    return [
        (
            "workflow create",
            _url(tenant, environment, "workflows:create"),
            {"name": "Shipped", "identifier": "shipped", "group": group.pk},
        ),
        (
            "workflow settings",
            _url(tenant, environment, "workflows:detail", workflow.pk),
            {"name": "Renamed", "identifier": "renamed", "group": group.pk, "active": "on"},
        ),
        ("workflow delete", _url(tenant, environment, "workflows:delete", workflow.pk), {}),
        (
            "step add",
            _url(tenant, environment, "workflows:step_add", workflow.pk),
            {"channel": "sms", "new-step-name": "SMS", "new-step-body": "Hi"},
        ),
        (
            "step edit",
            _url(tenant, environment, "workflows:step_edit", workflow.pk, step.pk),
            {
                f"step-{step.pk}-name": "Changed",
                f"step-{step.pk}-subject": "Changed",
                f"step-{step.pk}-body": "Changed",
            },
        ),
        (
            "step move",
            _url(tenant, environment, "workflows:step_move", workflow.pk, step.pk),
            {"direction": "up"},
        ),
        (
            "step delete",
            _url(tenant, environment, "workflows:step_delete", workflow.pk, step.pk),
            {},
        ),
        ("group create", _url(tenant, environment, "workflow_groups:create"), {"name": "New"}),
        (
            "group rename",
            _url(tenant, environment, "workflow_groups:edit", content.spare_group.pk),
            {"name": "Renamed"},
        ),
        (
            "group delete",
            _url(tenant, environment, "workflow_groups:delete", content.spare_group.pk),
            {},
        ),
        (
            "feed create",
            _url(tenant, environment, "feeds:create"),
            {"name": "New", "identifier": "new"},
        ),
        (
            "feed edit",
            _url(tenant, environment, "feeds:edit", content.feed.pk),
            {"name": "Renamed", "identifier": "renamed"},
        ),
        ("feed delete", _url(tenant, environment, "feeds:delete", content.feed.pk), {}),
    ]


WRITE_NAMES = [
    "workflow create",
    "workflow settings",
    "workflow delete",
    "step add",
    "step edit",
    "step move",
    "step delete",
    "group create",
    "group rename",
    "group delete",
    "feed create",
    "feed edit",
    "feed delete",
]


def snapshot(environment):
    """Every field of every row of the area in ``environment``."""
    return {
        model.__name__: sorted(
            model.unscoped_across_environments.filter(environment=environment).values_list(),
            key=str,
        )
        for model in (Workflow, Step, WorkflowGroup, Feed)
    }


def _request(tenant, environment, content, name):
    return next(item for item in write_requests(tenant, environment, content) if item[0] == name)


READ_ONLY_VIEWS = {
    "workflows:index",
    "workflows:step_preview",
    "workflows:email_document",
    "workflow_groups:index",
    "feeds:index",
}


def test_every_routed_view_is_either_guarded_and_tested_here_or_only_reads(tenant, content):
    """A new view of the area fails this until it is guarded and added to the list above."""
    from workflows.urls import feed_urlpatterns, group_urlpatterns, urlpatterns

    guarded, unguarded = set(), set()
    for namespace, patterns in [
        ("workflows", urlpatterns),
        (group_urlpatterns[1], group_urlpatterns[0]),
        (feed_urlpatterns[1], feed_urlpatterns[0]),
    ]:
        for pattern in patterns:
            name = f"{namespace}:{pattern.name}"
            if getattr(pattern.callback, "write_kind", None) is Write.CONTENT:
                guarded.add(name)
            else:
                unguarded.add(name)
    tested = {
        resolve(url).view_name for _, url, _ in write_requests(tenant, tenant.development, content)
    }
    assert unguarded == READ_ONLY_VIEWS
    assert tested == guarded


@pytest.mark.parametrize("name", WRITE_NAMES)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_write_is_refused_in_production(
    client, login, tenant, production_content, content, name, htmx
):
    login(tenant.admin.user)
    before = snapshot(tenant.production)
    development_before = snapshot(tenant.development)
    _, url, data = _request(tenant, tenant.production, production_content, name)
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.post(url, data, headers=headers)

    assert response.status_code == 403, name
    assert "Production is read-only" in response.content.decode()
    if htmx:
        assert response["HX-Retarget"] == "#messages"
    assert snapshot(tenant.production) == before
    assert snapshot(tenant.development) == development_before


@pytest.mark.parametrize("name", WRITE_NAMES)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_write_is_refused_to_a_viewer(client, login, tenant, content, name, htmx):
    login(tenant.viewer.user)
    before = snapshot(tenant.development)
    _, url, data = _request(tenant, tenant.development, content, name)
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.post(url, data, headers=headers)

    assert response.status_code == 403, name
    assert "Your role can read this content but not change it" in response.content.decode()
    assert snapshot(tenant.development) == before


EDIT_PAGES = [
    ("workflows:create", lambda content: []),
    ("workflows:delete", lambda content: [content.workflow.pk]),
    ("workflows:step_edit", lambda content: [content.workflow.pk, content.email.pk]),
    ("workflows:step_delete", lambda content: [content.workflow.pk, content.email.pk]),
    ("workflow_groups:edit", lambda content: [content.spare_group.pk]),
    ("workflow_groups:delete", lambda content: [content.spare_group.pk]),
    ("feeds:edit", lambda content: [content.feed.pk]),
    ("feeds:delete", lambda content: [content.feed.pk]),
]


@pytest.mark.parametrize(("name", "args"), EDIT_PAGES, ids=[name for name, _ in EDIT_PAGES])
def test_edit_forms_are_not_even_shown_in_production(
    client, login, tenant, production_content, name, args
):
    login(tenant.admin.user)
    response = client.get(_url(tenant, tenant.production, name, *args(production_content)))
    assert response.status_code == 403
    assert '<form method="post"' not in _main(response)


def test_the_step_form_is_not_shown_in_production(client, login, tenant, production_content):
    login(tenant.admin.user)
    url = _url(tenant, tenant.production, "workflows:step_add", production_content.workflow.pk)
    response = client.get(url, {"channel": "sms"})
    assert response.status_code == 403


def _main(response) -> str:
    """The page's main content, without the shell (whose log-out form is a POST form)."""
    body = response.content.decode()
    start = body.find('<main id="content"')
    return body[start:] if start >= 0 else body


EDIT_CONTROL_MARKERS = [
    'method="post"',
    "hx-post",
    "New workflow",
    "Add a step",
    "Save settings",
    ">Edit<",
    ">Remove<",
    "Delete",
    "Rename",
    "Create group",
    "Create feed",
    "Move “",
]


PREVIEW_FORM = re.compile(r'<form class="preview__payload" method="post".*?</form>', re.DOTALL)


def _read_pages(tenant, environment, content):
    workflow, step = content.workflow, content.email
    return {
        "workflow list": _url(tenant, environment, "workflows:index"),
        "editor": _url(tenant, environment, "workflows:detail", workflow.pk),
        "preview": _url(tenant, environment, "workflows:step_preview", workflow.pk, step.pk),
        "groups": _url(tenant, environment, "workflow_groups:index"),
        "feeds": _url(tenant, environment, "feeds:index"),
    }


@pytest.mark.parametrize("page", ["workflow list", "editor", "preview", "groups", "feeds"])
def test_production_pages_render_read_only(client, login, tenant, production_content, page):
    login(tenant.admin.user)
    response = client.get(_read_pages(tenant, tenant.production, production_content)[page])
    assert response.status_code == 200
    main = _main(response)
    assert production_content.workflow.name in main or page in ("groups", "feeds")
    if page == "preview":
        # The payload form posts (a payload is too long for a URL) but writes nothing: it is
        # the one form a read-only page keeps.
        main, forms = PREVIEW_FORM.subn("", main)
        assert forms == 1
    for marker in EDIT_CONTROL_MARKERS:
        assert marker not in main, f"{page} shows {marker!r} in Production"


@pytest.mark.parametrize("page", ["workflow list", "editor", "groups", "feeds"])
def test_development_pages_offer_edit_controls_to_editors(client, login, tenant, content, page):
    """The other side of the test above, so it cannot pass by rendering nothing."""
    login(tenant.editor.user)
    main = _main(client.get(_read_pages(tenant, tenant.development, content)[page]))
    assert 'method="post"' in main or "New workflow" in main


def test_viewers_see_development_read_only(client, login, tenant, content):
    login(tenant.viewer.user)
    main = _main(
        client.get(_url(tenant, tenant.development, "workflows:detail", content.workflow.pk))
    )
    assert content.in_app.name in main
    for marker in EDIT_CONTROL_MARKERS:
        assert marker not in main


class TestServicesCheckAgain:
    """Views are not the only callers: services refuse on their own."""

    def test_in_production(self, tenant, production_content):
        admin = tenant.admin.user
        calls = [
            lambda: services.workflow_group_create(
                environment=tenant.production, name="X", actor=admin
            ),
            lambda: services.feed_create(
                environment=tenant.production, name="X", identifier="x", actor=admin
            ),
            lambda: services.workflow_update(
                workflow=production_content.workflow, actor=admin, name="X"
            ),
            lambda: services.workflow_delete(workflow=production_content.workflow, actor=admin),
            lambda: services.step_create(
                workflow=production_content.workflow,
                channel=Channel.SMS,
                actor=admin,
                name="X",
                body="X",
            ),
            lambda: services.step_update(step=production_content.email, actor=admin, body="X"),
            lambda: services.step_move(step=production_content.email, direction="up", actor=admin),
            lambda: services.step_delete(step=production_content.email, actor=admin),
            lambda: services.workflow_group_delete(
                group=production_content.spare_group, actor=admin
            ),
            lambda: services.feed_delete(feed=production_content.feed, actor=admin),
        ]
        before = snapshot(tenant.production)
        with environment_scope(tenant.production):
            for call in calls:
                with pytest.raises(PermissionDenied, match="Production is read-only"):
                    call()
        assert snapshot(tenant.production) == before

    def test_for_a_viewer(self, tenant, content):
        viewer = tenant.viewer.user
        before = snapshot(tenant.development)
        with environment_scope(tenant.development):
            with pytest.raises(
                PermissionDenied, match="Your role can read this content but not change it"
            ):
                services.workflow_update(workflow=content.workflow, actor=viewer, name="X")
            with pytest.raises(PermissionDenied):
                services.step_update(step=content.email, actor=viewer, body="X")
            with pytest.raises(PermissionDenied):
                services.feed_delete(feed=content.feed, actor=viewer)
        assert snapshot(tenant.development) == before

    def test_for_a_member_of_another_organization(self, tenant, other_tenant, content):
        with environment_scope(tenant.development), pytest.raises(PermissionDenied):
            services.workflow_delete(workflow=content.workflow, actor=other_tenant.admin.user)
        assert Workflow.unscoped_across_environments.filter(pk=content.workflow.pk).exists()


@pytest.mark.parametrize(("name", "args"), EDIT_PAGES, ids=[name for name, _ in EDIT_PAGES])
def test_edit_forms_are_not_shown_to_viewers(client, login, tenant, content, name, args):
    login(tenant.viewer.user)
    response = client.get(_url(tenant, tenant.development, name, *args(content)))
    assert response.status_code == 403
    assert "Your role can read this content but not change it." in response.content.decode()
