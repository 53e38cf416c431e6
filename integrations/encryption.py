"""Credentials at rest: Fernet tokens under the keys of ``settings.FIELD_ENCRYPTION_KEYS``.

The keys are listed newest first. ``MultiFernet`` encrypts with the first and decrypts with any,
so rotating is: put the new key in front, run ``integration_credentials_reencrypt`` (which
rewrites every token under the new key), then drop the old key. The keys never reach the
database; a dump holds tokens only.
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialsKeyMissing(ImproperlyConfigured):
    """No encryption key is configured, so no credential can be stored or read."""


class CredentialsUnreadable(Exception):
    """A stored token decrypts under none of the configured keys: a key was removed before the
    re-encryption ran, or the row was copied from another installation."""


KEYS_MISSING_MESSAGE = (
    "FIELD_ENCRYPTION_KEYS is not set, so Herald cannot store or read integration credentials. "
    "Set it to one or more Fernet keys, newest first (see the README)."
)


def configured_keys() -> tuple[str, ...]:
    return tuple(key for key in getattr(settings, "FIELD_ENCRYPTION_KEYS", []) if key)


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def credentials_cipher() -> MultiFernet:
    """The cipher of the configured keys. Raises ``CredentialsKeyMissing`` without keys, and
    ``ValueError`` for a key that is not a Fernet key (the system check reports both)."""
    keys = configured_keys()
    if not keys:
        raise CredentialsKeyMissing(KEYS_MISSING_MESSAGE)
    return _multi_fernet(keys)


def credentials_encrypt(values: dict) -> str:
    """A token of ``values`` (JSON) under the newest key; ``""`` for no values at all, which
    needs no key, so integrations without credentials work before keys are configured."""
    if not values:
        return ""
    plain = json.dumps(values, sort_keys=True, separators=(",", ":")).encode()
    return credentials_cipher().encrypt(plain).decode()


def credentials_decrypt(token: str) -> dict:
    """The values of ``token``. Raises ``CredentialsUnreadable`` or ``CredentialsKeyMissing``."""
    if not token:
        return {}
    try:
        plain = credentials_cipher().decrypt(token.encode())
    except InvalidToken as unreadable:
        raise CredentialsUnreadable(
            "These credentials were encrypted with a key that FIELD_ENCRYPTION_KEYS no longer "
            "lists. Put the old key back (after the new one), or enter the credentials again."
        ) from unreadable
    return json.loads(plain)


def credentials_token_rotate(token: str) -> str:
    """``token`` re-encrypted under the newest key (same values). Raises like decrypting."""
    if not token:
        return token
    try:
        return credentials_cipher().rotate(token.encode()).decode()
    except InvalidToken as unreadable:
        raise CredentialsUnreadable("A token decrypts under none of the configured keys.") from (
            unreadable
        )
