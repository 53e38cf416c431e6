"""Novu's error shape, ``{statusCode, message, error}``, for every refusal the API gives."""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from uuid import UUID

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import JsonResponse


class ApiError(Exception):
    """Raise from a route to answer with ``status`` and ``message`` in Novu's shape."""

    def __init__(self, status: int, message: str, **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def error_body(status: int, message, **extra) -> dict:
    return {
        "statusCode": status,
        "message": message,
        "error": HTTPStatus(status).phrase,
        **extra,
    }


def error_response(status: int, message, *, headers: dict | None = None, **extra) -> JsonResponse:
    return JsonResponse(error_body(status, message, **extra), status=status, headers=headers)


def not_found(what: str, given: str, *, environment) -> ApiError:
    shown = given if len(given) <= 64 else f"{given[:64]}…"
    return ApiError(404, f"{environment.name} has no {what} with the id “{shown}”.")


def found_or_404(selector: Callable, given: str, *, what: str, environment):
    """``selector(public_id=...)`` for the ``_id`` a client gave, or a 404 naming it.

    Anything that is not a UUID, or names no row in the scope, is "not found in this
    environment": another environment's ids are as unknown here as made-up ones.
    """
    try:
        return selector(public_id=UUID(given))
    except (ValueError, ObjectDoesNotExist):
        raise not_found(what, given, environment=environment) from None


def referenced_or_400(selector: Callable, given: str, *, field: str, what: str, environment):
    """Like ``found_or_404`` for an id inside a body: a 400 naming ``field``."""
    try:
        return selector(public_id=UUID(given))
    except (ValueError, ObjectDoesNotExist):
        raise ValidationError(
            {field: f"{environment.name} has no {what} with the id “{given[:64]}”."}
        ) from None


@contextmanager
def fields_named(rename: Callable[[str], str]) -> Iterator[None]:
    """Re-raise a service's ValidationError with its fields in the API's names (``body`` →
    ``steps[0].template.content``), keeping its class, so a ``Conflict`` stays a 409."""
    try:
        yield
    except ValidationError as invalid:
        if not hasattr(invalid, "error_dict"):
            raise
        renamed = invalid.__class__(
            {rename(field): messages for field, messages in invalid.message_dict.items()}
        )
        raise renamed from invalid


def renamer(names: dict[str, str], *, steps: dict[str, str] | None = None) -> Callable:
    """A ``rename`` for ``fields_named``: top-level fields by ``names``, ``steps[i].<field>``
    by ``steps``; others keep their name."""
    step_field = re.compile(r"^(steps\[\d+\])\.(\w+)$")

    def rename(field: str) -> str:
        matched = step_field.match(field)
        if matched and steps is not None:
            return f"{matched[1]}.{steps.get(matched[2], matched[2])}"
        return names.get(field, field)

    return rename
