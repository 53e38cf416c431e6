"""What a provider is: its credential fields, how it sends, and how a test reaches it."""

from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from integrations.answers import ProviderAnswer

SECRET_MASK = "********"
CREDENTIAL_MAX_LENGTH = 2_000

validate_url = URLValidator(schemes=["http", "https"], message="Enter a full https:// address.")
validate_email = EmailValidator(message="Enter an email address such as team@example.com.")


class FieldKind(StrEnum):
    TEXT = "text"
    EMAIL = "email"
    URL = "url"
    INTEGER = "integer"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class CredentialField:
    """One credential, under Novu's key for it. ``secret`` ones are write-only: stored
    encrypted like the rest, never shown again, masked in API answers."""

    key: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    secret: bool = False
    required: bool = False
    help_text: str = ""
    minimum: int | None = None
    maximum: int | None = None

    def clean(self, value):
        """The stored form of ``value``; raises ValidationError with a message for operators."""
        if self.kind is FieldKind.BOOLEAN:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "on", "1", "0", ""):
                return value.lower() in ("true", "on", "1")
            raise ValidationError("Send true or false.")
        if self.kind is FieldKind.INTEGER:
            if isinstance(value, bool):
                raise ValidationError("Enter a whole number.")
            try:
                number = int(str(value).strip())
            except ValueError as not_a_number:
                raise ValidationError("Enter a whole number.") from not_a_number
            if (self.minimum is not None and number < self.minimum) or (
                self.maximum is not None and number > self.maximum
            ):
                raise ValidationError(f"Enter a number from {self.minimum} to {self.maximum}.")
            return number
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValidationError("Send text.")
        text = str(value).strip()
        if len(text) > CREDENTIAL_MAX_LENGTH:
            raise ValidationError(f"Keep it under {CREDENTIAL_MAX_LENGTH} characters.")
        if "\x00" in text or any(0xD800 <= ord(character) <= 0xDFFF for character in text):
            raise ValidationError("Remove the NUL characters or unpaired surrogates.")
        if text and self.kind is FieldKind.EMAIL:
            validate_email(text)
        if text and self.kind is FieldKind.URL:
            validate_url(text)
        return text

    def is_empty(self, value) -> bool:
        return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class DestinationPrompt:
    """What the operator enters to receive a test: an address, a webhook URL, a number."""

    label: str
    kind: FieldKind
    help_text: str = ""
    required: bool = True


@dataclass(frozen=True)
class OutgoingMessage:
    """One message for one recipient. Email reads ``subject``, ``html`` and ``text``; chat and
    SMS read ``content``. ``to`` is the address, the webhook URL or the phone number."""

    to: str
    subject: str = ""
    html: str = ""
    text: str = ""
    content: str = ""


class Provider:
    """A provider of one channel, under Novu's provider id. Subclasses implement ``send``; the
    registry holds one instance per provider id."""

    def __init__(
        self,
        *,
        id: str,
        name: str,
        channel: str,
        fields: tuple[CredentialField, ...] = (),
        test_destination: DestinationPrompt | None = None,
        description: str = "",
        built_in: bool = False,
    ):
        self.id = id
        self.name = name
        self.channel = channel
        self.fields = fields
        self.test_destination = test_destination
        self.description = description
        # Made by Herald in every environment, one per environment (the in-app feed).
        self.built_in = built_in

    def __repr__(self):
        return f"<{type(self).__name__} {self.id}>"

    @property
    def logo(self) -> str:
        """The static path of the provider's mark."""
        return f"herald/providers/{self.id}.svg"

    @property
    def fields_by_key(self) -> dict[str, CredentialField]:
        return {credential.key: credential for credential in self.fields}

    def secret_values(self, credentials: dict) -> list[str]:
        return [
            str(credentials[credential.key])
            for credential in self.fields
            if credential.secret and credentials.get(credential.key)
        ]

    def missing_credentials(self, credentials: dict) -> list[CredentialField]:
        return [
            credential
            for credential in self.fields
            if credential.required and credential.is_empty(credentials.get(credential.key))
        ]

    def masked(self, credentials: dict) -> dict:
        """``credentials`` to show: every secret that is set becomes ``SECRET_MASK``."""
        return {
            credential.key: (
                SECRET_MASK
                if credential.secret and credentials.get(credential.key) not in (None, "")
                else credentials.get(credential.key)
            )
            for credential in self.fields
            if credential.key in credentials
        }

    def send(self, *, credentials: dict, message: OutgoingMessage, label: str) -> ProviderAnswer:
        """Deliver ``message``. Never raises for the provider's sake: every failure is an
        answer. ``label`` names the integration (its Provider Identifier) in connection names."""
        raise NotImplementedError


@dataclass(frozen=True)
class ProviderGroup:
    channel: str
    label: str
    providers: list[Provider] = field(default_factory=list)
