"""Subscribers and topics: runtime data of one environment, never promoted.

The same ``subscriber_id`` in Development and in Production names two different people, each
with their own preferences, credentials and topics. Every row the API shows carries a random
``public_id`` (its ``_id``), never the sequential primary key.
"""

import json
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.db.backends.ddl_references import Statement
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from environments.models import EnvironmentScopedModel

SUBSCRIBER_ID_MAX_LENGTH = 200
NAME_MAX_LENGTH = 100
PHONE_MAX_LENGTH = 32
AVATAR_MAX_LENGTH = 500
LOCALE_MAX_LENGTH = 35
# `data` is free-form JSON that templates read: small enough to render and to diff.
DATA_MAX_BYTES = 16 * 1024
DATA_MAX_DEPTH = 8
TOPIC_KEY_MAX_LENGTH = 100
TOPIC_NAME_MAX_LENGTH = 100
WEBHOOK_URL_MAX_LENGTH = 1000
DEVICE_TOKENS_MAX = 20
DEVICE_TOKEN_MAX_LENGTH = 500
INTEGRATION_IDENTIFIER_MAX_LENGTH = 100

# Novu's preference channels. Workflows have no push steps yet; a push preference is still kept,
# so clients that set it read it back.
PREFERENCE_CHANNELS = ("email", "sms", "in_app", "chat", "push")

# Where a subscriber's chat and push messages go: Novu's chat and push provider ids.
CHAT_PROVIDER_IDS = (
    "slack",
    "discord",
    "msteams",
    "mattermost",
    "ryver",
    "zulip",
    "grafana-on-call",
    "getstream",
    "rocket-chat",
    "whatsapp-business",
)
PUSH_PROVIDER_IDS = ("fcm", "apns", "expo", "one-signal", "pushpad", "push-webhook", "pusher-beams")
CREDENTIAL_PROVIDER_IDS = CHAT_PROVIDER_IDS + PUSH_PROVIDER_IDS

validate_http_url = URLValidator(
    schemes=["http", "https"], message="Enter a full http:// or https:// address."
)
validate_locale = RegexValidator(
    r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*\Z",
    "Enter a language tag such as en, en-US or pt_BR.",
)
validate_phone = RegexValidator(
    r"^\+?[0-9 ().-]{3,31}\Z",
    "Enter a phone number: digits, spaces, dashes, dots or brackets, optionally after a +.",
)
validate_topic_key = RegexValidator(
    r"^[A-Za-z0-9_.:-]+\Z",
    "Use letters, digits and _ - : . only (no spaces or slashes).",
)


def is_storable_text(text: str) -> bool:
    """Whether every database can store ``text``: PostgreSQL refuses NUL characters, and no
    database takes a lone surrogate, which has no UTF-8 form. Decoded JSON can hold both."""
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def validate_storable_text(value) -> None:
    if isinstance(value, str) and not is_storable_text(value):
        raise ValidationError(
            "Remove the NUL characters or unpaired surrogates from this text.", code="unstorable"
        )


def _walk_json(value) -> tuple[int, bool]:
    """(nesting depth, whether every string is storable) of decoded JSON, without recursion,
    so no input can exhaust the stack."""
    deepest, storable, pending = 0, True, [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, str):
            storable = storable and is_storable_text(current)
        elif isinstance(current, dict | list):
            deepest = max(deepest, depth)
            if isinstance(current, dict):
                storable = storable and all(map(is_storable_text, map(str, current)))
                children = current.values()
            else:
                children = current
            pending.extend((child, depth + 1) for child in children)
    return deepest, storable


def validate_subscriber_data(value) -> None:
    """``data`` is a JSON object of at most DATA_MAX_BYTES, nested at most DATA_MAX_DEPTH."""
    if not isinstance(value, dict):
        raise ValidationError("Send a JSON object.", code="type")
    depth, storable = _walk_json(value)
    if depth > DATA_MAX_DEPTH:
        raise ValidationError(f"Nest at most {DATA_MAX_DEPTH} levels deep.", code="depth")
    if not storable:
        raise ValidationError(
            "Remove the NUL characters or unpaired surrogates from its text.", code="unstorable"
        )
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > DATA_MAX_BYTES:
        raise ValidationError(
            f"Keep it under {DATA_MAX_BYTES // 1024} KB of JSON (this is {size:,} bytes).",
            code="size",
        )


def validate_device_tokens(value) -> None:
    if not isinstance(value, list) or not all(isinstance(token, str) for token in value):
        raise ValidationError("Send a list of strings.", code="type")
    if len(value) > DEVICE_TOKENS_MAX:
        raise ValidationError(f"Send at most {DEVICE_TOKENS_MAX} device tokens.", code="size")
    if any(not token or len(token) > DEVICE_TOKEN_MAX_LENGTH for token in value):
        raise ValidationError(
            f"Each device token has 1 to {DEVICE_TOKEN_MAX_LENGTH} characters.", code="length"
        )
    for token in value:
        validate_storable_text(token)


class PrefixSearchIndex(models.Index):
    """``(environment, lower(field))``, for case-insensitive prefix search within an environment.

    PostgreSQL serves ``LIKE 'abc%'`` from a btree only under the C collation, or with the
    ``text_pattern_ops`` operator class, which this index adds there. Other databases get the
    plain expression index.
    """

    def __init__(self, *, field: str, name: str):
        self.search_field = field
        super().__init__(F("environment"), Lower(field), name=name)

    def deconstruct(self):
        path, _, _ = super().deconstruct()
        return path, (), {"field": self.search_field, "name": self.name}

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        # Written out: Django's OpClass() needs django.contrib.postgres installed.
        quote = schema_editor.quote_name
        return Statement(
            "CREATE INDEX %(concurrently)s%(name)s ON %(table)s "
            "(%(environment)s, (LOWER(%(column)s)) text_pattern_ops)",
            concurrently="CONCURRENTLY " if kwargs.get("concurrently") else "",
            name=quote(self.name),
            table=quote(model._meta.db_table),
            environment=quote(model._meta.get_field("environment").column),
            column=quote(model._meta.get_field(self.search_field).column),
        )


class Subscriber(EnvironmentScopedModel):
    """Someone an environment notifies, known by the client's own ``subscriber_id``."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscriber_id = models.CharField(
        "subscriber ID", max_length=SUBSCRIBER_ID_MAX_LENGTH, validators=[validate_storable_text]
    )
    email = models.EmailField(blank=True, validators=[validate_storable_text])
    first_name = models.CharField(
        max_length=NAME_MAX_LENGTH, blank=True, validators=[validate_storable_text]
    )
    last_name = models.CharField(
        max_length=NAME_MAX_LENGTH, blank=True, validators=[validate_storable_text]
    )
    phone = models.CharField(max_length=PHONE_MAX_LENGTH, blank=True, validators=[validate_phone])
    avatar = models.CharField(
        "avatar URL",
        max_length=AVATAR_MAX_LENGTH,
        blank=True,
        validators=[validate_storable_text, validate_http_url],
    )
    locale = models.CharField(
        max_length=LOCALE_MAX_LENGTH, blank=True, validators=[validate_locale]
    )
    data = models.JSONField(default=dict, blank=True, validators=[validate_subscriber_data])
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "subscriber_id"], name="subscriber_id_per_env"
            ),
        ]
        indexes = [
            # The list, newest first, read a page at a time after a cursor.
            models.Index(fields=["environment", "-id"], name="subscriber_newest_per_env"),
            PrefixSearchIndex(field="subscriber_id", name="subscriber_search_id"),
            PrefixSearchIndex(field="email", name="subscriber_search_email"),
            PrefixSearchIndex(field="first_name", name="subscriber_search_first"),
            PrefixSearchIndex(field="last_name", name="subscriber_search_last"),
        ]

    def __str__(self):
        return self.subscriber_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class SubscriberPreference(EnvironmentScopedModel):
    """A subscriber's choice for one workflow. A channel left ``None`` follows the workflow's
    default; critical workflows ignore preferences altogether."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="preferences")
    workflow = models.ForeignKey(
        "workflows.Workflow", on_delete=models.CASCADE, related_name="subscriber_preferences"
    )
    enabled = models.BooleanField(default=True)
    email = models.BooleanField(null=True, blank=True)
    sms = models.BooleanField(null=True, blank=True)
    in_app = models.BooleanField(null=True, blank=True)
    chat = models.BooleanField(null=True, blank=True)
    push = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "workflow"], name="subscriber_preference_per_workflow"
            ),
        ]

    def __str__(self):
        return f"{self.subscriber} · {self.workflow}"

    def channel_choices(self) -> dict[str, bool | None]:
        return {channel: getattr(self, channel) for channel in PREFERENCE_CHANNELS}


class SubscriberCredential(EnvironmentScopedModel):
    """Where one provider delivers to this subscriber: a chat webhook, or push device tokens."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="credentials")
    provider_id = models.CharField(
        "provider", max_length=40, choices=[(p, p) for p in CREDENTIAL_PROVIDER_IDS]
    )
    integration_identifier = models.CharField(
        max_length=INTEGRATION_IDENTIFIER_MAX_LENGTH,
        blank=True,
        validators=[validate_storable_text],
    )
    webhook_url = models.CharField(
        "webhook URL",
        max_length=WEBHOOK_URL_MAX_LENGTH,
        blank=True,
        validators=[validate_storable_text, validate_http_url],
    )
    device_tokens = models.JSONField(default=list, blank=True, validators=[validate_device_tokens])
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["provider_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "provider_id"], name="subscriber_credential_per_provider"
            ),
        ]

    def __str__(self):
        return f"{self.subscriber} · {self.provider_id}"


class Topic(EnvironmentScopedModel):
    """A named group of subscribers that a trigger can address at once, by ``key``."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField(max_length=TOPIC_KEY_MAX_LENGTH, validators=[validate_topic_key])
    name = models.CharField(max_length=TOPIC_NAME_MAX_LENGTH, validators=[validate_storable_text])
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["environment", "key"], name="topic_key_per_env"),
        ]

    def __str__(self):
        return self.key


class TopicSubscription(EnvironmentScopedModel):
    """A subscriber's membership of a topic. Both belong to the subscription's environment."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriptions")
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="topic_subscriptions"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Also the index that pages through a topic's members in subscriber order.
            models.UniqueConstraint(fields=["topic", "subscriber"], name="topic_subscription_once"),
        ]

    def __str__(self):
        return f"{self.subscriber} in {self.topic}"
