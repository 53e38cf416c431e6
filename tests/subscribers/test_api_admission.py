"""Every subscriber and topic route is admitted by a key, and its OpenAPI entry says so.

401 without a usable key, 413 for a body over the limit, 429 past the key's rate limit: each
is answered before the route runs, in Novu's error shape, and declared in /v1/openapi.json.
"""

import pytest
from django.test import Client

from tests.factories import SubscriberFactory, TopicFactory
from tests.subscribers.conftest import error_of

ROUTES = [
    ("get", "/v1/subscribers"),
    ("post", "/v1/subscribers"),
    ("post", "/v1/subscribers/bulk"),
    ("get", "/v1/subscribers/ada"),
    ("put", "/v1/subscribers/ada"),
    ("delete", "/v1/subscribers/ada"),
    ("get", "/v1/subscribers/ada/preferences"),
    ("patch", "/v1/subscribers/ada/preferences/wf"),
    ("put", "/v1/subscribers/ada/credentials"),
    ("delete", "/v1/subscribers/ada/credentials/slack"),
    ("post", "/v1/topics"),
    ("get", "/v1/topics"),
    ("get", "/v1/topics/news"),
    ("patch", "/v1/topics/news"),
    ("delete", "/v1/topics/news"),
    ("post", "/v1/topics/news/subscribers"),
    ("post", "/v1/topics/news/subscribers/removal"),
    ("get", "/v1/topics/news/subscribers/ada"),
]


def send(method, path, **headers):
    return getattr(Client(), method)(path, content_type="application/json", **headers)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_key_or_a_revoked_one_is_401(tenant, method, path):
    error_of(send(method, path), 401)
    error_of(send(method, path, HTTP_AUTHORIZATION="ApiKey herald_sk_nothing"), 401)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_body_over_the_limit_is_413(settings, development_api, method, path):
    response = send(
        method,
        path,
        HTTP_AUTHORIZATION=f"ApiKey {development_api.secret}",
        CONTENT_LENGTH=str(settings.API_MAX_BODY_BYTES + 1),
    )
    error_of(response, 413)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_past_the_rate_limit_is_429(settings, tenant, development_api, method, path):
    settings.API_RATE_LIMIT_BURST = 1
    settings.API_RATE_LIMIT_PER_MINUTE = 1  # No refill within the test, however slow it runs.
    SubscriberFactory(environment=tenant.development, subscriber_id="ada")
    TopicFactory(environment=tenant.development, key="news")
    key = f"ApiKey {development_api.secret}"
    send("get", "/v1/subscribers", HTTP_AUTHORIZATION=key)
    response = send(method, path, HTTP_AUTHORIZATION=key)
    error_of(response, 429)
    assert int(response["Retry-After"]) >= 1


def test_openapi_declares_every_status_each_route_answers(client):
    document = client.get("/v1/openapi.json").json()
    operations = {
        (method, path): operation
        for path, methods in document["paths"].items()
        if path.startswith(("/v1/subscribers", "/v1/topics"))
        for method, operation in methods.items()
    }
    assert len(operations) == len(ROUTES)
    for (method, path), operation in operations.items():
        declared = set(operation["responses"])
        assert {"401", "413", "429"} <= declared, (method, path)
        names_an_id = "{" in path
        if names_an_id:
            assert "404" in declared, (method, path)
        takes_input = "requestBody" in operation or any(
            parameter["in"] == "query" for parameter in operation.get("parameters", [])
        )
        if takes_input:
            assert "400" in declared, (method, path)
        for status, response in operation["responses"].items():
            if status != "204":
                assert "application/json" in response["content"], (method, path, status)
    assert "409" in operations[("post", "/v1/topics")]["responses"]
    assert "409" in operations[("delete", "/v1/topics/{key}")]["responses"]
