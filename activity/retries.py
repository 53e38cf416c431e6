"""When the pipeline tries a refused delivery again: pure functions, so the policy is testable on
its own.

- Only a result the provider refused before accepting anything is retried
  (``DeliveryResult.retry``: timeouts, connection failures, 5xx and 429, SMTP's transient 4xx).
  Any other refusal, a 4xx above all, fails the same way every time and is never retried.
- At most ``DELIVERY_MAX_ATTEMPTS`` attempts in all (the first included).
- The n-th retry waits about ``BASE * 2**(n-1)`` seconds, capped at ``MAX``, with "equal
  jitter": half of that fixed, half random, so many messages that failed together (a
  provider's outage) do not all come back in the same second. A provider's ``Retry-After``
  is a floor, itself capped at ``MAX`` so that a provider cannot park a message for a day.
"""

import random
from datetime import datetime, timedelta

from django.conf import settings

from activity.delivery import DeliveryResult, Outcome


def should_retry(result: DeliveryResult, *, attempt: int, max_attempts: int | None = None) -> bool:
    """Whether the ``attempt``-th attempt (1 for the first), which got ``result``, gets
    another."""
    limit = settings.DELIVERY_MAX_ATTEMPTS if max_attempts is None else max_attempts
    return result.outcome is Outcome.FAILED and result.retry and attempt < limit


def retry_delay(
    *,
    attempt: int,
    retry_after: float | None = None,
    base: float | None = None,
    cap: float | None = None,
    draw=random.random,
) -> timedelta:
    """How long to wait after the ``attempt``-th attempt failed. ``draw`` returns a number in
    [0, 1) (``random.random``; tests pass their own)."""
    base = settings.DELIVERY_RETRY_BASE_SECONDS if base is None else base
    cap = settings.DELIVERY_RETRY_MAX_SECONDS if cap is None else cap
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    seconds = ceiling / 2 + draw() * ceiling / 2
    if retry_after is not None:
        seconds = max(seconds, min(retry_after, cap))
    return timedelta(seconds=seconds)


def next_attempt_at(
    result: DeliveryResult, *, attempt: int, now: datetime, draw=random.random
) -> datetime | None:
    """When to run attempt ``attempt + 1``, or None when there is to be none."""
    if not should_retry(result, attempt=attempt):
        return None
    return now + retry_delay(attempt=attempt, retry_after=result.retry_after, draw=draw)
