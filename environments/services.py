import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from environments import policy
from environments.keys import digest_of, display_prefix_of, generate_secret
from environments.models import (
    CLIENT_ORIGINS_MAX,
    ORIGIN_MAX_LENGTH,
    ApiKey,
    ClientOrigin,
    Environment,
    user_of,
)
from environments.policy import Write
from environments.secrets import (
    EncryptionKeysMissing,
    SecretUnreadable,
    secret_decrypt,
    secret_encrypt,
)

LAST_USED_RESOLUTION = timedelta(minutes=1)

ROTATION_GRACE_PERIODS = {
    "immediately": timedelta(0),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
# How long a rotated key keeps working unless the operator chooses otherwise.
DEFAULT_ROTATION_GRACE = "24h"


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
        created_by=user_of(created_by),
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


class Conflict(ValidationError):
    """Refused because of what exists: a duplicate identifier or name, or a delete of
    something still in use.

    A ValidationError, so pages show it as a form error like any other; the API answers 409.
    """

    status = 409


def save_or_refuse_clash(instance, *, field: str, message: str):
    """Save ``instance``, or raise ``Conflict`` on ``field`` if a unique constraint refuses it:
    two saves raced past the form's check, and the database decided. Nothing is saved then, and
    the surrounding transaction stays usable."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as clash:
        raise Conflict({field: message}) from clash
    return instance


# Client-side apps: HMAC sessions and allowed origins -------------------------------------------

CLIENT_HMAC_SECRET_PREFIX = "herald_hmac_"


@dataclass(frozen=True)
class IssuedHmacSecret:
    """An HMAC secret at the one moment it is shown: right after it was made."""

    environment: Environment
    secret: str


def _locked_environment(environment: Environment) -> Environment:
    return Environment.objects.select_for_update().get(pk=environment.pk)


def _new_hmac_secret(locked: Environment, now) -> IssuedHmacSecret:
    secret = CLIENT_HMAC_SECRET_PREFIX + secrets.token_urlsafe(32)
    locked.client_hmac_secret = secret_encrypt(secret)
    locked.client_hmac_changed_at = now
    return IssuedHmacSecret(environment=locked, secret=secret)


@transaction.atomic
def client_hmac_enable(*, environment: Environment, actor) -> IssuedHmacSecret | None:
    """Require an HMAC hash from client sessions. Returns the secret when one had to be made
    (the first time); an environment that had one keeps it, so backends need no change."""
    _require_admin(actor=actor, environment=environment)
    locked = _locked_environment(environment)
    now = timezone.now()
    issued = None if locked.client_hmac_secret else _new_hmac_secret(locked, now)
    locked.client_hmac_enabled = True
    # Sessions started without a hash end now.
    locked.client_hmac_changed_at = now
    locked.save(
        update_fields=["client_hmac_enabled", "client_hmac_secret", "client_hmac_changed_at"]
    )
    return issued


@transaction.atomic
def client_hmac_disable(*, environment: Environment, actor) -> Environment:
    """Stop requiring the hash. The secret is kept for when HMAC is turned on again."""
    _require_admin(actor=actor, environment=environment)
    locked = _locked_environment(environment)
    locked.client_hmac_enabled = False
    locked.save(update_fields=["client_hmac_enabled"])
    return locked


@transaction.atomic
def client_hmac_rotate(*, environment: Environment, actor) -> IssuedHmacSecret:
    """A new secret at once: hashes of the old one stop working, and so do the sessions they
    started. (No grace period: a leaked secret lets anyone read any subscriber's feed.)"""
    _require_admin(actor=actor, environment=environment)
    locked = _locked_environment(environment)
    issued = _new_hmac_secret(locked, timezone.now())
    locked.save(update_fields=["client_hmac_secret", "client_hmac_changed_at"])
    return issued


def client_hmac_expected(*, environment: Environment, subscriber_id: str) -> str:
    """``HMAC-SHA256(secret, subscriberId)`` in hex; ``SecretUnreadable`` if the secret cannot
    be decrypted with the configured keys."""
    secret = secret_decrypt(environment.client_hmac_secret)
    return hmac.new(secret.encode(), subscriber_id.encode(), hashlib.sha256).hexdigest()


def client_hmac_matches(*, environment: Environment, subscriber_id: str, given: str) -> bool:
    if not environment.client_hmac_secret or not isinstance(given, str):
        return False
    try:
        expected = client_hmac_expected(environment=environment, subscriber_id=subscriber_id)
    except (SecretUnreadable, EncryptionKeysMissing):
        return False
    return hmac.compare_digest(expected, given.strip().lower())


def origin_problem(origin: str) -> str | None:
    """Why ``origin`` is not a web origin (``scheme://host[:port]``), or None."""
    if len(origin) > ORIGIN_MAX_LENGTH:
        return f"Keep each origin to {ORIGIN_MAX_LENGTH} characters."
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return f"“{origin}” is not an origin."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"“{origin}” is not an origin: write it as https://app.example.com."
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return (
            f"“{origin}” has more than an origin: leave out the path, like https://app.example.com."
        )
    return None


def origin_normalized(origin: str) -> str:
    parts = urlsplit(origin.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


@transaction.atomic
def client_origins_set(*, environment: Environment, origins: list[str], actor) -> list[str]:
    """Replace the origins allowed to call the client-side routes from a browser. Each is
    ``scheme://host[:port]``; ValidationError names the first one that is not."""
    _require_admin(actor=actor, environment=environment)
    wanted = list(dict.fromkeys(origin.strip() for origin in origins if origin.strip()))
    for origin in wanted:
        problem = origin_problem(origin)
        if problem:
            raise ValidationError({"origins": problem})
    wanted = list(dict.fromkeys(origin_normalized(origin) for origin in wanted))
    if len(wanted) > CLIENT_ORIGINS_MAX:
        raise ValidationError({"origins": f"List at most {CLIENT_ORIGINS_MAX} origins."})
    _locked_environment(environment)  # concurrent edits apply one after the other
    stored = ClientOrigin.unscoped_across_environments.filter(environment=environment)
    stored.exclude(origin__in=wanted).delete()
    ClientOrigin.unscoped_across_environments.bulk_create(
        [ClientOrigin(environment=environment, origin=origin) for origin in wanted],
        ignore_conflicts=True,
    )
    return sorted(wanted)


def client_origin_allowed(*, origin: str, environment_id=None) -> bool:
    """Whether ``environment_id`` lists ``origin``; without an environment (a CORS preflight,
    which carries no credentials), whether any environment lists it."""
    if not origin or len(origin) > ORIGIN_MAX_LENGTH or not is_storable_origin(origin):
        return False
    listed = ClientOrigin.unscoped_across_environments.filter(origin=origin_normalized(origin))
    if environment_id is not None:
        listed = listed.filter(environment_id=environment_id)
    return listed.exists()


def is_storable_origin(origin: str) -> bool:
    return "\x00" not in origin and origin.isprintable()
