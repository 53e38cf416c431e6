from django.conf import settings
from django.core import checks

from environments.secrets import configured_keys


@checks.register(checks.Tags.security)
def encryption_keys_are_fernet_keys(app_configs=None, **kwargs):
    """A malformed key would fail on the first credential saved: report it at start-up."""
    from cryptography.fernet import Fernet

    errors = []
    for position, key in enumerate(configured_keys(), start=1):
        try:
            Fernet(key)
        except ValueError:
            errors.append(
                checks.Error(
                    f"FIELD_ENCRYPTION_KEYS entry {position} is not a Fernet key.",
                    hint="A Fernet key is 32 random bytes in URL-safe base64 (44 characters); "
                    "generate one with cryptography's Fernet.generate_key().",
                    id="integrations.E002",
                )
            )
    return errors


@checks.register(checks.Tags.security, deploy=True)
def encryption_keys_are_configured(app_configs=None, **kwargs):
    """In production the keys must come from the environment, not from SECRET_KEY."""
    if not configured_keys() or getattr(settings, "FIELD_ENCRYPTION_KEYS_DERIVED", False):
        return [
            checks.Error(
                "FIELD_ENCRYPTION_KEYS is not set: integration credentials cannot be encrypted "
                "(or are encrypted with a development key derived from SECRET_KEY).",
                hint="Set FIELD_ENCRYPTION_KEYS to one or more Fernet keys, newest first, kept "
                "outside the database.",
                id="integrations.E001",
            )
        ]
    return []
