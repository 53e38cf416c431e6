"""The ``/v1`` API: Novu-compatible routes over Herald's services and selectors.

Every route runs through ``admit_with_api_key`` (size, key, rate limit, environment scope),
except the client-side routes (``/widgets``), which client apps call with a session token
(``api.client_authentication``).
Errors keep Novu's shape ``{statusCode, message, error}``; nothing a client sends becomes a 500.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError

from api.authentication import ApiKeyAuth, admit_with_api_key
from api.errors import ApiError, error_response

# The docs page serves Swagger UI from the installed package (``ninja`` is in INSTALLED_APPS),
# never a CDN, under the dashboard's own CSP.
api = NinjaAPI(
    title="Herald API",
    version="1",
    description=(
        "Novu-compatible REST API. Authenticate with `Authorization: ApiKey <secret>`: the key "
        "decides the environment, and nothing else does."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=ApiKeyAuth(),
)


def key_router(**kwargs) -> Router:
    """A router whose operations are admitted by an API secret key."""
    router = Router(**kwargs)
    router.add_decorator(admit_with_api_key, mode="view")
    return router


def _field_of(location: list) -> str:
    """``steps[0].template.content`` from pydantic's location, without the parameter's source
    ("body", "query", "path") and the body parameter's own name."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path"):
        source = parts.pop(0)
        if source == "body" and parts:
            parts.pop(0)  # ninja nests the body under its parameter's name
    field = ""
    for part in parts:
        if isinstance(part, int):
            field += f"[{part}]"
        else:
            field += f".{part}" if field else str(part)
    return field or "body"


@api.exception_handler(RequestValidationError)
def invalid_request(request, exc):
    messages = [f"{_field_of(error.get('loc', []))}: {error.get('msg')}" for error in exc.errors]
    return error_response(400, messages or ["The request is invalid."])


@api.exception_handler(DjangoValidationError)
def invalid_by_service(request, exc):
    if hasattr(exc, "error_dict"):
        messages = [
            message if field == "__all__" else f"{field}: {message}"
            for field, errors in exc.message_dict.items()
            for message in errors
        ]
    else:
        messages = exc.messages
    # One problem as a string, several as a list (as Novu's validation answers).
    message = messages[0] if len(messages) == 1 else messages or "The request is invalid."
    return error_response(getattr(exc, "status", 400), message)


@api.exception_handler(ApiError)
def api_error(request, exc):
    return error_response(exc.status, exc.message, **exc.extra)


@api.exception_handler(Http404)
def not_found(request, exc):
    return error_response(404, str(exc) or "Not found in this environment.")


@api.exception_handler(PermissionDenied)
def refused(request, exc):
    return error_response(403, str(exc) or "This action is not allowed.")


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return error_response(401, "API Key not found, revoked or expired.")


@api.exception_handler(HttpError)
def http_error(request, exc):
    return error_response(exc.status_code, str(exc))


def _register_routers():
    from api.routers import (
        changes,
        environments,
        events,
        execution_details,
        feeds,
        integrations,
        layouts,
        messages,
        notification_groups,
        notification_templates,
        notifications,
        subscribers,
        topics,
        widgets,
    )

    # First: Django tries URL patterns in order, and a trigger is the request a backend sends
    # most often.
    api.add_router("/events", events.router)
    api.add_router("/environments", environments.router)
    api.add_router("/notification-groups", notification_groups.router)
    api.add_router("/feeds", feeds.router)
    api.add_router("/layouts", layouts.router)
    api.add_router("/notification-templates", notification_templates.router)
    api.add_router("/changes", changes.router)
    api.add_router("/subscribers", subscribers.router)
    api.add_router("/topics", topics.router)
    api.add_router("/integrations", integrations.router)
    api.add_router("/widgets", widgets.session_start_router)
    api.add_router("/widgets", widgets.router)
    api.add_router("/messages", messages.router)
    api.add_router("/notifications", notifications.router)
    api.add_router("/execution-details", execution_details.router)


_register_routers()
