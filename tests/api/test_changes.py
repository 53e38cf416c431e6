"""/v1/changes: pending and promoted changes, applied with the dashboard's services."""

import pytest

from changes.diff import ChangeSet
from changes.documents import content_hash_refresh
from changes.models import Promotion, PromotionKind
from tests.api.conftest import error_of
from tests.changes.conftest import build_content, sync
from tests.factories import StepFactory, WorkflowFactory, WorkflowGroupFactory
from workflows.models import Channel, Workflow, WorkflowGroup


@pytest.fixture
def content(tenant):
    built = build_content(tenant.development)
    sync(tenant)
    return built


def production_row(model, tenant, origin_id):
    return model.unscoped_across_environments.get(
        environment=tenant.production, origin_id=origin_id
    )


def rename(workflow, name):
    Workflow.unscoped_across_environments.filter(pk=workflow.pk).update(name=name)
    content_hash_refresh(entity=workflow)


def pending_ids(api) -> list[str]:
    return [change["_id"] for change in api.get("/changes").json()["data"]]


def test_the_list_shows_each_pending_change(tenant, content, development_api):
    rename(content.welcome, "Hello")
    [change] = ChangeSet.compute(source=tenant.development, target=tenant.production).changes

    response = development_api.get("/changes")

    assert response.status_code == 200
    assert response.json() == {
        "page": 0,
        "pageSize": 10,
        "totalCount": 1,
        "hasMore": False,
        "data": [
            {
                "_id": f"workflow.{content.welcome.origin_id}.{change.fingerprint}",
                "_entityId": str(content.welcome.public_id),
                "_environmentId": str(tenant.development.pk),
                "_organizationId": str(tenant.organization.pk),
                "type": "NotificationTemplate",
                "action": "updated",
                "change": [{"op": "update", "path": ["name"], "val": "Hello"}],
                "enabled": False,
                "templateName": "Hello",
                "user": None,
                "createdAt": change.updated_at.isoformat(),
            }
        ],
    }
    assert development_api.get("/changes/count").json() == {"data": 1}


def test_a_created_workflow_reads_with_names_not_internal_ids(tenant, content, development_api):
    group = WorkflowGroupFactory(environment=tenant.development, name="Billing")
    workflow = WorkflowFactory(
        environment=tenant.development, name="Invoice", identifier="invoice", group=group
    )
    StepFactory(
        workflow=workflow, channel=Channel.IN_APP, name="Inbox", body="Due", feed=content.feed
    )

    data = development_api.get("/changes").json()["data"]

    by_type = {change["type"]: change for change in data}
    assert set(by_type) == {"NotificationGroup", "NotificationTemplate"}
    [operation] = by_type["NotificationTemplate"]["change"]
    assert (operation["op"], operation["path"]) == ("add", [])
    assert operation["val"]["group"] == "Billing"
    assert operation["val"]["steps"] == [
        {
            "channel": "in_app",
            "name": "Inbox",
            "active": True,
            "subject": "",
            "body": "Due",
            "cta_url": "",
            "feed": "Updates",
            "layout": None,
        }
    ]
    assert by_type["NotificationTemplate"]["_entityId"] == str(workflow.public_id)


def test_apply_one_writes_production_and_history_names_the_key(
    tenant, content, development_api, login
):
    rename(content.welcome, "Hello")
    [change_id] = pending_ids(development_api)

    response = development_api.post(f"/changes/{change_id}/apply")

    assert response.status_code == 201
    [applied] = response.json()["data"]
    assert (applied["_id"], applied["enabled"]) == (change_id, True)
    assert applied["user"] == {"name": "API key “Default key”"}
    assert production_row(Workflow, tenant, content.welcome.origin_id).name == "Hello"
    promotion = Promotion.objects.get(kind=PromotionKind.APPLY)
    assert promotion.actor is None
    assert promotion.api_key == development_api.api_key
    history = login(tenant.viewer.user).get(tenant.url(tenant.development, "changes/history/"))
    assert "API key “Default key”" in history.content.decode()
    assert development_api.get("/changes/count").json() == {"data": 0}
    promoted = development_api.get("/changes", {"promoted": "true", "limit": 1}).json()
    assert promoted["data"] == [applied]
    assert promoted["totalCount"] > 1  # the fixture's sync is listed too


def test_applying_again_applies_nothing_more(tenant, content, development_api):
    rename(content.welcome, "Hello")
    [change_id] = pending_ids(development_api)
    development_api.post(f"/changes/{change_id}/apply")

    again = development_api.post(f"/changes/{change_id}/apply")

    assert again.status_code == 201
    assert again.json() == {"data": []}
    assert Promotion.objects.filter(kind=PromotionKind.APPLY).count() == 1


def test_a_change_edited_after_it_was_read_is_a_409(tenant, content, development_api):
    rename(content.welcome, "Hello")
    [change_id] = pending_ids(development_api)
    rename(content.welcome, "Howdy")

    response = development_api.post(f"/changes/{change_id}/apply")

    assert response.status_code == 409
    assert error_of(response)["message"] == (
        "This change was edited after you reviewed it: Workflow “Howdy”. Review the new diff, "
        "then apply again. Nothing was applied."
    )
    assert production_row(Workflow, tenant, content.welcome.origin_id).name == "Welcome"
    assert pending_ids(development_api) != [change_id]


def test_unknown_and_malformed_change_ids_are_404s(
    tenant, content, other_tenant, development_api, other_api
):
    rename(content.welcome, "Hello")
    [change_id] = pending_ids(development_api)
    made_up = f"workflow.{content.welcome.public_id}.0123456789abcdef"

    for given in (made_up, "workflow.nope.0123456789abcdef", "gadget.x.y", "42"):
        response = development_api.post(f"/changes/{given}/apply")
        assert response.status_code == 404
        assert error_of(response)["message"] == (
            f"Development has no pending change with the id “{given}”."
        )
    # Another organization's key cannot apply it: it is not a change of its environment.
    foreign = other_api.post(f"/changes/{change_id}/apply")
    assert foreign.status_code == 404
    assert production_row(Workflow, tenant, content.welcome.origin_id).name == "Welcome"


def test_applying_a_workflow_brings_the_group_it_needs(tenant, content, development_api):
    group = WorkflowGroupFactory(environment=tenant.development, name="Billing")
    workflow = WorkflowFactory(
        environment=tenant.development, name="Invoice", identifier="invoice", group=group
    )
    workflow_change = next(
        change["_id"]
        for change in development_api.get("/changes").json()["data"]
        if change["type"] == "NotificationTemplate"
    )

    response = development_api.post(f"/changes/{workflow_change}/apply")

    assert response.status_code == 201
    assert [(change["type"], change["templateName"]) for change in response.json()["data"]] == [
        ("NotificationTemplate", "Invoice"),
        ("NotificationGroup", "Billing"),
    ]
    copy = production_row(Workflow, tenant, workflow.origin_id)
    assert copy.group == production_row(WorkflowGroup, tenant, group.origin_id)
    assert copy.public_id != workflow.public_id


def test_bulk_apply_is_one_promotion(tenant, content, development_api):
    rename(content.welcome, "Hello")
    rename(content.receipt, "Paid")
    change_ids = pending_ids(development_api)

    response = development_api.post("/changes/bulk/apply", {"changeIds": change_ids})

    assert response.status_code == 201
    assert [[change["_id"] for change in applied] for applied in response.json()["data"]] == [
        [change_id] for change_id in change_ids
    ]
    [promotion] = Promotion.objects.filter(kind=PromotionKind.APPLY_SELECTED)
    assert promotion.change_count == 2
    assert promotion.actor_label == "API key “Default key”"
    assert production_row(Workflow, tenant, content.receipt.origin_id).name == "Paid"


@pytest.mark.parametrize("spoiler", ["unknown", "stale"])
def test_bulk_apply_applies_all_or_nothing(tenant, content, development_api, spoiler):
    rename(content.welcome, "Hello")
    rename(content.receipt, "Paid")
    change_ids = pending_ids(development_api)
    if spoiler == "unknown":
        change_ids.append(f"feed.{content.feed.public_id}.0123456789abcdef")
    else:
        rename(content.receipt, "Settled")

    response = development_api.post("/changes/bulk/apply", {"changeIds": change_ids})

    assert response.status_code == {"unknown": 404, "stale": 409}[spoiler]
    assert not Promotion.objects.filter(kind=PromotionKind.APPLY_SELECTED).exists()
    assert production_row(Workflow, tenant, content.welcome.origin_id).name == "Welcome"
    assert production_row(Workflow, tenant, content.receipt.origin_id).name == "Receipt"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, ["changeIds: Field required"]),
        (
            {"changeIds": []},
            ["changeIds: List should have at least 1 item after validation, not 0"],
        ),
        ({"changeIds": [7]}, ["changeIds[0]: Input should be a valid string"]),
    ],
)
def test_bulk_apply_bodies_are_validated(content, development_api, body, message):
    response = development_api.post("/changes/bulk/apply", body)
    assert response.status_code == 400
    assert error_of(response)["message"] == message


def test_production_has_nothing_to_apply_and_may_not(tenant, content, production_api):
    rename(content.welcome, "Hello")

    listed = production_api.get("/changes")
    counted = production_api.get("/changes/count")
    applied = production_api.post("/changes/workflow.x.0123456789abcdef/apply")
    bulk = production_api.post("/changes/bulk/apply", {"changeIds": ["x"]})

    assert (listed.json()["totalCount"], listed.json()["data"]) == (0, [])
    assert counted.json() == {"data": 0}
    assert applied.status_code == bulk.status_code == 403
    assert error_of(applied)["message"] == (
        "Production has no downstream environment to promote into."
    )


def test_the_list_is_paginated(tenant, content, development_api):
    for index in range(3):
        WorkflowFactory(
            environment=tenant.development,
            name=f"New {index}",
            identifier=f"new-{index}",
            group=content.group,
        )

    first = development_api.get("/changes", {"limit": 2}).json()
    second = development_api.get("/changes", {"page": 1, "limit": 2}).json()

    assert (first["totalCount"], first["hasMore"], len(first["data"])) == (3, True, 2)
    assert (second["hasMore"], len(second["data"])) == (False, 1)
    assert {change["_id"] for change in first["data"] + second["data"]} == set(
        pending_ids(development_api)
    )
    invalid = development_api.get("/changes", {"promoted": "maybe"})
    assert invalid.status_code == 400
    assert error_of(invalid)["message"] == ["promoted: Input should be 'true' or 'false'"]


def test_a_promoted_workflow_has_its_own_id_in_production_and_no_change_is_left(
    tenant, content, development_api, production_api
):
    created = development_api.post(
        "/notification-templates",
        {
            "name": "Invoice",
            "notificationGroupId": str(content.group.public_id),
            "steps": [{"template": {"type": "sms", "content": "Due: {{ payload.amount }}"}}],
        },
    ).json()["data"]
    [change_id] = pending_ids(development_api)

    development_api.post(f"/changes/{change_id}/apply")

    in_production = [
        workflow
        for workflow in production_api.get("/notification-templates").json()["data"]
        if workflow["name"] == "Invoice"
    ]
    [copy] = in_production
    assert copy["_id"] != created["_id"]
    assert copy["steps"][0]["_id"] != created["steps"][0]["_id"]
    assert copy["_notificationGroupId"] != created["_notificationGroupId"]
    assert copy["triggers"] == created["triggers"]
    assert production_api.get(f"/notification-templates/{created['_id']}").status_code == 404
    assert development_api.get("/changes/count").json() == {"data": 0}
