"""Activity older than ``settings.ACTIVITY_RETENTION_DAYS`` is deleted, a bounded batch at a time.

Each table is walked in primary-key order, ``batch_size`` keys per statement, each statement its
own short transaction: ``DELETE … WHERE id >= low AND id < low + batch_size AND created_at <
cutoff``. Row locks only, and only on the rows deleted; triggers keep arriving meanwhile. Rows
are numbered as they are created, so the walk stops at the first row that is not old yet.
Children go first (logs, messages, jobs, notifications, then triggers), so the cascade of each
statement finds little left to delete.
"""

import time
from collections.abc import Callable
from datetime import datetime

from django.db import transaction

from activity.models import ExecutionLog, FanOut, Job, Message, Notification, Trigger

PRUNED_IN_ORDER = (ExecutionLog, Message, Job, Notification, FanOut, Trigger)


def _table_prune(model, *, cutoff: datetime, batch_size: int, pause: float) -> int:
    rows = model.unscoped_across_environments
    deleted = 0
    low = rows.order_by("pk").values_list("pk", flat=True).first()
    while low is not None:
        with transaction.atomic():
            _, by_model = rows.filter(
                pk__gte=low, pk__lt=low + batch_size, created_at__lt=cutoff
            ).delete()
        deleted += by_model.get(model._meta.label, 0)
        following = rows.filter(pk__gte=low).order_by("pk").values_list("pk", "created_at").first()
        if following is None or following[1] >= cutoff:
            break
        low = following[0]
        if pause:
            time.sleep(pause)
    return deleted


def activity_prune(
    *,
    older_than: datetime,
    batch_size: int = 5_000,
    pause: float = 0.0,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Delete the activity of every environment created before ``older_than``. Returns the
    rows deleted per model (cascades of a parent batch included in the parent's count)."""
    report = {}
    for model in PRUNED_IN_ORDER:
        report[model.__name__] = _table_prune(
            model, cutoff=older_than, batch_size=batch_size, pause=pause
        )
        if progress:
            progress(model.__name__, report[model.__name__])
    return report
