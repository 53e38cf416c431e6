"""Sessions of client-side apps: the in-app feed, admitted by the Application Identifier.

A client app starts a session for one subscriber of one environment and gets a short-lived
token, signed with Django's signing (``SECRET_KEY``, its own salt) and valid for
``CLIENT_SESSION_SECONDS``. The token carries the environment's id, the subscriber's public id,
whether an HMAC hash vouched for it, and when it was issued; nothing is stored on the server.

The token admits its bearer to that subscriber's feed and nothing else: every route runs in
the scope of the token's environment, on the token's subscriber. Turning HMAC on, or rotating
its secret, ends the sessions started before (``Environment.client_hmac_changed_at``).

Without HMAC, the Application Identifier is public, so anyone can start a session for any
subscriber ID: such a session may create a new subscriber with its profile, but never changes
the profile of an existing one (that would let a stranger redirect someone's emails). With
HMAC on, the customer's backend vouches for the subscriber ID, and the profile fields apply.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError

from environments.models import Environment
from environments.policy import ClientSession
from environments.services import client_hmac_matches
from subscribers.models import Subscriber
from subscribers.services import SubscriberProfile, subscriber_id_problem, subscriber_identify

SESSION_TOKEN_SALT = "herald.activity.client-session"


class SessionRefused(Exception):
    """The session cannot start: ``status`` and ``message`` say why, for the API."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class SessionClaims:
    environment_id: str
    subscriber_public_id: str
    hmac_verified: bool
    issued_at: float


@dataclass(frozen=True)
class StartedSession:
    token: str
    subscriber: Subscriber


def session_token_issue(*, subscriber: Subscriber, hmac_verified: bool) -> str:
    claims = {
        "e": str(subscriber.environment_id),
        "s": str(subscriber.public_id),
        "h": int(hmac_verified),
        "t": round(time.time(), 3),
    }
    return signing.dumps(claims, salt=SESSION_TOKEN_SALT, compress=False)


def session_token_read(token: str) -> SessionClaims | None:
    """The claims of a valid, unexpired token; None for anything else."""
    if not token or len(token) > 1000:
        return None
    try:
        claims = signing.loads(
            token, salt=SESSION_TOKEN_SALT, max_age=settings.CLIENT_SESSION_SECONDS
        )
        return SessionClaims(
            environment_id=str(claims["e"]),
            subscriber_public_id=str(claims["s"]),
            hmac_verified=bool(claims["h"]),
            issued_at=float(claims["t"]),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def session_is_current(claims: SessionClaims, environment: Environment) -> bool:
    """Whether the environment's HMAC settings still admit a session with these claims."""
    if not environment.client_hmac_enabled:
        return True
    changed_at = environment.client_hmac_changed_at
    return claims.hmac_verified and (
        changed_at is None or claims.issued_at >= changed_at.timestamp()
    )


def session_subscriber(claims: SessionClaims) -> Subscriber | None:
    """The token's subscriber, with its environment and organization, in one query; None when
    it was deleted or the environment's HMAC settings changed since the token was issued.

    Maintenance-style lookup across environments: the token, verified above, names both."""
    subscriber = (
        Subscriber.unscoped_across_environments.select_related("environment__organization")
        .filter(environment_id=claims.environment_id, public_id=claims.subscriber_public_id)
        .first()
    )
    if subscriber is None or not session_is_current(claims, subscriber.environment):
        return None
    return subscriber


def environment_by_application_identifier(identifier) -> Environment | None:
    if not isinstance(identifier, str) or not identifier or len(identifier) > 64:
        return None
    return (
        Environment.objects.select_related("organization")
        .filter(application_identifier=identifier)
        .first()
    )


def client_session_start(
    *,
    environment: Environment,
    subscriber_id: str,
    hmac_hash: str | None,
    profile: SubscriberProfile,
) -> StartedSession:
    """Start a session for ``subscriber_id`` (created when new) in ``environment``, which the
    caller has scoped. Raises ``SessionRefused`` (401 for a missing or wrong hash) or
    ``ValidationError`` for an ID or profile that cannot be stored."""
    problem = subscriber_id_problem(subscriber_id)
    if problem:
        raise ValidationError({"subscriberId": problem})
    verified = False
    if environment.client_hmac_enabled:
        if not hmac_hash:
            raise SessionRefused(
                401,
                f"{environment.name} requires an hmacHash: HMAC-SHA256 of the subscriberId "
                "with the environment's HMAC secret, computed by your backend.",
            )
        if not client_hmac_matches(
            environment=environment, subscriber_id=subscriber_id, given=hmac_hash
        ):
            raise SessionRefused(401, "The hmacHash does not match this subscriberId.")
        verified = True
    actor = ClientSession(environment_id=environment.pk, subscriber_id=subscriber_id)
    subscriber = Subscriber.objects.filter(subscriber_id=subscriber_id).first()
    if subscriber is None or (verified and profile.changes()):
        subscriber = subscriber_identify(
            environment=environment, subscriber_id=subscriber_id, profile=profile, actor=actor
        ).subscriber
    token = session_token_issue(subscriber=subscriber, hmac_verified=verified)
    return StartedSession(token=token, subscriber=subscriber)
