"""Per-key rate limits: a token bucket kept in the cache backend.

The bucket is stored as GCRA's single number, the "theoretical arrival time": a key may send
``burst`` requests at once, then one every ``period / rate``. One cache read and one write per
request, with no lock: two processes that race can both pass a request the bucket had room
for only once, so a limit may be exceeded by the number of concurrent requests, never more.
Deployments with several web processes point the default cache at a shared backend.
"""

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


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


def rate_limit_take(*, bucket: str, now: float | None = None) -> Decision:
    """Take one token from ``bucket`` (e.g. ``"api-key:<pk>"``) under the configured limits."""
    rate = settings.API_RATE_LIMIT_PER_MINUTE
    burst = settings.API_RATE_LIMIT_BURST
    interval = 60.0 / rate
    now = time.time() if now is None else now
    key = f"herald:rate:{bucket}"
    arrival = max(float(cache.get(key, 0.0)), now)
    # With a full bucket, ``arrival`` is ``now``; each request pushes it one interval later.
    new_arrival = arrival + interval
    earliest_allowed = new_arrival - burst * interval
    if earliest_allowed > now:
        retry_after = earliest_allowed - now
        return Decision(
            allowed=False,
            limit=burst,
            remaining=0,
            reset_seconds=math.ceil(arrival - now),
            retry_after=max(1, math.ceil(retry_after)),
        )
    cache.set(key, new_arrival, timeout=math.ceil(new_arrival - now) + 1)
    remaining = int((now - earliest_allowed) // interval)
    return Decision(
        allowed=True,
        limit=burst,
        remaining=min(burst, remaining),
        reset_seconds=math.ceil(new_arrival - now),
        retry_after=0,
    )
