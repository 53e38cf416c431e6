"""Isolation over every route of the API: a key of environment A reaches none of environment B's
objects. A is B's other environment in the same organization, or an environment of another
organization. Ids from B answer 404 (never 403, which would confirm they exist), and nothing
of B changes.

The routes come from the OpenAPI document, so a new route is covered the moment it exists. The
ids come from B itself: every public id of every scoped row, and the natural keys clients use
(subscriberId, topic key, provider ids). A positive control proves the pool reaches each
route: with B's own key, every GET route with path parameters answers 2xx for some id.
"""

import itertools
import json

import pytest
from django.apps import apps

from api.api import api as ninja_api
from environments.models import EnvironmentScopedModel
from tests.factories import (
    FeedFactory,
    LayoutFactory,
    NotificationFactory,
    StepFactory,
    WorkflowFactory,
)

# Routes that client-side apps call with a session token, not an API key.
TOKEN_ROUTES = "/v1/widgets/"
UNSAFE = ("post", "put", "patch", "delete")


NOWHERE = {
    "subscriber": ["nobody-anywhere"],
    "topic": ["no-topic-anywhere"],
    "provider": ["slack"],
    "transaction": ["no-transaction-anywhere"],
    "public": ["00000000-0000-4000-8000-000000000000"],
}


def _operations():
    document = ninja_api.get_openapi_schema()
    for path, methods in document["paths"].items():
        if path.startswith(TOKEN_ROUTES) or "{" not in path:
            continue
        for method in methods:
            yield method, path


def _scoped_models():
    return [
        model
        for model in apps.get_models()
        if issubclass(model, EnvironmentScopedModel)
        and any(field.name == "public_id" for field in model._meta.fields)
    ]


def _candidates(pool: dict[str, list[str]], parameter: str) -> list[str]:
    """The ids worth trying for a path parameter, by its name."""
    name = parameter.lower()
    if "subscriber" in name:
        return pool["subscriber"]
    if name in ("key", "topic_key", "topickey"):
        return pool["topic"]
    if "provider" in name:
        return pool["provider"]
    if "transaction" in name:
        return pool["transaction"]
    return pool["public"]


def _paths(path: str, pool) -> list[str]:
    parameters = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    choices = [_candidates(pool, parameter) for parameter in parameters]
    concrete = []
    for values in itertools.product(*choices):
        filled = path
        for parameter, value in zip(parameters, values, strict=True):
            filled = filled.replace("{" + parameter + "}", value, 1)
        concrete.append(filled)
    return concrete


def _send(client, method, path, secret):
    headers = {"Authorization": f"ApiKey {secret}"}
    if method == "get":
        return client.get(path, headers=headers)
    return getattr(client, method)(
        path, json.dumps({}), content_type="application/json", headers=headers
    )


def _snapshot(environment) -> dict:
    """Every scoped row of ``environment``, as it is stored."""
    return {
        model.__name__: sorted(
            map(
                str,
                model.unscoped_across_environments.filter(environment=environment)
                .order_by("pk")
                .values_list(),
            )
        )
        for model in apps.get_models()
        if issubclass(model, EnvironmentScopedModel)
        and model.__name__ not in ("ApiKey",)  # last-used and rate-limit stamps move on reads
    }


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    """The matrix sends hundreds of requests with one key; a 429 would hide the answer."""
    settings.API_RATE_LIMIT_BURST = 1_000_000


@pytest.fixture
def victim(tenant, api, issue_key):
    """Environment B: Acme's Development, with one of everything, made through its own API."""
    environment = tenant.development
    secret = issue_key(environment, name="B").secret
    client = api(secret)
    workflow = WorkflowFactory(environment=environment, identifier="b-welcome")
    StepFactory(workflow=workflow)
    FeedFactory(environment=environment)
    LayoutFactory(environment=environment)
    NotificationFactory(trigger__environment=environment)
    assert client.send("post", "/subscribers", {"subscriberId": "b-ada"}).status_code == 201
    assert (
        client.send(
            "put",
            "/subscribers/b-ada/credentials",
            {"providerId": "slack", "credentials": {"webhookUrl": "https://hooks.example.com/b"}},
        ).status_code
        == 200
    )
    assert client.send("post", "/topics", {"key": "b-topic", "name": "B"}).status_code == 201
    assert (
        client.send("post", "/topics/b-topic/subscribers", {"subscribers": ["b-ada"]}).status_code
        == 200
    )
    public_ids = [
        str(public_id)
        for model in _scoped_models()
        for public_id in model.unscoped_across_environments.filter(
            environment=environment
        ).values_list("public_id", flat=True)
    ]
    transaction_ids = []
    for model in apps.get_models():
        if issubclass(model, EnvironmentScopedModel) and any(
            field.name == "transaction_id" for field in model._meta.fields
        ):
            transaction_ids += list(
                model.unscoped_across_environments.filter(environment=environment)
                .exclude(transaction_id="")
                .values_list("transaction_id", flat=True)
            )
    pool = {
        "subscriber": ["b-ada"],
        "topic": ["b-topic"],
        "provider": ["slack"],
        "transaction": transaction_ids or ["b-transaction"],
        "public": public_ids,
    }
    return environment, secret, pool


def test_every_get_route_with_an_id_is_reachable_with_the_pool(client, victim):
    """The control: B's own key finds B's objects, so the refusals below mean something."""
    _, secret, pool = victim
    unreached = [
        path
        for method, path in _operations()
        if method == "get"
        and not any(
            200 <= _send(client, "get", concrete, secret).status_code < 300
            for concrete in _paths(path, pool)
        )
    ]
    assert unreached == [], f"Teach the pool an id these routes accept: {unreached}"


@pytest.mark.parametrize("attacker", ["other environment", "other organization"])
def test_a_key_of_another_environment_reaches_nothing(
    client, victim, tenant, other_tenant, issue_key, attacker
):
    environment, _, pool = victim
    intruder = tenant.production if attacker == "other environment" else other_tenant.development
    secret = issue_key(intruder, name="A").secret
    before = _snapshot(environment)
    leaks = []
    for method, path in _operations():
        # What the route answers for an id that exists nowhere: a refusal that does not depend
        # on the id (a content write in read-only Production is 403 for every id) reveals nothing.
        nowhere = _send(client, method, _paths(path, NOWHERE)[0], secret)
        for concrete in _paths(path, pool):
            response = _send(client, method, concrete, secret)
            same_as_nowhere = (response.status_code, response.content) == (
                nowhere.status_code,
                nowhere.content,
            )
            if response.status_code < 400 or (response.status_code == 403 and not same_as_nowhere):
                leaks.append(f"{method.upper()} {concrete} -> {response.status_code}")
    assert leaks == []
    assert _snapshot(environment) == before


def test_the_matrix_covers_routes_of_every_kind():
    covered = {path.split("/")[2] for _, path in _operations()}
    assert {"subscribers", "topics"} <= covered
    assert any(method in UNSAFE for method, _ in _operations())
