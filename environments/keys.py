"""API secret keys: how they look, and how they are stored (a digest, never the key)."""

import hashlib
import secrets

SECRET_KEY_PREFIX = "herald_sk_"
# What the credentials page shows of a key: enough to tell keys apart, far too little to use.
DISPLAY_PREFIX_LENGTH = len(SECRET_KEY_PREFIX) + 6


def generate_secret() -> str:
    """A new key: the recognisable prefix and 32 random bytes, URL-safe."""
    return SECRET_KEY_PREFIX + secrets.token_urlsafe(32)


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix_of(secret: str) -> str:
    return secret[:DISPLAY_PREFIX_LENGTH]
