"""Secrets Herald must read back, encrypted at rest: integration credentials and client-side HMAC
secrets. (API keys are different: Herald keeps their digests and never reads them back.)

Each is a Fernet token under the keys of ``settings.FIELD_ENCRYPTION_KEYS``, newest first.
``MultiFernet`` encrypts with the first and decrypts with any, so rotating is: put the new key in
front, run ``manage.py secrets_reencrypt`` (which rewrites every token under the new key), then
drop the old key. The keys never reach the database; a dump holds tokens only.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEYS_MISSING_MESSAGE = (
    "FIELD_ENCRYPTION_KEYS is not set, so Herald cannot store or read secrets (integration "
    "credentials, HMAC secrets). Set it to one or more Fernet keys, newest first (see the README)."
)
UNREADABLE_MESSAGE = (
    "This secret was encrypted with a key that FIELD_ENCRYPTION_KEYS no longer lists. Put the "
    "old key back (after the new one), or enter the secret again."
)


class EncryptionKeysMissing(ImproperlyConfigured):
    """No encryption key is configured, so no secret can be stored or read."""


class SecretUnreadable(Exception):
    """A stored token decrypts under none of the configured keys: a key was removed before the
    re-encryption ran, or the row was copied from another installation."""


def configured_keys() -> tuple[str, ...]:
    return tuple(key for key in getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or [] if key)


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _cipher() -> MultiFernet:
    """Raises ``EncryptionKeysMissing`` without keys, and ``ValueError`` for a key that is not a
    Fernet key (the system check reports both at start-up)."""
    keys = configured_keys()
    if not keys:
        raise EncryptionKeysMissing(KEYS_MISSING_MESSAGE)
    return _multi_fernet(keys)


def secret_encrypt(plain: str) -> str:
    """A token of ``plain`` under the newest key."""
    return _cipher().encrypt(plain.encode()).decode()


def secret_decrypt(token: str) -> str:
    """The secret in ``token``. Raises ``SecretUnreadable`` or ``EncryptionKeysMissing``."""
    try:
        return _cipher().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as unreadable:
        raise SecretUnreadable(UNREADABLE_MESSAGE) from unreadable


def secret_token_rotate(token: str) -> str:
    """``token`` re-encrypted under the newest key (the same secret). Raises like decrypting."""
    try:
        return _cipher().rotate(token.encode()).decode()
    except (InvalidToken, ValueError) as unreadable:
        raise SecretUnreadable(UNREADABLE_MESSAGE) from unreadable
