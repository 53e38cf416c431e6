"""Novu's error shape, ``{statusCode, message, error}``, for every refusal the API gives."""

from http import HTTPStatus

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
