"""The Integrations pages: admins change integrations in every environment, Production
included; editors and viewers cannot; other organizations get 404; secrets are write-only."""

import re

import pytest

from environments.scoping import environment_scope
from integrations.models import Integration
from tests.factories import IntegrationFactory

SMTP_FORM = {
    "name": "Transactional mail",
    "identifier": "",
    "active": "on",
    "credentials.host": "127.0.0.1",
    "credentials.port": "2525",
    "credentials.user": "mailer",
    "credentials.password": "smtp-secret-Lq3",
    "credentials.from": "orders@acme.test",
    "credentials.senderName": "Acme",
}


def integrations_of(environment):
    with environment_scope(environment):
        return list(Integration.objects.order_by("id"))


def test_an_admin_adds_an_integration_in_production(tenant, login):
    client = login(tenant.admin.user)
    store = client.get(tenant.url(tenant.production, "integrations/store/")).content.decode()
    assert f'href="{tenant.url(tenant.production, "integrations/new/nodemailer/")}"' in store
    assert "herald/providers/slack.svg" in store and "Herald in-app feed" in store

    response = client.post(tenant.url(tenant.production, "integrations/new/nodemailer/"), SMTP_FORM)
    assert response.status_code == 302
    [_feed, added] = integrations_of(tenant.production)
    assert (added.name, added.provider_id, added.channel) == (
        "Transactional mail",
        "nodemailer",
        "email",
    )
    assert re.fullmatch(r"nodemailer-[a-z0-9]{6}", added.identifier)
    assert added.credentials["password"] == "smtp-secret-Lq3" and added.primary

    page = client.get(response["Location"]).content.decode()
    assert (
        f'<code id="identifier-{added.public_id}" class="copy-field__value">{added.identifier}</code>'
        in page
    )
    assert f'data-copy-target="identifier-{added.public_id}"' in page
    assert "never promoted" in page and "admins change its integrations here" in page
    assert integrations_of(tenant.development)[1:] == []  # nothing reached Development


def test_editors_and_viewers_cannot_change_integrations(tenant, login):
    integration = IntegrationFactory(environment=tenant.production)
    for member in (tenant.editor, tenant.viewer):
        client = login(member.user)
        page = client.get(tenant.url(tenant.production, "integrations/")).content.decode()
        assert integration.identifier in page  # they may read the list
        assert "Make primary" not in page and "Add integration" not in page
        assert "Only an admin of Acme can change them." in page
        base = f"integrations/{integration.public_id}/"
        for path, data in [
            ("integrations/store/", None),
            ("integrations/new/nodemailer/", SMTP_FORM),
            (base + "edit/", {"name": "x"}),
            (base + "primary/", {}),
            (base + "activation/", {"active": "false"}),
            (base + "delete/", {}),
            (base + "test/", {"destination": "a@example.com"}),
        ]:
            if data is None:
                response = client.get(tenant.url(tenant.production, path))
            else:
                response = client.post(tenant.url(tenant.production, path), data)
            assert response.status_code == 403, path
            assert b"Only an admin of Acme can change Production" in response.content
    integration.refresh_from_db()
    assert integration.active and not integration.primary


def test_another_organization_gets_404(tenant, other_tenant, login):
    integration = IntegrationFactory(environment=tenant.production)
    client = login(other_tenant.admin.user)
    assert client.get(tenant.url(tenant.production, "integrations/")).status_code == 404
    # Their own environment does not reach our integration by its id either.
    for path in ("edit/", "test/", "delete/"):
        url = other_tenant.url(
            other_tenant.production, f"integrations/{integration.public_id}/{path}"
        )
        assert client.get(url).status_code == 404


def test_secrets_are_write_only_and_an_empty_field_keeps_them(tenant, login):
    integration = IntegrationFactory(
        environment=tenant.production,
        credentials={"host": "smtp.acme.test", "port": 587, "password": "smtp-secret-Lq3",
                     "from": "orders@acme.test"},
    )  # fmt: skip
    client = login(tenant.admin.user)
    url = tenant.url(tenant.production, f"integrations/{integration.public_id}/edit/")
    page = client.get(url).content.decode()
    assert "smtp-secret-Lq3" not in page
    assert 'value="smtp.acme.test"' in page  # non-secret values are shown
    assert "Saved: leave empty to keep it." in page
    password = re.search(r'<input[^>]*name="credentials.password"[^>]*>', page).group(0)
    assert "value=" not in password and 'type="password"' in password

    form = {**SMTP_FORM, "identifier": integration.identifier, "credentials.password": "",
            "credentials.host": "smtp2.acme.test"}  # fmt: skip
    assert client.post(url, form).status_code == 302
    integration.refresh_from_db()
    assert integration.credentials["password"] == "smtp-secret-Lq3"
    assert integration.credentials["host"] == "smtp2.acme.test"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"identifier": "Not A Slug"}, "identifier", "Use lowercase letters, digits"),
        ({"credentials.port": "99999"}, "credentials.port", "less than or equal to 65535"),
        ({"credentials.from": "nobody"}, "credentials.from", "Enter a valid email address"),
        ({"credentials.host": ""}, "credentials.host", "Custom SMTP needs the Host"),
    ],
)
def test_invalid_input_is_explained_on_the_form(tenant, login, change, field, message):
    client = login(tenant.admin.user)
    response = client.post(
        tenant.url(tenant.production, "integrations/new/nodemailer/"), {**SMTP_FORM, **change}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].errors[field]
    assert len(integrations_of(tenant.production)) == 1  # only the in-app feed


def test_a_clashing_identifier_is_a_form_error(tenant, login):
    IntegrationFactory(environment=tenant.production, identifier="mail")
    client = login(tenant.admin.user)
    response = client.post(
        tenant.url(tenant.production, "integrations/new/nodemailer/"),
        {**SMTP_FORM, "identifier": "mail"},
    )
    assert (
        "already has" in response.content.decode()
        or "has the Provider Identifier “mail”" in response.content.decode()
    )


def test_make_primary_and_deactivate_with_and_without_htmx(tenant, login):
    first = IntegrationFactory(environment=tenant.production, primary=True)
    second = IntegrationFactory(environment=tenant.production)
    client = login(tenant.admin.user)
    base = tenant.url(tenant.production, f"integrations/{second.public_id}/")

    response = client.post(base + "primary/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="integration-list"')
    assert "is now the primary email integration" in fragment  # the message, out of band
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.primary, second.primary) == (False, True)

    response = client.post(base + "activation/", {"active": "false"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.active, second.primary) == (False, False)


def test_delete_asks_first_and_the_feed_cannot_be_deleted(tenant, login):
    integration = IntegrationFactory(environment=tenant.production, name="Old mail")
    client = login(tenant.admin.user)
    url = tenant.url(tenant.production, f"integrations/{integration.public_id}/delete/")
    confirmation = client.get(url).content.decode()
    assert "Delete “Old mail”?" in confirmation and "This cannot be undone." in confirmation
    assert Integration.unscoped_across_environments.filter(pk=integration.pk).exists()
    assert client.post(url).status_code == 302
    assert not Integration.unscoped_across_environments.filter(pk=integration.pk).exists()

    [feed] = integrations_of(tenant.production)
    page = client.get(tenant.url(tenant.production, "integrations/")).content.decode()
    assert f"integrations/{feed.public_id}/delete/" not in page
    response = client.post(tenant.url(tenant.production, f"integrations/{feed.public_id}/delete/"))
    assert response.status_code == 409
    assert "deactivate it instead" in response.content.decode()


def test_send_test_shows_the_provider_answer(tenant, login, smtp_server):
    integration = IntegrationFactory(
        environment=tenant.production,
        credentials={"host": "127.0.0.1", "port": smtp_server.port, "password": "pw-Secret-1",
                     "from": "orders@acme.test"},
    )  # fmt: skip
    client = login(tenant.admin.user)
    url = tenant.url(tenant.production, f"integrations/{integration.public_id}/test/")
    assert "Send the test to" in client.get(url).content.decode()
    response = client.post(url, {"destination": "ops@example.com"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="send-test">')
    assert 'data-testid="provider-answer"' in page and "Sent" in page
    assert '<code data-testid="answer-status">250</code>' in page
    assert "2.0.0 Ok: queued as H3RALD" in page
    [mail] = smtp_server.received
    assert mail.recipients == ["ops@example.com"]
    assert f"Test from Herald: {integration.name}" == mail.message["Subject"]
    assert "pw-Secret-1" not in page


def test_send_test_refuses_a_bad_destination_without_sending(tenant, login):
    integration = IntegrationFactory(environment=tenant.production)
    client = login(tenant.admin.user)
    url = tenant.url(tenant.production, f"integrations/{integration.public_id}/test/")
    response = client.post(url, {"destination": "not-an-address"})
    assert response.status_code == 200
    assert "Enter an email address" in response.content.decode()
    assert 'data-testid="provider-answer"' not in response.content.decode()


def test_the_sidebar_links_the_page_under_settings(tenant, login):
    page = login(tenant.viewer.user).get(tenant.url(tenant.development)).content.decode()
    settings_nav = page[page.index("Settings</p>") :]
    assert f'href="{tenant.url(tenant.development, "integrations/")}"' in settings_nav


def test_the_list_costs_the_same_with_many_integrations(
    tenant, login, django_assert_max_num_queries
):
    for _ in range(12):
        IntegrationFactory(environment=tenant.production)
    client = login(tenant.admin.user)
    with django_assert_max_num_queries(12):
        response = client.get(tenant.url(tenant.production, "integrations/"))
    assert response.content.decode().count("Make primary") == 12


def test_activating_an_incomplete_integration_is_explained_in_the_messages_area(tenant, login):
    incomplete = IntegrationFactory(
        environment=tenant.production, channel="sms", provider_id="twilio",
        credentials={"accountSid": "AC1"}, active=False,
    )  # fmt: skip
    client = login(tenant.admin.user)
    url = tenant.url(tenant.production, f"integrations/{incomplete.public_id}/activation/")
    response = client.post(url, {"active": "true"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#messages"
    assert "Twilio needs the Auth token to be active" in response.content.decode()
    incomplete.refresh_from_db()
    assert not incomplete.active
