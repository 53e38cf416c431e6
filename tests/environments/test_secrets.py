"""Secrets Herald must read back (the client-side HMAC secret) are Fernet tokens at rest, under
FIELD_ENCRYPTION_KEYS when set, else under keys derived from SECRET_KEY and its fallbacks."""

import pytest
from cryptography.fernet import Fernet

from environments.secrets import SecretUnreadable, secret_decrypt, secret_encrypt


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


def test_rotating_secret_key_keeps_secrets_readable_through_its_fallbacks(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.SECRET_KEY = "first-key-" + "x" * 40
    token = secret_encrypt("s")
    settings.SECRET_KEY = "second-key-" + "y" * 40
    with pytest.raises(SecretUnreadable):
        secret_decrypt(token)
    settings.SECRET_KEY_FALLBACKS = ["first-key-" + "x" * 40]
    assert secret_decrypt(token) == "s"


def test_garbage_is_unreadable():
    with pytest.raises(SecretUnreadable):
        secret_decrypt("not a token")
