"""Novu's pagination: ``page`` (0-based) and ``limit`` (at most 100)."""

from django.db.models import QuerySet


def page_of(queryset: QuerySet, *, page: int, limit: int, serialize, count: bool = True) -> dict:
    """One page of ``queryset`` as Novu's ``{page, pageSize, totalCount, hasMore, data}``.

    One row more than asked is read to tell ``hasMore`` without counting; ``count=False`` leaves
    ``totalCount`` out for tables too big to count.
    """
    offset = page * limit
    rows = list(queryset[offset : offset + limit + 1])
    body = {
        "page": page,
        "pageSize": limit,
        "hasMore": len(rows) > limit,
        "data": [serialize(row) for row in rows[:limit]],
    }
    if count:
        body["totalCount"] = queryset.count()
    return body
