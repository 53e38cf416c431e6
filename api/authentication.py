"""Admission of API requests: body size, the API secret key, the rate limit and the scope.

The key decides the environment and nothing else does: the whole operation (validation, the
route, serialising the response) runs inside ``environment_scope`` of the key's environment,
so the fail-closed managers guard the API as they guard the pages.
"""

from functools import wraps

from django.conf import settings
from ninja.security import APIKeyHeader

from api.errors import error_response
from api.throttling import api_key_admit, rate_limit_take
from environments import policy
from environments.scoping import environment_scope
from environments.services import api_key_authenticate

AUTHORIZATION_SCHEME = "ApiKey"


def _presented_secret(request) -> str:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != AUTHORIZATION_SCHEME.lower():
        return ""
    return secret.strip()


def _body_too_large(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > settings.API_MAX_BODY_BYTES


def body_too_large_response(request):
    """The 413 answer for a body over ``API_MAX_BODY_BYTES``, or None."""
    if not _body_too_large(request):
        return None
    limit_kb = settings.API_MAX_BODY_BYTES // 1024
    return error_response(413, f"The request body is larger than {limit_kb} KB.")


def admit_with_api_key(run):
    """Wrap an operation: 413, 401 and 429 in Novu's shape, else run it in the key's scope."""

    @wraps(run)
    def admitted(request, *args, **kwargs):
        if refused := body_too_large_response(request):
            return refused
        secret = _presented_secret(request)
        admitted = api_key_admit(secret=secret)
        if admitted is not None:
            api_key, decision = admitted
        else:
            # Refused, or a database without the one-statement admission: find out which.
            api_key = api_key_authenticate(secret=secret)
            if api_key is None:
                return error_response(
                    401,
                    "API Key not found, revoked or expired. Send `Authorization: ApiKey "
                    "<secret>` with a key of the environment.",
                )
            decision = rate_limit_take(api_key=api_key)
            if not decision.allowed:
                return error_response(
                    429,
                    f"Too many requests for this API key. Retry in {decision.retry_after} s.",
                    headers=decision.headers(),
                )
        request.api_key = api_key
        request.environment = api_key.environment
        with environment_scope(api_key.environment):
            response = run(request, *args, **kwargs)
        for header, value in decision.headers().items():
            response[header] = value
        return response

    return admitted


def key_may(write: policy.Write):
    """For ``decorate_view``: answer 403 with the policy's message when the request's key may
    not do ``write`` in its environment, before the body is parsed, as the dashboard's
    ``@writes`` refuses before a form is read. Services ask the policy again."""

    def decorator(run):
        @wraps(run)
        def guarded(request, *args, **kwargs):
            refused = policy.refusal(write, environment=request.environment, actor=request.api_key)
            if refused is not None:
                return error_response(403, refused.message)
            return run(request, *args, **kwargs)

        return guarded

    return decorator


class ApiKeyAuth(APIKeyHeader):
    """Declares the scheme in OpenAPI; the key was already resolved by ``admit_with_api_key``."""

    param_name = "Authorization"
    openapi_description = "`ApiKey <secret>`: an API secret key of one environment."

    def authenticate(self, request, key):
        return getattr(request, "api_key", None)
