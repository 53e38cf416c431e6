"""Per-key rate limits: a token bucket kept on the key's own row, one UPDATE per request.

The bucket is stored as GCRA's single number, the "theoretical arrival time" (TAT): a key may
send ``burst`` requests at once, then one every ``60 / rate`` seconds. A request passes when
``max(TAT, now) + interval - burst * interval <= now``; passing moves the TAT one interval on.
The check and the move are one conditional UPDATE, so concurrent requests on any number of web
processes can never take more than the bucket holds.

On PostgreSQL, ``api_key_admit`` folds the key's lookup into that UPDATE: one statement admits a
request, where the ORM needs a SELECT and an UPDATE.
"""

import functools
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.models import Organization
from config.db import hot_statement_cursor
from environments.keys import digest_of
from environments.models import ApiKey, Environment


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


def _passed(*, new_tat: datetime, now: datetime, interval: timedelta, burst: int) -> Decision:
    used = _seconds(new_tat - now) / interval.total_seconds()
    return Decision(
        allowed=True,
        limit=burst,
        remaining=max(0, min(burst, burst - math.ceil(used))),
        reset_seconds=math.ceil(_seconds(new_tat - now)),
        retry_after=0,
    )


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
        return _passed(new_tat=new_tat, now=now, interval=interval, burst=burst)
    retry_after = _seconds(tat - latest_allowed_tat)
    return Decision(
        allowed=False,
        limit=burst,
        remaining=0,
        reset_seconds=math.ceil(_seconds(tat - now)),
        retry_after=max(1, math.ceil(retry_after)),
    )


def _columns(model, alias: str) -> str:
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def _instance(model, values):
    fields = model._meta.concrete_fields
    return model.from_db(connection.alias, [field.attname for field in fields], values)


@functools.cache
def _admission_sql(*, relaxed: bool) -> str:
    key, environment, organization = (
        model._meta.db_table for model in (ApiKey, Environment, Organization)
    )
    # The limiter's state may lose its last few milliseconds in a crash, which is harmless, so
    # its commit does not wait for the disk; set_config(..., true) lasts one transaction, here
    # this statement's own. Inside a caller's transaction it would last for the caller's, so
    # there the statement commits as usual.
    relaxed_commit = (
        "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)) " if relaxed else ""
    )
    return (
        f"{relaxed_commit}"
        f'UPDATE "{key}" AS k SET "rate_limit_tat" = '
        f'GREATEST(COALESCE(k."rate_limit_tat", %(now)s), %(now)s) + %(interval)s, '
        # The row is written anyway: recording its use costs nothing more.
        f'"last_used_at" = %(now)s '
        f'FROM {"relaxed, " if relaxed else ""}"{environment}" AS e, "{organization}" AS o '
        f'WHERE k."digest" = %(digest)s AND k."revoked_at" IS NULL '
        f'AND (k."expires_at" IS NULL OR k."expires_at" > %(now)s) '
        f'AND (k."rate_limit_tat" IS NULL OR k."rate_limit_tat" <= %(latest_allowed_tat)s) '
        f'AND e."id" = k."environment_id" AND o."id" = e."organization_id" '
        f"RETURNING {_columns(ApiKey, 'k')}, {_columns(Environment, 'e')}, "
        f"{_columns(Organization, 'o')}"
    )


def api_key_admit(*, secret: str, now: datetime | None = None) -> tuple[ApiKey, Decision] | None:
    """Resolve ``secret`` to its usable key, with its environment and organization, and take one
    token from the key's bucket, in one statement; PostgreSQL only.

    None when that statement admitted nothing: no secret, an unknown, revoked or expired key,
    an empty bucket, or another database. The caller then decides with
    ``api_key_authenticate`` and ``rate_limit_take``, which tell those cases apart.
    """
    if not secret or connection.vendor != "postgresql":
        return None
    burst = settings.API_RATE_LIMIT_BURST
    interval = timedelta(seconds=60.0 / settings.API_RATE_LIMIT_PER_MINUTE)
    now = now or timezone.now()
    with hot_statement_cursor() as cursor:
        cursor.execute(
            _admission_sql(relaxed=not connection.in_atomic_block),
            {
                "now": now,
                "interval": interval,
                "digest": digest_of(secret),
                "latest_allowed_tat": now + interval * burst - interval,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    key_width = len(ApiKey._meta.concrete_fields)
    environment_width = len(Environment._meta.concrete_fields)
    api_key = _instance(ApiKey, row[:key_width])
    environment = _instance(Environment, row[key_width : key_width + environment_width])
    environment.organization = _instance(Organization, row[key_width + environment_width :])
    api_key.environment = environment
    return api_key, _passed(new_tat=api_key.rate_limit_tat, now=now, interval=interval, burst=burst)


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
