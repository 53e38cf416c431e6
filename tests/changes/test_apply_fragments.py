"""One htmx response carries every update of an Apply: its row, and out of band the sidebar
count and the toolbar, so the page sends no other request."""

import re

from changes.diff import ChangeSet
from tests.changes.conftest import rehash
from workflows.models import Workflow


def oob_element(html: str, element_id: str) -> str:
    match = re.search(
        rf'<[a-z]+ id="{element_id}"[^>]*hx-swap-oob="true"[^>]*>.*?</(span|div)>', html, re.S
    )
    assert match, f"no out-of-band #{element_id} in the response"
    return match.group(0)


def test_apply_answers_with_the_row_the_count_and_the_toolbar(tenant, content, login):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    Workflow.unscoped_across_environments.filter(pk=content.receipt.pk).update(name="Paid")
    rehash(tenant)
    change = next(
        c
        for c in ChangeSet(source=tenant.development, target=tenant.production).changes
        if c.name == "Hello"
    )
    client = login(tenant.editor.user)

    response = client.post(
        tenant.url(tenant.development, "changes/apply/"),
        {"change_id": change.change_id, "fingerprint": change.fingerprint},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Trigger" not in response  # nothing asks for the count or the toolbar again
    assert 'data-testid="applied-row"' in html and "Applied to Production" in html
    badge = oob_element(html, "changes-count")
    assert ">1</span>" in badge and 'aria-label="1 pending change"' in badge
    toolbar = html[html.index('id="changes-toolbar"') :]
    assert 'hx-swap-oob="true"' in toolbar.split(">", 1)[0]
    assert "<strong>1 pending change</strong>" in toolbar
    assert "0 created, 1 updated, 0 deleted" in toolbar
    assert 'Promote all changes <span class="button__count">1</span>' in toolbar


def test_applying_the_last_change_says_all_applied(tenant, content, login):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    [change] = ChangeSet(source=tenant.development, target=tenant.production).changes
    client = login(tenant.editor.user)

    html = client.post(
        tenant.url(tenant.development, "changes/apply/"),
        {"change_id": change.change_id, "fingerprint": change.fingerprint},
        HTTP_HX_REQUEST="true",
    ).content.decode()

    assert ">0</span>" in oob_element(html, "changes-count")
    assert "<strong>All applied.</strong> Development and Production are in sync." in html
    assert "Promote all changes" not in html


def test_pages_render_the_count_and_toolbar_in_place(tenant, content, login):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant)
    page = login(tenant.editor.user).get(tenant.url(tenant.development, "changes/"))
    assert "hx-swap-oob" not in page.content.decode()


def test_a_malformed_apply_is_answered_not_a_server_error(tenant, content, login):
    client = login(tenant.editor.user)
    for change_id in ["", "workflow", "workflow:not-a-uuid", "nothing:123", "x" * 500]:
        response = client.post(
            tenant.url(tenant.development, "changes/apply/"),
            {"change_id": change_id, "fingerprint": "whatever"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200, change_id
        assert "Already applied." in response.content.decode()
    discard = client.get(tenant.url(tenant.development, "changes/discard/?change=workflow:zz"))
    assert discard.status_code == 302
    for query in ["?page=abc", "?page=99999", "?type=nonsense", "?page=-1"]:
        assert client.get(tenant.url(tenant.development, f"changes/{query}")).status_code == 200
