"""Admission of the client-side routes (``/v1/widgets/``): the in-app feed of client apps.

These routes are not admitted by an API key. Starting a session names the environment by its
public Application Identifier (``admit_client_app``); every other route carries the session's
token, ``Authorization: Bearer <token>`` (``admit_with_session_token``), which names one
subscriber of one environment. The whole operation then runs inside that environment's scope,
on that subscriber, so a token of one environment reaches nothing of another.

Both refuse, in Novu's error shape: a body over the limit (413), a browser request from an
origin the environment does not list (403, see ``environments.cors``), and more requests than
the rate limit allows (429, per client address to start sessions, per subscriber after).
"""

from functools import wraps

from ninja.security import HttpBearer

from activity.sessions import session_subscriber, session_token_read
from api.authentication import body_too_large_response
from api.errors import error_response
from api.throttling import bucket_rate_limit_take
from config.proxy import client_address
from environments.cors import origin_refused
from environments.policy import ClientSession
from environments.scoping import environment_scope

BEARER_SCHEME = "bearer"


def origin_refusal(environment):
    return error_response(
        403,
        f"This origin may not call {environment.name}'s client-side routes. An admin lists "
        "the origins of your app on the API Keys page.",
    )


def _rate_limited(decision):
    return error_response(
        429,
        f"Too many requests. Retry in {decision.retry_after} s.",
        headers=decision.headers(),
    )


def _with_rate_headers(response, decision):
    for header, value in decision.headers().items():
        response[header] = value
    return response


def admit_client_app(run):
    """Size and rate limit (per client address) for starting a session; the route itself finds
    the environment by its Application Identifier and checks the origin."""

    @wraps(run)
    def admitted(request, *args, **kwargs):
        if refused := body_too_large_response(request):
            return refused
        decision = bucket_rate_limit_take(bucket=f"client-session-start:{client_address(request)}")
        if not decision.allowed:
            return _rate_limited(decision)
        return _with_rate_headers(run(request, *args, **kwargs), decision)

    return admitted


def _presented_token(request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == BEARER_SCHEME else ""


def admit_with_session_token(run):
    """Wrap an operation: 413, 401, 403 and 429 in Novu's shape, else run it in the scope of the
    token's environment with ``request.subscriber`` and ``request.client_session`` set."""

    @wraps(run)
    def admitted(request, *args, **kwargs):
        if refused := body_too_large_response(request):
            return refused
        claims = session_token_read(_presented_token(request))
        subscriber = session_subscriber(claims) if claims else None
        if subscriber is None:
            return error_response(
                401,
                "The session token is missing, invalid or expired. Start a new session with "
                "POST /v1/widgets/session/initialize and send `Authorization: Bearer <token>`.",
            )
        environment = subscriber.environment
        if origin_refused(request, environment):
            return origin_refusal(environment)
        decision = bucket_rate_limit_take(bucket=f"client-session:{subscriber.pk}")
        if not decision.allowed:
            return _rate_limited(decision)
        request.environment = environment
        request.subscriber = subscriber
        request.client_session = ClientSession(
            environment_id=environment.pk, subscriber_id=subscriber.subscriber_id
        )
        with environment_scope(environment):
            response = run(request, *args, **kwargs)
        return _with_rate_headers(response, decision)

    return admitted


class SessionTokenAuth(HttpBearer):
    """Declares the scheme in OpenAPI; the token was already read by
    ``admit_with_session_token``."""

    openapi_description = (
        "`Bearer <token>`: a client-side session of one subscriber, from "
        "POST /v1/widgets/session/initialize."
    )

    def __call__(self, request):
        return getattr(request, "client_session", None)

    def authenticate(self, request, token):
        return getattr(request, "client_session", None)
