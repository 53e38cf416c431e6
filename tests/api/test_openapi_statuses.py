"""The OpenAPI document declares what these routes can answer (schemathesis checks answers
against it): admission's refusals everywhere, 404 for every id in a path, 403 for every write
the policy can refuse, 400 wherever a body or a query is read."""

import pytest

from api.api import api

PREFIXES = (
    "/v1/notification-groups",
    "/v1/notification-templates",
    "/v1/feeds",
    "/v1/layouts",
    "/v1/changes",
    "/v1/environments/api-keys",
)


def operations():
    document = api.get_openapi_schema()
    for path, methods in document["paths"].items():
        if path.startswith(PREFIXES):
            for method, operation in methods.items():
                yield path, method, operation


@pytest.mark.parametrize(("path", "method", "operation"), list(operations()))
def test_every_status_a_route_can_answer_is_declared(path, method, operation):
    declared = {str(status) for status in operation["responses"]}

    assert {"401", "413", "429"} <= declared
    if "{" in path and not path.startswith("/v1/changes"):
        assert "404" in declared
    if method != "get":
        assert "403" in declared
    if "requestBody" in operation or any(
        parameter["in"] == "query" for parameter in operation.get("parameters", [])
    ):
        assert "400" in declared
    for status, response in operation["responses"].items():
        if str(status) != "204":
            assert "application/json" in response["content"], (path, method, status)


def test_the_routes_are_all_there():
    routes = {(path, method) for path, method, _operation in operations()}
    assert routes == {
        ("/v1/notification-groups", "get"),
        ("/v1/notification-groups", "post"),
        ("/v1/notification-groups/{group_id}", "get"),
        ("/v1/notification-groups/{group_id}", "patch"),
        ("/v1/notification-groups/{group_id}", "delete"),
        ("/v1/notification-templates", "get"),
        ("/v1/notification-templates", "post"),
        ("/v1/notification-templates/{workflow_id}", "get"),
        ("/v1/notification-templates/{workflow_id}", "put"),
        ("/v1/notification-templates/{workflow_id}", "delete"),
        ("/v1/feeds", "get"),
        ("/v1/feeds", "post"),
        ("/v1/feeds/{feed_id}", "delete"),
        ("/v1/layouts", "get"),
        ("/v1/layouts", "post"),
        ("/v1/layouts/{layout_id}", "get"),
        ("/v1/layouts/{layout_id}", "patch"),
        ("/v1/layouts/{layout_id}", "put"),
        ("/v1/layouts/{layout_id}", "delete"),
        ("/v1/layouts/{layout_id}/default", "post"),
        ("/v1/changes", "get"),
        ("/v1/changes/count", "get"),
        ("/v1/changes/{change_id}/apply", "post"),
        ("/v1/changes/bulk/apply", "post"),
        ("/v1/environments/api-keys", "get"),
        ("/v1/environments/api-keys/regenerate", "post"),
    }
