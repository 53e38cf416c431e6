"""Throttles on what anyone can ask for repeatedly: sign-up and password-reset emails, new
organizations. Counted by django-ratelimit in the cache that every web process shares."""

import math

from django.template.response import TemplateResponse
from django_ratelimit.core import get_usage


def throttle(request, *, group: str, key, rate: str, heading: str, message: str):
    """Count this request against ``rate``; over it, return the 429 page to answer with.

    Call it once the form is valid, so that a typo costs nothing. ``key`` is a
    django-ratelimit key: ``"ip"``, ``"user"``, or a callable of (group, request).
    """
    usage = get_usage(request, group=group, key=key, rate=rate, method="POST", increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    retry_after = max(usage["time_left"], 60)
    context = {"heading": heading, "message": message, "retry_minutes": math.ceil(retry_after / 60)}
    response = TemplateResponse(request, "accounts/throttled.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def is_over(request, *, group: str, key, rate: str) -> bool:
    """Count this request against ``rate``, and say whether it went over, for throttles that
    must not show (see onboarding's per-inbox limit)."""
    usage = get_usage(request, group=group, key=key, rate=rate, method="POST", increment=True)
    return bool(usage and usage["should_limit"])
