"""The overview's Release card: pending changes downstream and the last promotion."""

from tests.changes.conftest import build_content, sync


def summary(client, tenant, environment):
    return client.get(tenant.url(environment, "changes/summary/")).content.decode()


def test_the_overview_loads_the_release_card(client, login, tenant):
    login(tenant.viewer.user)
    page = client.get(tenant.url(tenant.development)).content.decode()
    assert 'data-testid="release-card"' in page
    assert f'hx-get="{tenant.url(tenant.development, "changes/summary/")}"' in page
    # Without JavaScript the card still leads to the Changes page.
    assert f'href="{tenant.url(tenant.development, "changes/")}"' in page


def test_the_card_counts_pending_changes_then_says_in_sync(client, login, tenant, other_tenant):
    build_content(tenant.development)
    build_content(other_tenant.development)
    login(tenant.viewer.user)
    text = summary(client, tenant, tenant.development)
    assert (
        "pending changes</strong> from Development to Production: 6 created, 0 updated, 0 deleted"
        in text
    )
    sync(tenant)
    text = summary(client, tenant, tenant.development)
    assert "Development and Production are in sync." in text
    assert "Last: Promote all by" in text


def test_the_last_environment_has_nothing_downstream(client, login, tenant):
    login(tenant.viewer.user)
    assert "end of the chain" in summary(client, tenant, tenant.production)
