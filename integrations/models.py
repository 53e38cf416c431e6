"""Integrations: the providers an environment delivers through, each with its own credentials.

Environment-local configuration, like API keys: never promoted, edited by admins in every
environment, Production included. Each integration has a **Provider Identifier**
(``identifier``), unique in its environment, that triggers name in
``overrides.{channel}.integrationIdentifier`` and subscribers in their chat credentials.
"""

import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from environments.models import EnvironmentScopedModel
from integrations.encryption import credentials_decrypt, credentials_encrypt
from workflows.models import Channel

IDENTIFIER_MAX_LENGTH = 100
NAME_MAX_LENGTH = 100

validate_identifier = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z",
    "Use lowercase letters, digits and single hyphens (no spaces), e.g. sendgrid-x7k2p9.",
)


class Integration(EnvironmentScopedModel):
    """One integration of a provider in one environment.

    At most one integration per channel and environment is ``primary``: delivery uses it
    unless a trigger names another by its Provider Identifier. The credentials are one Fernet
    token of their JSON (``integrations.encryption``); the keys are never in the database.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    provider_id = models.CharField("provider", max_length=40)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    identifier = models.CharField(
        "Provider Identifier", max_length=IDENTIFIER_MAX_LENGTH, validators=[validate_identifier]
    )
    active = models.BooleanField(default=True)
    primary = models.BooleanField(default=False)
    credentials_ciphertext = models.TextField(blank=True, default="", editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["channel", "-primary", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "identifier"], name="integration_identifier_per_env"
            ),
            models.UniqueConstraint(
                fields=["environment", "channel"],
                condition=Q(primary=True),
                name="integration_one_primary_per_channel",
            ),
        ]
        indexes = [models.Index(fields=["environment", "channel"], name="integration_by_channel")]

    def __str__(self):
        return f"{self.name} ({self.identifier})"

    @property
    def provider(self):
        from integrations.providers import provider_get

        return provider_get(self.provider_id)

    @property
    def credentials(self) -> dict:
        """The decrypted credentials. Raises ``SecretUnreadable`` or
        ``EncryptionKeysMissing`` (environments.secrets) when they cannot be read."""
        cached = getattr(self, "_credentials", None)
        if cached is None:
            cached = self._credentials = credentials_decrypt(self.credentials_ciphertext)
        return dict(cached)

    def refresh_from_db(self, *args, **kwargs):
        self._credentials = None
        super().refresh_from_db(*args, **kwargs)

    def store_credentials(self, values: dict) -> None:
        """Encrypt ``values`` under the newest key; does not save."""
        self.credentials_ciphertext = credentials_encrypt(values)
        self._credentials = dict(values)
