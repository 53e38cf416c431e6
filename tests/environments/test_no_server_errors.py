"""No page answers 500, whatever the input: every environment route is fetched and posted to
with junk parameters, in Development and in Production, with sample ids and real ones."""

from types import SimpleNamespace

import pytest
from django.core.management import call_command

from accounts.models import Organization, User
from tests.environments.test_read_only import ROUTES, SAMPLE_VALUES, _concrete_path

JUNK_QUERIES = [
    "",
    "?page=abc",
    "?page=-1&type=nonsense&q=%3Cscript%3E",
    "?group=not-a-number&active=maybe&sort=%00",
    "?payload=%7Bnot+json&subscriber=%5B%5D",
]
JUNK_FORM = {"name": "", "html": "{% if", "payload": "{", "grace": "forever", "role": "owner"}
# The demo's rows have small ids; with these the detail pages render real objects.
REAL_IDS = ("1", "2", "3", "5", "8")


@pytest.fixture
def demo_admin(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    settings.DEBUG = False
    return User.objects.get(email="demo@example.com")


def _paths(route, organization, environment):
    tenant = SimpleNamespace(organization=organization)
    sample = _concrete_path(route, tenant, environment)
    if "<int:" not in route:
        return [sample]
    return [sample] + [sample.replace(SAMPLE_VALUES["int"], pk) for pk in REAL_IDS]


@pytest.mark.parametrize("route", [route for route, _ in ROUTES])
def test_every_route_survives_junk_input(client, demo_admin, route):
    client.force_login(demo_admin, backend="django.contrib.auth.backends.ModelBackend")
    organization = Organization.objects.get(slug="acme")
    for environment in organization.environments.all():
        for path in _paths(route, organization, environment):
            for query in JUNK_QUERIES:
                response = client.get(path + query)
                assert response.status_code < 500, f"GET {path}{query}: {response.status_code}"
                response = client.post(path + query, JUNK_FORM)
                assert response.status_code < 500, f"POST {path}{query}: {response.status_code}"
