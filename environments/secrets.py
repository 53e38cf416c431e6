"""Secrets that Herald must read back (unlike API keys, kept as digests): encrypted at rest.

A client-side HMAC secret has to verify ``HMAC-SHA256(secret, subscriberId)``, so Herald needs
the secret itself, not a digest of it. It is stored as a Fernet token under
``settings.FIELD_ENCRYPTION_KEYS`` (newest first: MultiFernet encrypts with the first and
decrypts with any) when that setting lists keys, else under keys derived from ``SECRET_KEY``
and then each of ``SECRET_KEY_FALLBACKS``, so rotating ``SECRET_KEY`` the Django way keeps the
stored secrets readable. A database dump alone holds tokens only.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

DERIVATION_SALT = "herald.environments.secrets"


class SecretUnreadable(Exception):
    """A stored token decrypts under none of the configured keys."""


def _derived_key(secret_key: str) -> str:
    digest = hashlib.sha256(f"{DERIVATION_SALT}:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def encryption_keys() -> tuple[str, ...]:
    configured = tuple(key for key in getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or [] if key)
    if configured:
        return configured
    signing_keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return tuple(_derived_key(key) for key in signing_keys)


@lru_cache(maxsize=8)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def secret_encrypt(plain: str) -> str:
    return _cipher(encryption_keys()).encrypt(plain.encode()).decode()


def secret_decrypt(token: str) -> str:
    """The secret in ``token``; ``SecretUnreadable`` if no configured key opens it."""
    try:
        return _cipher(encryption_keys()).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as unreadable:
        raise SecretUnreadable(
            "This secret was encrypted with a key Herald no longer has: rotate it."
        ) from unreadable
