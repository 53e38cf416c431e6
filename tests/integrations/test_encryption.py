"""Credentials are encrypted at rest: no dump and no table holds a secret in clear, the keys
rotate with MultiFernet, and production refuses to run without keys of its own."""

import io
import json

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.db import connection

from environments.models import Environment
from environments.scoping import environment_scope
from environments.secrets import SecretUnreadable, secret_decrypt
from environments.services import client_hmac_enable
from integrations import checks
from integrations.encryption import credentials_decrypt
from integrations.models import Integration
from integrations.services import integration_create

SECRETS = {
    "password": "smtp-pass-Qz81vL0p",
    "apiKey": "SG.sendgrid-key-7Yh2Kk",
    "token": "twilio-token-3Jd9aa0b",
    "webhookUrl": "https://hooks.example.com/services/T0/B0/hook-secret-Vx4",
}


@pytest.fixture
def integrations_with_known_secrets(tenant):
    actor, environment = tenant.admin.user, tenant.production
    with environment_scope(environment):
        for provider_id, credentials in [
            ("nodemailer", {"host": "smtp.example.com", "port": 587, "user": "mailer",
                            "password": SECRETS["password"], "from": "ops@example.com"}),
            ("sendgrid", {"apiKey": SECRETS["apiKey"], "from": "ops@example.com"}),
            ("twilio", {"accountSid": "AC123", "token": SECRETS["token"], "from": "+15555550100"}),
            ("slack", {"webhookUrl": SECRETS["webhookUrl"]}),
        ]:  # fmt: skip
            integration_create(
                environment=environment, actor=actor, provider_id=provider_id,
                credentials=credentials,
            )  # fmt: skip


def test_a_dump_holds_no_secret(integrations_with_known_secrets):
    out = io.StringIO()
    call_command("dumpdata", "integrations", use_base_manager=True, stdout=out)
    dump = out.getvalue()
    assert '"credentials_ciphertext": "gAAAAA' in dump  # Fernet tokens, not values
    for secret in SECRETS.values():
        assert secret not in dump
    # The secret's fragments too (the token path of the webhook, the key without its prefix).
    assert "hook-secret" not in dump and "sendgrid-key" not in dump


def test_no_table_holds_a_secret_in_clear(integrations_with_known_secrets):
    """Every column of every table, as the database returns it (PostgreSQL in CI)."""
    seen = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            seen.extend(str(value) for row in cursor.fetchall() for value in row)
    text = "\n".join(seen)
    assert "smtp.example.com" not in text  # non-secret values are encrypted as well
    for secret in SECRETS.values():
        assert secret not in text


def test_credentials_decrypt_to_what_was_saved(integrations_with_known_secrets, tenant):
    with environment_scope(tenant.production):
        twilio = Integration.objects.get(provider_id="twilio")
    fresh = Integration.unscoped_across_environments.get(pk=twilio.pk)
    assert fresh.credentials == {"accountSid": "AC123", "token": SECRETS["token"],
                                 "from": "+15555550100"}  # fmt: skip


def test_keys_rotate_and_the_command_reencrypts_under_the_newest(tenant, settings):
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [key_a]
    with environment_scope(tenant.production):
        integration = integration_create(
            environment=tenant.production, actor=tenant.admin.user, provider_id="sendgrid",
            credentials={"apiKey": SECRETS["apiKey"], "from": "ops@example.com"},
        )  # fmt: skip
    under_a = integration.credentials_ciphertext
    Fernet(key_a).decrypt(under_a.encode())

    settings.FIELD_ENCRYPTION_KEYS = [key_b, key_a]
    assert credentials_decrypt(under_a)["apiKey"] == SECRETS["apiKey"]  # still readable
    out = io.StringIO()
    call_command("secrets_reencrypt", stdout=out)
    assert "Re-encrypted 1 integration credentials." in out.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [key_b]
    rotated = Integration.unscoped_across_environments.get(pk=integration.pk)
    assert rotated.credentials_ciphertext != under_a
    assert rotated.credentials["apiKey"] == SECRETS["apiKey"]
    # Without the command, B alone could not have read it.
    with pytest.raises(SecretUnreadable):
        credentials_decrypt(under_a)


def test_the_command_reencrypts_hmac_secrets_too(tenant, settings):
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [key_a]
    issued = client_hmac_enable(environment=tenant.production, actor=tenant.admin)
    settings.FIELD_ENCRYPTION_KEYS = [key_b, key_a]
    out = io.StringIO()
    call_command("secrets_reencrypt", stdout=out)
    assert "Re-encrypted 1 environment HMAC secrets." in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [key_b]
    production = Environment.objects.get(pk=tenant.production.pk)
    assert secret_decrypt(production.client_hmac_secret) == issued.secret


def test_the_command_names_rows_no_key_decrypts(tenant, settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with environment_scope(tenant.production):
        integration = integration_create(
            environment=tenant.production, actor=tenant.admin.user, provider_id="slack",
            credentials={"webhookUrl": SECRETS["webhookUrl"]},
        )  # fmt: skip
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError) as refused:
        call_command("secrets_reencrypt", stdout=io.StringIO())
    assert f"integration {integration.pk}" in str(refused.value)


def test_integrations_without_credentials_need_no_key(tenant, settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    # The in-app feed of a new environment: nothing to encrypt.
    with environment_scope(tenant.production):
        feed = Integration.objects.get(provider_id="novu")
    assert feed.credentials_ciphertext == "" and feed.credentials == {}


def test_deploy_check_refuses_missing_or_derived_keys(settings):
    settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_ENCRYPTION_KEYS_DERIVED = [], False
    assert [error.id for error in checks.encryption_keys_are_configured()] == ["integrations.E001"]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.FIELD_ENCRYPTION_KEYS_DERIVED = True
    assert [error.id for error in checks.encryption_keys_are_configured()] == ["integrations.E001"]
    settings.FIELD_ENCRYPTION_KEYS_DERIVED = False
    assert checks.encryption_keys_are_configured() == []


def test_a_malformed_key_is_reported_at_start_up(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    [error] = checks.encryption_keys_are_fernet_keys()
    assert error.id == "integrations.E002"


def test_check_deploy_reports_it(db, settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    with pytest.raises(SystemCheckError) as failed:
        call_command("check", "--deploy", "--tag", "security", stdout=io.StringIO())
    assert "integrations.E001" in str(failed.value)


def test_stored_json_is_not_readable_without_the_key(integrations_with_known_secrets, tenant):
    with environment_scope(tenant.production):
        token = Integration.objects.get(provider_id="slack").credentials_ciphertext
    with pytest.raises(ValueError):
        json.loads(token)
