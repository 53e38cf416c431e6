"""The API writes content through the dashboard's services, so every stored content hash stays
that of its document, and the sidebar badge follows the API's writes too."""

from changes.diff import ChangeSet
from changes.documents import content_hashes_check
from changes.selectors import pending_change_count
from tests.api.test_notification_templates import welcome_body
from tests.factories import LayoutFactory, WorkflowGroupFactory

HTML = "<div>{{ content }}</div>"


def pending(tenant) -> int:
    return len(ChangeSet(source=tenant.development, target=tenant.production))


def test_api_writes_keep_every_hash_and_the_badge_current(tenant, development_api):
    WorkflowGroupFactory(environment=tenant.development, name="General")
    LayoutFactory(environment=tenant.development, identifier="base", html=HTML, is_default=True)
    assert pending_change_count(tenant.development) == pending(tenant) == 2

    created = development_api.post("/notification-templates", welcome_body())
    workflow_id = created.json()["data"]["_id"]
    assert pending_change_count(tenant.development) == pending(tenant) == 3
    updated = development_api.put(
        f"/notification-templates/{workflow_id}",
        {"steps": [{"template": {"type": "chat", "content": "Hello {{ payload.channel }}"}}]},
    )
    layout = development_api.post(
        "/layouts", {"name": "Other", "identifier": "other", "content": HTML}
    )
    layout_id = layout.json()["data"]["_id"]
    patched = development_api.patch(f"/layouts/{layout_id}", {"name": "Renamed"})
    made_default = development_api.post(f"/layouts/{layout_id}/default")

    assert [response.status_code for response in (created, updated, layout, patched)] == [
        201,
        200,
        201,
        200,
    ]
    assert made_default.status_code == 204
    assert content_hashes_check() == []
    assert pending_change_count(tenant.development) == pending(tenant) == 4
    deleted = development_api.delete(f"/notification-templates/{workflow_id}")
    assert deleted.status_code in (200, 204)
    assert content_hashes_check() == []
    assert pending_change_count(tenant.development) == pending(tenant) == 3
