"""/v1/notification-groups: list, create, get, rename, delete; refusals in Novu's shape."""

import pytest

from changes.models import Promotion
from tests.api.conftest import error_of
from tests.factories import WorkflowFactory, WorkflowGroupFactory
from workflows.models import WorkflowGroup


@pytest.fixture
def general(tenant):
    return WorkflowGroupFactory(environment=tenant.development, name="General")


def test_list_gives_this_environments_groups_by_public_id(
    tenant, other_tenant, general, development_api
):
    billing = WorkflowGroupFactory(environment=tenant.development, name="Billing")
    WorkflowGroupFactory(environment=tenant.production, name="Production only")
    WorkflowGroupFactory(environment=other_tenant.development, name="Globex group")

    response = development_api.get("/notification-groups")

    assert response.status_code == 200
    assert response.json()["data"] == [
        {
            "_id": str(group.public_id),
            "name": group.name,
            "_environmentId": str(tenant.development.pk),
            "_organizationId": str(tenant.organization.pk),
            "createdAt": group.created_at.isoformat(),
            "updatedAt": group.updated_at.isoformat(),
        }
        for group in (billing, general)
    ]


def test_create_makes_a_group_in_the_keys_environment(tenant, development_api):
    response = development_api.post("/notification-groups", {"name": "  Billing "})

    assert response.status_code == 201
    created = WorkflowGroup.unscoped_across_environments.get(environment=tenant.development)
    assert created.name == "Billing"
    assert created.updated_by is None
    assert response.json()["data"]["_id"] == str(created.public_id)
    assert response.json()["data"]["_id"] != str(created.origin_id)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "name: Field required"),
        ({"name": "   "}, "name: String should have at least 1 character"),
        ({"name": "x" * 81}, "name: String should have at most 80 characters"),
        ({"name": "a\x00b"}, "name: Value error, must not contain the NUL character"),
        ({"name": 12}, "name: Input should be a valid string"),
    ],
)
def test_an_invalid_body_is_a_400_naming_the_field(development_api, body, message):
    response = development_api.post("/notification-groups", body)

    assert response.status_code == 400
    assert error_of(response) == {
        "statusCode": 400,
        "message": [message],
        "error": "Bad Request",
    }
    assert not WorkflowGroup.unscoped_across_environments.exists()


def test_a_body_that_is_not_json_is_a_400(development_api):
    response = development_api.client.post(
        "/v1/notification-groups",
        "{not json",
        content_type="application/json",
        headers=development_api._headers(),
    )
    assert response.status_code == 400
    assert error_of(response)["message"] == "Cannot parse request body"


def test_a_duplicate_name_is_a_409(general, development_api):
    response = development_api.post("/notification-groups", {"name": "General"})

    assert response.status_code == 409
    assert error_of(response)["message"] == (
        "name: Development already has a group with the name “General”."
    )


def test_production_refuses_with_the_policys_message_naming_development(tenant, production_api):
    response = production_api.post("/notification-groups", {"name": "Billing"})

    assert response.status_code == 403
    assert error_of(response)["message"] == (
        "Production is read-only. Make changes in Development, then promote them on the "
        "Changes page."
    )
    assert not WorkflowGroup.unscoped_across_environments.exists()


def test_production_refuses_before_reading_the_body(production_api):
    response = production_api.post("/notification-groups", {"name": ""})
    assert response.status_code == 403


def test_get_one_by_its_id(general, development_api):
    response = development_api.get(f"/notification-groups/{general.public_id}")
    assert response.status_code == 200
    assert response.json()["data"]["name"] == "General"


def test_ids_of_other_environments_and_made_up_ids_are_404(
    tenant, other_tenant, development_api, production_api
):
    production_group = WorkflowGroupFactory(environment=tenant.production, name="General")
    foreign_group = WorkflowGroupFactory(environment=other_tenant.development, name="General")

    for given in (production_group.public_id, foreign_group.public_id, "42", "not-an-id"):
        response = development_api.get(f"/notification-groups/{given}")
        assert response.status_code == 404
        assert error_of(response)["message"] == (
            f"Development has no notification group with the id “{given}”."
        )
    # Another environment's id is unknown for writes too: 404, never 403.
    response = development_api.patch(
        f"/notification-groups/{production_group.public_id}", {"name": "Renamed"}
    )
    assert response.status_code == 404
    assert (
        production_api.get(f"/notification-groups/{production_group.public_id}").status_code == 200
    )


def test_rename(tenant, development_api):
    group = WorkflowGroupFactory(environment=tenant.development, name="Billing")

    response = development_api.patch(f"/notification-groups/{group.public_id}", {"name": "Money"})

    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Money"
    group.refresh_from_db()
    assert group.name == "Money"


def test_rename_refusals(tenant, general, development_api, production_api):
    billing = WorkflowGroupFactory(environment=tenant.development, name="Billing")

    duplicate = development_api.patch(
        f"/notification-groups/{billing.public_id}", {"name": "General"}
    )
    default_group = development_api.patch(
        f"/notification-groups/{general.public_id}", {"name": "Other"}
    )
    production_group = WorkflowGroupFactory(environment=tenant.production, name="Billing")
    read_only = production_api.patch(
        f"/notification-groups/{production_group.public_id}", {"name": "Money"}
    )
    missing = development_api.patch(f"/notification-groups/{billing.public_id}", {})

    assert duplicate.status_code == 409
    assert default_group.status_code == 400
    assert error_of(default_group)["message"] == (
        "name: General is the default group; it keeps its name."
    )
    assert read_only.status_code == 403
    assert "Make changes in Development" in error_of(read_only)["message"]
    assert missing.status_code == 400
    assert error_of(missing)["message"] == ["name: Field required"]
    assert billing.name == WorkflowGroup.unscoped_across_environments.get(pk=billing.pk).name


def test_delete(tenant, development_api):
    group = WorkflowGroupFactory(environment=tenant.development, name="Billing")

    response = development_api.delete(f"/notification-groups/{group.public_id}")

    assert response.status_code == 200
    assert response.json() == {"data": {"acknowledged": True, "status": "deleted"}}
    assert not WorkflowGroup.unscoped_across_environments.filter(pk=group.pk).exists()


def test_delete_refusals(tenant, general, development_api, production_api):
    used = WorkflowGroupFactory(environment=tenant.development, name="Billing")
    WorkflowFactory(environment=tenant.development, group=used, name="Invoice")
    production_group = WorkflowGroupFactory(environment=tenant.production, name="Spare")

    in_use = development_api.delete(f"/notification-groups/{used.public_id}")
    default_group = development_api.delete(f"/notification-groups/{general.public_id}")
    read_only = production_api.delete(f"/notification-groups/{production_group.public_id}")
    unknown = development_api.delete(f"/notification-groups/{production_group.public_id}")

    assert in_use.status_code == 409
    assert "still used by “Invoice”" in error_of(in_use)["message"]
    assert default_group.status_code == 409
    assert read_only.status_code == 403
    assert unknown.status_code == 404
    assert WorkflowGroup.unscoped_across_environments.count() == 3
    assert not Promotion.objects.exists()


def test_a_request_without_a_key_is_a_401(client):
    response = client.get("/v1/notification-groups")
    assert response.status_code == 401
    assert error_of(response)["error"] == "Unauthorized"
