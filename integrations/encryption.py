"""Credentials at rest: one secret (``environments.secrets``) holding the values as JSON."""

import json

from environments.secrets import secret_decrypt, secret_encrypt


def credentials_encrypt(values: dict) -> str:
    """A token of ``values`` under the newest key; ``""`` for no values at all, which needs no
    key, so integrations without credentials work before keys are configured."""
    if not values:
        return ""
    return secret_encrypt(json.dumps(values, sort_keys=True, separators=(",", ":")))


def credentials_decrypt(token: str) -> dict:
    """The values of ``token``. Raises ``SecretUnreadable`` or ``EncryptionKeysMissing``."""
    return json.loads(secret_decrypt(token)) if token else {}
