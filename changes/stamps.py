"""Counts of pending changes, stored under both environments' change stamps.

Every write path renews the stamp of each environment it writes (``content_stamp``, in the
writing transaction). A count stored with the two stamps it was counted at is current exactly
as long as neither stamp has changed, so the sidebar badge and the Changes page's counts are
one indexed read until the next write. Stamps are random, never reused, and read before
counting: a write committed in between renews one, and the count stored then is never served.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from changes.documents import content_stamp
from changes.models import ChangeStamp

STORED = ("environment_id", "stamp", "pending_count", "counted_at", "counts", "counts_at")


@dataclass(frozen=True)
class Stamped:
    """What is stored for ``source`` at the current stamps of ``source`` and ``target``."""

    # The current "<own>:<downstream>" stamps; None when one was missing (now created).
    now: str | None
    own_stamp: UUID | None = None
    pending_count: int | None = None
    counts: dict[tuple[str, str], int] | None = None


def stamped(source, target) -> Stamped:
    """The stored counts of ``source`` into ``target`` that are still current: one query."""
    rows = {
        str(environment_id): row
        for environment_id, *row in ChangeStamp.objects.filter(
            environment_id__in=[source.pk, target.pk]
        ).values_list(
            "environment_id", "stamp", "pending_count", "counted_at", "counts", "counts_at"
        )
    }
    own, downstream = rows.get(str(source.pk)), rows.get(str(target.pk))
    if own is None or downstream is None:
        missing = [env.pk for env, row in ((source, own), (target, downstream)) if row is None]
        content_stamp(environment_ids=missing)
        return Stamped(now=None)
    stamp, pending_count, counted_at, counts, counts_at = own
    now = f"{stamp.hex}:{downstream[0].hex}"
    return Stamped(
        now=now,
        own_stamp=stamp,
        pending_count=pending_count if counted_at == now else None,
        counts=(
            {tuple(key.split("|", 1)): count for key, count in counts.items()}
            if counts is not None and counts_at == now
            else None
        ),
    )


def store(source, state: Stamped, *, counts: dict[tuple[str, str], int] | None = None, total=None):
    """Store a count made after ``state`` was read, under its stamps (if both existed)."""
    if state.now is None:
        return
    values = {}
    if counts is not None:
        values.update(
            counts={f"{type_key}|{action}": count for (type_key, action), count in counts.items()},
            counts_at=state.now,
        )
        total = sum(counts.values())
    if total is not None:
        values.update(pending_count=total, counted_at=state.now)
    # Only while the stamp is still the one read: a write since has made this count stale.
    ChangeStamp.objects.filter(environment_id=source.pk, stamp=state.own_stamp).update(**values)
