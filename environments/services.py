from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from environments import policy
from environments.keys import digest_of, display_prefix_of, generate_secret
from environments.models import ApiKey, Environment
from environments.policy import Write

LAST_USED_RESOLUTION = timedelta(minutes=1)

ROTATION_GRACE_PERIODS = {
    "immediately": timedelta(0),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}


@dataclass(frozen=True)
class IssuedKey:
    """A key at the one moment its secret is known: right after it was made."""

    api_key: ApiKey
    secret: str


def api_key_issue(*, environment: Environment, name: str, created_by) -> IssuedKey:
    """Make a key without a permission check: for provisioning environments, whose callers
    have checked already. Operators go through ``api_key_create``."""
    secret = generate_secret()
    api_key = ApiKey.unscoped_across_environments.create(
        environment=environment,
        name=name,
        prefix=display_prefix_of(secret),
        digest=digest_of(secret),
        created_by=created_by,
    )
    return IssuedKey(api_key=api_key, secret=secret)


@transaction.atomic
def environment_pair_create(*, organization: Organization, created_by) -> list[IssuedKey]:
    """Give a new organization Development and Production (downstream of Development).

    Each gets its own Application Identifier and one API secret key; the keys are returned so
    the caller can show them once.
    """
    development = Environment.objects.create(
        organization=organization, name="Development", slug="development"
    )
    production = Environment.objects.create(
        organization=organization, name="Production", slug="production", upstream=development
    )
    return [
        api_key_issue(environment=environment, name="Default key", created_by=created_by)
        for environment in (development, production)
    ]


def _require_admin(*, actor, environment: Environment) -> None:
    policy.require(Write.SETTINGS, environment=environment, actor=actor)


@transaction.atomic
def api_key_create(*, environment: Environment, name: str, actor) -> IssuedKey:
    _require_admin(actor=actor, environment=environment)
    return api_key_issue(environment=environment, name=name, created_by=actor)


@transaction.atomic
def api_key_rotate(*, api_key: ApiKey, grace: timedelta, actor) -> IssuedKey:
    """Issue a replacement under the same name; the old key stays valid for ``grace``."""
    _require_admin(actor=actor, environment=api_key.environment)
    old = ApiKey.unscoped_across_environments.select_for_update().get(pk=api_key.pk)
    if not old.is_usable():
        raise PermissionDenied("This key is already revoked or expired; create a new key instead.")
    issued = api_key_issue(environment=old.environment, name=old.name, created_by=actor)
    expires_at = timezone.now() + grace
    if old.expires_at is None or old.expires_at > expires_at:
        old.expires_at = expires_at
    old.replaced_by = issued.api_key
    old.save(update_fields=["expires_at", "replaced_by"])
    return issued


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor) -> ApiKey:
    _require_admin(actor=actor, environment=api_key.environment)
    ApiKey.unscoped_across_environments.filter(pk=api_key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    api_key.refresh_from_db()
    return api_key


def api_key_authenticate(*, secret: str) -> ApiKey | None:
    """Resolve a presented secret to its key (and so its environment), or None.

    Revoked and expired keys resolve to None. ``last_used_at`` is written at most once a
    minute per key, so a busy key costs one UPDATE a minute, not one per request.
    """
    if not secret:
        return None
    # The digest is the only thing looked up; the secret itself is never stored or compared.
    api_key = (
        ApiKey.unscoped_across_environments.select_related("environment__organization")
        .filter(digest=digest_of(secret))
        .first()
    )
    now = timezone.now()
    if api_key is None or not api_key.is_usable(at=now):
        return None
    resolution_ago = now - LAST_USED_RESOLUTION
    if api_key.last_used_at is not None and api_key.last_used_at >= resolution_ago:
        return api_key  # written less than a minute ago: no query at all
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=resolution_ago)
    if ApiKey.unscoped_across_environments.filter(stale, pk=api_key.pk).update(last_used_at=now):
        api_key.last_used_at = now
    return api_key


def save_or_refuse_clash(instance, *, field: str, message: str):
    """Save ``instance``, or raise ValidationError on ``field`` if a unique constraint refuses
    it: two saves raced past the form's check, and the database decided. Nothing is saved then,
    and the surrounding transaction stays usable."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as clash:
        raise ValidationError({field: message}) from clash
    return instance
