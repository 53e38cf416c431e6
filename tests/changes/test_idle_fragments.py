"""A fragment that loads itself must not load itself again: the sidebar count and the Release
card ask once, and their answers carry no ``load`` trigger, so an idle page stays quiet."""

import re

import pytest

from tests.changes.conftest import build_content, sync
from tests.factories import StepFactory

LOAD_TRIGGERS = re.compile(r'hx-trigger="(?:[^"]*,\s*)?load\b')
FRAGMENTS = ("changes/count/", "changes/summary/")


@pytest.fixture
def pending(tenant):
    content = build_content(tenant.development)
    sync(tenant)
    StepFactory(workflow=content.welcome, name="Extra")


@pytest.mark.parametrize("fragment", FRAGMENTS)
@pytest.mark.parametrize("environment_name", ["development", "production"])
def test_no_fragment_answers_with_a_load_trigger(
    tenant, pending, login, fragment, environment_name
):
    client = login(tenant.viewer.user)
    environment = getattr(tenant, environment_name)
    answer = client.get(tenant.url(environment, fragment), headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert not LOAD_TRIGGERS.search(answer.content.decode())


def test_the_count_has_a_number_where_there_is_a_downstream(tenant, pending, login):
    client = login(tenant.viewer.user)
    page = client.get(tenant.url(tenant.development)).content.decode()
    assert 'hx-trigger="load, changes-updated from:body"' in page  # the shell asks once
    badge = client.get(tenant.url(tenant.development, "changes/count/")).content.decode()
    assert 'aria-label="1 pending change"' in badge and ">1</span>" in badge


def test_the_last_environment_shows_and_loads_no_count(tenant, other_tenant, pending, login):
    client = login(tenant.viewer.user)
    for path in ("", "workflows/", "changes/", "changes/history/"):
        page = client.get(tenant.url(tenant.production, path)).content.decode()
        assert 'id="changes-count"' not in page, path
        assert "changes/count/" not in page, path
        assert 'data-testid="nav-changes"' in page  # the Changes page itself is still linked
    badge = client.get(
        tenant.url(tenant.production, "changes/count/"), headers={"HX-Request": "true"}
    )
    assert badge.status_code == 200 and badge.content.decode().strip() == ""
    # Another organization's Development still counts its own pending changes.
    build_content(other_tenant.development)
    other = login(other_tenant.viewer.user)
    badge = other.get(other_tenant.url(other_tenant.development, "changes/count/")).content.decode()
    assert 'aria-label="6 pending changes"' in badge
