"""POST /v1/events/trigger, bulk and broadcast, DELETE /v1/events/trigger/{transactionId}: every
status each answers, in Novu's shapes."""

import json

import pytest

from activity.models import Message, Trigger
from tests.activity.conftest import in_app_workflow, scoped


@pytest.fixture
def api(tenant, key_client):
    in_app_workflow(tenant.development)
    return key_client(tenant.development)


def test_a_trigger_is_acknowledged_with_its_transaction_id(api, tenant):
    response = api.trigger(
        "order-shipped", "ada", payload={"order": {"id": 1}}, transactionId="tx-1"
    )
    assert response.status_code == 201
    assert response.json() == {
        "data": {
            "acknowledged": True,
            "status": "processed",
            "transactionId": "tx-1",
            "error": None,
        }
    }
    with scoped(tenant.development):
        trigger = Trigger.objects.get()
    assert (trigger.transaction_id, trigger.status, trigger.payload) == (
        "tx-1",
        "received",
        {"order": {"id": 1}},
    )
    assert trigger.recipients == [{"subscriberId": "ada"}]


def test_without_a_transaction_id_one_is_made_up(api):
    transaction_id = api.trigger("order-shipped", "ada").json()["data"]["transactionId"]
    assert len(transaction_id) == 32


def test_a_repeated_transaction_id_is_409_and_never_a_second_delivery(api, tenant, drain):
    first = api.trigger("order-shipped", "ada", transactionId="once")
    again = api.trigger("order-shipped", "bob", transactionId="once")
    assert first.status_code == 201
    assert again.status_code == 409
    body = again.json()
    assert (body["statusCode"], body["error"]) == (409, "Conflict")
    assert (
        "transactionId" in body["message"]
        and "“once” was already used in Development" in body["message"]
    )
    drain()
    with scoped(tenant.development):
        assert Trigger.objects.count() == 1
        assert list(Message.objects.values_list("subscriber__subscriber_id", flat=True)) == ["ada"]


def test_the_same_transaction_id_is_free_in_another_environment(api, tenant, key_client):
    in_app_workflow(tenant.production)
    assert api.trigger("order-shipped", "ada", transactionId="shared").status_code == 201
    production = key_client(tenant.production)
    assert production.trigger("order-shipped", "ada", transactionId="shared").status_code == 201


@pytest.mark.parametrize("name", ["no-such-workflow", "paused"])
def test_an_unknown_or_inactive_workflow_is_422_trigger_not_active(api, tenant, name):
    in_app_workflow(tenant.development, identifier="paused", active=False)
    response = api.trigger(name, "ada")
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == "trigger_not_active"
    assert (body["statusCode"], body["error"]) == (422, "Unprocessable Entity")
    assert f"Workflow “{name}” is not active in Development" in body["message"]
    with scoped(tenant.development):
        assert not Trigger.objects.exists()


def test_a_workflow_of_another_environment_is_not_triggered(tenant, key_client):
    in_app_workflow(tenant.development, identifier="dev-only")
    production = key_client(tenant.production)
    assert production.trigger("dev-only", "ada").status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "ada"}, "name"),
        ({"name": "order-shipped"}, "to"),
        ({"name": "order-shipped", "to": []}, "to"),
        ({"name": "order-shipped", "to": 5}, "to"),
        ({"name": "order-shipped", "to": [f"s{i}" for i in range(101)]}, "to"),
        ({"name": "order-shipped", "to": "a/b"}, "to[0].subscriberId"),
        ({"name": "order-shipped", "to": {"subscriberId": ""}}, "to[0].subscriberId"),
        ({"name": "order-shipped", "to": [{"firstName": "No id"}]}, "to[0].subscriberId"),
        (
            {"name": "order-shipped", "to": ["ok", {"subscriberId": "x", "email": "not-an-email"}]},
            "to[1].email",
        ),
        (
            {"name": "order-shipped", "to": {"subscriberId": "x", "locale": "no such"}},
            "to[0].locale",
        ),
        ({"name": "order-shipped", "to": {"type": "Topic"}}, "to[0].topicKey"),
        (
            {"name": "order-shipped", "to": {"type": "Topic", "topicKey": "has space"}},
            "to[0].topicKey",
        ),
        ({"name": "order-shipped", "to": "ada", "payload": []}, "payload"),
        ({"name": "order-shipped", "to": "ada", "payload": {"x": "\u0000"}}, "payload"),
        ({"name": "order-shipped", "to": "ada", "payload": {"big": "x" * 70_000}}, "payload"),
        ({"name": "order-shipped", "to": "ada", "transactionId": "a/b"}, "transactionId"),
        ({"name": "order-shipped", "to": "ada", "transactionId": "x" * 201}, "transactionId"),
        (
            {"name": "order-shipped", "to": "ada", "actor": {"subscriberId": "a/b"}},
            "actor.subscriberId",
        ),
    ],
)
def test_invalid_bodies_are_400_naming_the_field(api, body, field):
    response = api.post("/events/trigger", body)
    assert response.status_code == 400, response.content
    error = response.json()
    assert (error["statusCode"], error["error"]) == (400, "Bad Request")
    message = error["message"] if isinstance(error["message"], str) else " ".join(error["message"])
    assert message.startswith(field) or f" {field}" in message or f"{field}:" in message, message


def test_a_deeply_nested_payload_is_400(api):
    payload: dict = {}
    inner = payload
    for _ in range(20):
        inner["x"] = {}
        inner = inner["x"]
    response = api.trigger("order-shipped", "ada", payload=payload)
    assert response.status_code == 400
    assert "payload: Nest at most 16 levels deep." in response.json()["message"]


def test_a_body_that_is_not_json_is_400(api):
    response = api.post("/events/trigger", "{not json")
    assert response.status_code == 400


def test_without_a_key_it_is_401(client):
    response = client.post(
        "/v1/events/trigger", {"name": "x", "to": "y"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["statusCode"] == 401


def test_bulk_acknowledges_or_refuses_each_event(api, tenant, drain):
    response = api.post(
        "/events/trigger/bulk",
        {
            "events": [
                {"name": "order-shipped", "to": "ada", "transactionId": "b1"},
                {"name": "nope", "to": "ada", "transactionId": "b2"},
                {"name": "order-shipped", "to": "bob", "transactionId": "b1"},
                {"name": "order-shipped", "to": "cyd"},
            ]
        },
    )
    assert response.status_code == 201
    acks = response.json()["data"]
    assert [(a["acknowledged"], a["status"]) for a in acks] == [
        (True, "processed"),
        (False, "trigger_not_active"),
        (False, "error"),
        (True, "processed"),
    ]
    assert acks[0]["transactionId"] == "b1" and acks[0]["error"] is None
    assert "“b1” was already used" in acks[2]["error"][0]
    drain()
    with scoped(tenant.development):
        assert sorted(Message.objects.values_list("subscriber__subscriber_id", flat=True)) == [
            "ada",
            "cyd",
        ]


def test_bulk_refuses_more_than_100_events_and_invalid_ones_whole(api, tenant):
    too_many = api.post(
        "/events/trigger/bulk", {"events": [{"name": "order-shipped", "to": "a"}] * 101}
    )
    assert too_many.status_code == 400
    invalid = api.post(
        "/events/trigger/bulk",
        {"events": [{"name": "order-shipped", "to": "a"}, {"name": "order-shipped", "to": "b/c"}]},
    )
    assert invalid.status_code == 400
    assert "events[1].to[0].subscriberId" in invalid.json()["message"]
    with scoped(tenant.development):
        assert not Trigger.objects.exists()


def test_broadcast_is_acknowledged_and_its_errors_are_those_of_a_trigger(api):
    assert api.post("/events/trigger/broadcast", {"name": "order-shipped"}).status_code == 201
    assert api.post("/events/trigger/broadcast", {"name": "nope"}).status_code == 422
    assert api.post("/events/trigger/broadcast", {"payload": {}}).status_code == 400
    api.post("/events/trigger/broadcast", {"name": "order-shipped", "transactionId": "bc"})
    assert (
        api.post(
            "/events/trigger/broadcast", {"name": "order-shipped", "transactionId": "bc"}
        ).status_code
        == 409
    )


def test_every_status_is_in_the_openapi_document(client):
    document = json.loads(client.get("/v1/openapi.json").content)
    paths = document["paths"]
    assert set(paths["/v1/events/trigger"]["post"]["responses"]) == {
        "201",
        "400",
        "401",
        "409",
        "413",
        "422",
        "429",
    }
    assert set(paths["/v1/events/trigger/{transaction_id}"]["delete"]["responses"]) == {
        "200",
        "401",
        "404",
        "413",
        "429",
    }
    assert set(paths["/v1/events/trigger/bulk"]["post"]["responses"]) == {
        "201",
        "400",
        "401",
        "413",
        "429",
    }
