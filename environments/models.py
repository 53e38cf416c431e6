import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from environments.scoping import EnvironmentScopedManager


def new_application_identifier() -> str:
    return secrets.token_urlsafe(12)


class Environment(models.Model):
    """A world of its own inside an organization: its own data and its own credentials.

    An environment with an ``upstream`` receives promotions from it and is read-only for
    promotable content. Chains are linear: Development → (Staging →) Production.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="environments"
    )
    name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=60)
    upstream = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="downstream",
    )
    application_identifier = models.CharField(
        max_length=32, unique=True, default=new_application_identifier, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Client-side apps (the in-app feed): with HMAC on, a session names a subscriber only with
    # ``HMAC-SHA256(secret, subscriberId)`` computed by the customer's backend. The secret is a
    # Fernet token (``environments.secrets``): Herald must read it back to verify hashes.
    client_hmac_enabled = models.BooleanField("HMAC for client sessions", default=False)
    client_hmac_secret = models.TextField(blank=True, editable=False)
    # Sessions started before this moment end: after a rotation the old hashes are worthless.
    client_hmac_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "slug"], name="environment_slug_per_org"
            ),
            models.UniqueConstraint(
                fields=["organization", "name"], name="environment_name_per_org"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_read_only(self) -> bool:
        return self.upstream_id is not None

    @property
    def url_kwargs(self) -> dict[str, str]:
        """The keyword arguments of every URL inside this environment."""
        return {"organization_slug": self.organization.slug, "environment_slug": self.slug}

    def get_downstream(self) -> "Environment | None":
        try:
            return self.downstream
        except Environment.downstream.RelatedObjectDoesNotExist:
            return None


class EnvironmentScopedModel(models.Model):
    """Base of every row that belongs to exactly one environment.

    ``objects`` answers only inside ``environment_scope()`` and raises outside it.
    ``unscoped_across_environments`` is for promotion, migrations, commands and tasks that
    filter by environment themselves.
    """

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="+")

    objects = EnvironmentScopedManager()
    unscoped_across_environments = models.Manager()  # noqa: DJ012

    class Meta:
        abstract = True


class PromotableModel(EnvironmentScopedModel):
    """Content that moves from an environment to its downstream by promotion.

    ``origin_id`` is given at creation and kept by every downstream copy, so promotion matches
    copies by it: renaming an entity or changing its identifier is an update, never a
    delete plus a create.

    ``public_id`` is this row's own id, the API's ``_id``: every copy has its own, so an id
    names one row in one environment. Promotion never copies it, and documents leave it out.
    """

    origin_id = models.UUIDField(default=uuid.uuid4, editable=False)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    # When this copy was made in this environment (a promoted copy is made when it arrives).
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The hash of the entity's canonical document (``changes.documents.content_hash_of``),
    # written by every write path. NULL means not computed yet: such a row always shows as a
    # pending change, never as silently equal.
    content_hash = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "origin_id"], name="%(app_label)s_%(class)s_origin_per_env"
            )
        ]
        # Change detection joins the two environments on origin_id and compares hashes; this
        # index answers it from the index alone.
        indexes = [
            models.Index(fields=["environment", "origin_id", "content_hash"], name="%(class)s_hash")
        ]

    def record_edit_by(self, actor) -> None:
        """Note who changed this entity and when (the Changes page shows it); does not save."""
        self.updated_by = user_of(actor)
        self.updated_at = timezone.now()


ORIGIN_MAX_LENGTH = 200
CLIENT_ORIGINS_MAX = 20


class ClientOrigin(EnvironmentScopedModel):
    """A web origin (``https://app.example.com``) whose pages may call the client-side routes
    (``/v1/widgets/``) of this environment from a browser (CORS)."""

    origin = models.CharField(max_length=ORIGIN_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["origin"]
        constraints = [
            models.UniqueConstraint(fields=["environment", "origin"], name="client_origin_per_env"),
        ]
        indexes = [
            # A preflight names no environment: "is it listed anywhere" reads this index.
            models.Index(fields=["origin"], name="client_origin_lookup"),
        ]

    def __str__(self):
        return self.origin


def user_of(actor):
    """The person behind ``actor``, for "by whom" columns: a User, a Membership's user, or None
    for an API key (its writes are attributed by name where a record keeps one)."""
    from accounts.models import Membership

    if isinstance(actor, Membership):
        return actor.user
    return actor if getattr(actor, "is_authenticated", False) else None


class ApiKey(EnvironmentScopedModel):
    """An API secret key. Only its SHA-256 digest and a short display prefix are stored."""

    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=24)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The API rate limit's token bucket (api/throttling.py): its theoretical arrival time.
    rate_limit_tat = models.DateTimeField(null=True, blank=True, editable=False)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, *, at=None) -> bool:
        at = at or timezone.now()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > at

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None:
            return "expiring" if self.expires_at > timezone.now() else "expired"
        return "active"
