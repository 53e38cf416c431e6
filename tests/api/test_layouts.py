"""/v1/layouts: list, create, get, update, delete, set default."""

import pytest

from branding.models import Layout
from tests.api.conftest import error_of
from tests.factories import LayoutFactory, StepFactory
from workflows.models import Channel

HTML = "<div style='color:{{ brand.primary_color }}'>{{ content }}</div>"


def layouts_of(environment) -> dict[str, Layout]:
    return {
        layout.identifier: layout
        for layout in Layout.unscoped_across_environments.filter(environment=environment)
    }


def test_create_the_first_layout_becomes_the_default(tenant, development_api):
    response = development_api.post(
        "/layouts",
        {"name": "Plain", "description": "Not stored", "content": HTML, "variables": []},
    )

    assert response.status_code == 201
    layout = layouts_of(tenant.development)["plain"]
    assert (layout.name, layout.html, layout.is_default) == ("Plain", HTML, True)
    assert response.json()["data"] == {
        "_id": str(layout.public_id),
        "name": "Plain",
        "identifier": "plain",
        "description": "",
        "content": HTML,
        "contentType": "customHtml",
        "channel": "email",
        "isDefault": True,
        "variables": [{"name": "brand.primary_color", "type": "String", "required": False}],
        "_environmentId": str(tenant.development.pk),
        "_organizationId": str(tenant.organization.pk),
        "createdAt": layout.created_at.isoformat(),
        "updatedAt": layout.updated_at.isoformat(),
    }


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (
            {"name": "Novu style", "content": "<div>{{{body}}}</div>"},
            400,
            "content: Line 1: unexpected '{' (at “<div>{{{body}}}</div>”)",
        ),
        (
            {"name": "No slot", "content": "<div></div>"},
            400,
            "content: The layout must contain the {{ content }} placeholder, where each "
            "email's body goes.",
        ),
        ({"name": "Plain"}, 400, ["content: Field required"]),
        (
            {"name": "Base", "content": HTML},
            409,
            "identifier: Development already has a layout with the identifier “base”.",
        ),
    ],
)
def test_create_refusals(tenant, development_api, body, status, message):
    LayoutFactory(environment=tenant.development, name="Base", identifier="base", html=HTML)

    response = development_api.post("/layouts", body)

    assert response.status_code == status
    assert error_of(response)["message"] == message
    assert list(layouts_of(tenant.development)) == ["base"]


def test_list_is_paginated_with_novus_page_size(tenant, other_tenant, development_api):
    for index in range(3):
        LayoutFactory(environment=tenant.development, name=f"Layout {index}", html=HTML)
    LayoutFactory(environment=other_tenant.development, name="Globex", html=HTML)

    response = development_api.get("/layouts", {"page": 1, "pageSize": 2})

    assert response.status_code == 200
    body = response.json()
    assert (body["page"], body["pageSize"], body["totalCount"], body["hasMore"]) == (
        1,
        2,
        3,
        False,
    )
    assert [layout["name"] for layout in body["data"]] == ["Layout 2"]


def test_get_update_and_set_default(tenant, development_api):
    base = LayoutFactory(
        environment=tenant.development, identifier="base", html=HTML, is_default=True
    )
    other = LayoutFactory(environment=tenant.development, identifier="other", html=HTML)

    got = development_api.get(f"/layouts/{other.public_id}")
    patched = development_api.patch(f"/layouts/{other.public_id}", {"name": "Renamed"})
    made_default = development_api.post(f"/layouts/{other.public_id}/default")

    assert got.status_code == 200
    assert got.json()["data"]["identifier"] == "other"
    assert patched.status_code == 200
    assert (patched.json()["data"]["name"], patched.json()["data"]["content"]) == ("Renamed", HTML)
    assert made_default.status_code == 204
    assert made_default.content == b""
    layouts = layouts_of(tenant.development)
    assert layouts["other"].is_default and not layouts["base"].is_default
    assert layouts["other"].name == "Renamed"
    assert base.pk == layouts["base"].pk


def test_update_refusals(tenant, development_api, production_api):
    base = LayoutFactory(
        environment=tenant.development, identifier="base", html=HTML, is_default=True
    )
    LayoutFactory(environment=tenant.development, identifier="other", html=HTML)
    production_layout = LayoutFactory(environment=tenant.production, html=HTML)

    undefault = development_api.patch(f"/layouts/{base.public_id}", {"isDefault": False})
    duplicate = development_api.put(f"/layouts/{base.public_id}", {"identifier": "other"})
    broken = development_api.patch(f"/layouts/{base.public_id}", {"content": "{% if %}"})
    read_only = production_api.patch(f"/layouts/{production_layout.public_id}", {"name": "Renamed"})
    unknown = development_api.patch(f"/layouts/{production_layout.public_id}", {"name": "X"})

    assert undefault.status_code == 400
    assert error_of(undefault)["message"] == (
        "isDefault: Make another layout the default instead; one layout is always the default."
    )
    assert duplicate.status_code == 409
    assert broken.status_code == 400
    assert error_of(broken)["message"].startswith("content: Line 1:")
    assert read_only.status_code == 403
    assert unknown.status_code == 404
    assert layouts_of(tenant.development)["base"].html == HTML


def test_delete_and_its_refusals(tenant, development_api, production_api):
    default = LayoutFactory(
        environment=tenant.development, identifier="base", html=HTML, is_default=True
    )
    used = LayoutFactory(environment=tenant.development, identifier="used", html=HTML)
    StepFactory(
        workflow__environment=tenant.development,
        workflow__name="Receipt",
        channel=Channel.EMAIL,
        layout=used,
    )
    spare = LayoutFactory(environment=tenant.development, identifier="spare", html=HTML)
    production_layout = LayoutFactory(environment=tenant.production, html=HTML)

    still_default = development_api.delete(f"/layouts/{default.public_id}")
    in_use = development_api.delete(f"/layouts/{used.public_id}")
    read_only = production_api.delete(f"/layouts/{production_layout.public_id}")
    read_only_default = production_api.post(f"/layouts/{production_layout.public_id}/default")
    deleted = development_api.delete(f"/layouts/{spare.public_id}")
    gone = development_api.post(f"/layouts/{spare.public_id}/default")

    assert still_default.status_code == 409
    assert "is the default layout" in error_of(still_default)["message"]
    assert in_use.status_code == 409
    assert "used by email steps of: Receipt" in error_of(in_use)["message"]
    assert read_only.status_code == read_only_default.status_code == 403
    assert deleted.status_code == 204
    assert gone.status_code == 404
    assert sorted(layouts_of(tenant.development)) == ["base", "used"]
