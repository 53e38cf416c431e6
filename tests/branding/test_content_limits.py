"""A layout's HTML has a maximum length, refused with a message at the field."""

from branding.models import Layout

HTML = "<div>{{ content }}</div>"


def test_layout_html_over_50000_characters_is_refused(client, login, tenant, other_tenant):
    login(tenant.editor.user)
    too_long = HTML + "x" * (50_001 - len(HTML))

    response = client.post(
        tenant.url(tenant.development, "layouts/new/"),
        {"name": "Receipt", "identifier": "", "html": too_long},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Ensure this value has at most 50000 characters (it has 50001)." in body
    assert not Layout.unscoped_across_environments.exists()

    response = client.post(
        tenant.url(tenant.development, "layouts/new/"),
        {"name": "Receipt", "identifier": "", "html": too_long[:50_000]},
    )
    assert response.status_code == 302
    assert Layout.unscoped_across_environments.get().environment == tenant.development
