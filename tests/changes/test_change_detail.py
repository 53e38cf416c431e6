"""A row's warnings and diff load when it is opened: one request for one change, by htmx into
the row, or a page of its own without JavaScript."""

from changes.diff import ChangeSet
from tests.changes.conftest import change_detail, rehash
from workflows.models import Step, Workflow


def _edit_welcome(tenant, content):
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(
        subject="Order {{ payload.orderId }}"
    )
    rehash(tenant)
    return ChangeSet(source=tenant.development, target=tenant.production).changes[0]


def test_the_page_holds_no_diff_until_a_row_is_opened(tenant, content, login):
    change = _edit_welcome(tenant, content)
    client = login(tenant.editor.user)
    url = tenant.url(tenant.development, "changes/")

    page = client.get(url).content.decode()
    assert 'data-testid="diff"' not in page
    assert 'hx-trigger="toggle once from:closest details"' in page
    assert f'hx-get="{url}change/?change={change.change_id.replace(":", "%3A")}"' in page

    detail = change_detail(client, url, change.change_id)
    assert "<html" not in detail  # a fragment, swapped into the row
    assert 'data-testid="diff"' in detail
    assert "Welcome aboard" in detail and "Order {{ payload.orderId }}" in detail
    assert "This change adds variables: <code>payload.orderId</code>" in detail
    assert "Discard change" in detail  # an editor may discard


def test_without_javascript_the_link_opens_a_page_of_its_own(tenant, content, login):
    change = _edit_welcome(tenant, content)
    client = login(tenant.viewer.user)

    response = client.get(
        tenant.url(tenant.development, "changes/change/"), {"change": change.change_id}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Workflow “Welcome”</h1>" in html
    assert 'data-testid="diff"' in html
    assert "Back to Changes" in html
    assert "Discard change" not in html  # a viewer may not


def test_a_change_no_longer_pending_says_so(tenant, content, login):
    change = _edit_welcome(tenant, content)
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(
        subject=content.steps[1].subject
    )
    rehash(tenant)
    client = login(tenant.editor.user)
    url = tenant.url(tenant.development, "changes/")

    assert 'data-testid="change-gone"' in change_detail(client, url, change.change_id)
    assert client.get(f"{url}change/", {"change": change.change_id}).status_code == 404
    for malformed in ("", "workflow:not-a-uuid", "nothing:1", "x" * 5000):
        assert 'data-testid="change-gone"' in change_detail(client, url, malformed)


def test_another_organizations_change_is_not_found(
    tenant, other_tenant, content, other_content, login
):
    Workflow.unscoped_across_environments.filter(pk=other_content.welcome.pk).update(name="Theirs")
    rehash(other_tenant)
    [theirs] = ChangeSet(source=other_tenant.development, target=other_tenant.production).changes
    client = login(tenant.editor.user)

    detail = change_detail(client, tenant.url(tenant.development, "changes/"), theirs.change_id)

    assert 'data-testid="change-gone"' in detail and "Theirs" not in detail
