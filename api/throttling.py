"""Per-key rate limits: a token bucket kept on the key's own row, one UPDATE per request.

The bucket is stored as GCRA's single number, the "theoretical arrival time" (TAT): a key may
send ``burst`` requests at once, then one every ``60 / rate`` seconds. A request passes when
``max(TAT, now) + interval - burst * interval <= now``; passing moves the TAT one interval on.
The check and the move are one conditional UPDATE, so concurrent requests on any number of web
processes can never take more than the bucket holds.
"""

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from environments.models import ApiKey


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the bucket is full again
    retry_after: int  # seconds until the next request may pass (0 when allowed)

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def _seconds(delta: timedelta) -> float:
    return max(0.0, delta.total_seconds())


def rate_limit_take(*, api_key: ApiKey, now: datetime | None = None) -> Decision:
    """Take one token from ``api_key``'s bucket. ``api_key.rate_limit_tat`` is what the caller
    read with the key (used only for the headers); the UPDATE decides."""
    burst = settings.API_RATE_LIMIT_BURST
    interval = timedelta(seconds=60.0 / settings.API_RATE_LIMIT_PER_MINUTE)
    now = now or timezone.now()
    latest_allowed_tat = now + interval * burst - interval
    passed = (
        ApiKey.unscoped_across_environments.filter(pk=api_key.pk)
        .filter(Q(rate_limit_tat__isnull=True) | Q(rate_limit_tat__lte=latest_allowed_tat))
        .update(
            rate_limit_tat=Greatest(Coalesce(F("rate_limit_tat"), Value(now)), Value(now))
            + Value(interval)
        )
    )
    tat = max(api_key.rate_limit_tat or now, now)
    if passed:
        new_tat = tat + interval
        api_key.rate_limit_tat = new_tat
        used = _seconds(new_tat - now) / interval.total_seconds()
        return Decision(
            allowed=True,
            limit=burst,
            remaining=max(0, min(burst, burst - math.ceil(used))),
            reset_seconds=math.ceil(_seconds(new_tat - now)),
            retry_after=0,
        )
    retry_after = _seconds(tat - latest_allowed_tat)
    return Decision(
        allowed=False,
        limit=burst,
        remaining=0,
        reset_seconds=math.ceil(_seconds(tat - now)),
        retry_after=max(1, math.ceil(retry_after)),
    )


def bucket_rate_limit_take(*, bucket: str, now: float | None = None) -> Decision:
    """The same token bucket for callers without a key row (client-side sessions, by subscriber
    or by client address), kept in the shared cache. A read and a write, without a lock: racing
    processes may pass a request or two beyond the limit, never more than they race."""
    burst = settings.API_RATE_LIMIT_BURST
    interval = 60.0 / settings.API_RATE_LIMIT_PER_MINUTE
    now = time.time() if now is None else now
    key = f"herald:rate:{bucket}"
    tat = max(float(cache.get(key, 0.0)), now)
    latest_allowed_tat = now + interval * burst - interval
    if tat > latest_allowed_tat:
        return Decision(
            allowed=False,
            limit=burst,
            remaining=0,
            reset_seconds=math.ceil(tat - now),
            retry_after=max(1, math.ceil(tat - latest_allowed_tat)),
        )
    new_tat = tat + interval
    cache.set(key, new_tat, timeout=math.ceil(new_tat - now) + 1)
    return Decision(
        allowed=True,
        limit=burst,
        remaining=max(0, burst - math.ceil((new_tat - now) / interval)),
        reset_seconds=math.ceil(new_tat - now),
        retry_after=0,
    )
