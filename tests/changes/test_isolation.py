"""Two organizations: nothing of one is seen, applied or reverted through the other."""

from changes.diff import ChangeSet
from changes.services import changes_promote_all
from tests.changes.conftest import rehash
from workflows.models import Workflow


def test_pages_and_history_stay_inside_the_organization(
    tenant, content, other_tenant, other_content, login
):
    Workflow.unscoped_across_environments.filter(pk=other_content.welcome.pk).update(
        name="Globex secret"
    )
    rehash(tenant, other_tenant)
    other_promotion = changes_promote_all(
        source=other_tenant.development, actor=other_tenant.admin.user
    ).promotion
    client = login(tenant.admin.user)

    page = client.get(tenant.url(tenant.development, "changes/")).content.decode()
    assert "Development and Production are in sync" in page
    assert "Globex secret" not in page
    history = client.get(tenant.url(tenant.development, "changes/history/")).content.decode()
    assert "Globex" not in history
    assert (
        client.get(
            tenant.url(tenant.development, f"changes/history/{other_promotion.pk}/")
        ).status_code
        == 404
    )
    response = client.post(
        tenant.url(tenant.development, f"changes/history/{other_promotion.pk}/revert/")
    )
    assert response.status_code == 404
    # Not a member of Globex: its Changes page does not exist for this user.
    assert client.get(other_tenant.url(other_tenant.development, "changes/")).status_code == 404


def test_applying_another_organizations_change_id_does_nothing(
    tenant, content, other_tenant, other_content, login
):
    Workflow.unscoped_across_environments.filter(pk=other_content.welcome.pk).update(name="Gx")
    rehash(tenant, other_tenant)
    foreign = ChangeSet.compute(
        source=other_tenant.development, target=other_tenant.production
    ).changes[0]
    client = login(tenant.admin.user)
    client.post(
        tenant.url(tenant.development, "changes/apply/"),
        {"change_id": foreign.change_id, "fingerprint": foreign.fingerprint},
    )
    assert (
        Workflow.unscoped_across_environments.get(
            environment=other_tenant.production, origin_id=other_content.welcome.origin_id
        ).name
        == "Welcome"
    )
    assert (
        len(ChangeSet.compute(source=other_tenant.development, target=other_tenant.production)) == 1
    )
