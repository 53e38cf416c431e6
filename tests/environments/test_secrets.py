"""Secrets Herald must read back (integration credentials, the client-side HMAC secret) are
Fernet tokens at rest, under FIELD_ENCRYPTION_KEYS, newest first."""

import pytest
from cryptography.fernet import Fernet

from environments.secrets import (
    EncryptionKeysMissing,
    SecretUnreadable,
    secret_decrypt,
    secret_encrypt,
    secret_token_rotate,
)


def test_a_secret_round_trips_and_is_not_stored_in_clear():
    token = secret_encrypt("herald_hmac_abc")
    assert "herald_hmac_abc" not in token
    assert secret_decrypt(token) == "herald_hmac_abc"


def test_configured_keys_are_used_newest_first(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = secret_encrypt("s")
    assert Fernet(old).decrypt(token.encode()) == b"s"
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert secret_decrypt(token) == "s"
    assert Fernet(new).decrypt(secret_encrypt("t").encode()) == b"t"
    settings.FIELD_ENCRYPTION_KEYS = [new]
    with pytest.raises(SecretUnreadable):
        secret_decrypt(token)


def test_rotating_rewrites_a_token_under_the_newest_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = secret_encrypt("s")
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    rotated = secret_token_rotate(token)
    assert Fernet(new).decrypt(rotated.encode()) == b"s"


def test_without_keys_nothing_is_stored_or_read(settings):
    token = secret_encrypt("s")
    settings.FIELD_ENCRYPTION_KEYS = []
    with pytest.raises(EncryptionKeysMissing):
        secret_encrypt("s")
    with pytest.raises(EncryptionKeysMissing):
        secret_decrypt(token)


def test_garbage_is_unreadable():
    with pytest.raises(SecretUnreadable):
        secret_decrypt("not a token")
