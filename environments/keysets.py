"""Keyset pagination: a page of rows around a cursor, at the same cost on page 1 and page 1,000
(no OFFSET, no COUNT). Lists say how their rows are ordered and how to step past a row; this
module does the windowing."""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import QuerySet


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows. ``next_cursor`` goes in ``?after=``, ``previous_cursor`` in
    ``?before=``; each is None when there is nothing that way."""

    rows: list
    next_cursor: str | None
    previous_cursor: str | None

    def links(self, **query) -> dict:
        """``next_url`` and ``previous_url`` (None when there is nothing that way), keeping the
        list's other query parameters that have a value."""
        kept = {name: value for name, value in query.items() if value}

        def link(direction, cursor):
            return "?" + urlencode({**kept, direction: cursor}) if cursor else None

        return {
            "next_url": link("after", self.next_cursor),
            "previous_url": link("before", self.previous_cursor),
        }


def _reversed(ordering: list[str]) -> list[str]:
    return [name[1:] if name.startswith("-") else "-" + name for name in ordering]


def keyset_page(
    rows: QuerySet,
    *,
    after: str | None,
    before: str | None,
    size: int,
    ordering: list[str],
    past: Callable[[QuerySet, object, bool], QuerySet],
    cursor_of: Callable[[object], str],
    parse: Callable[[str], object],
) -> KeysetPage:
    """``rows`` in ``ordering`` (unique), ``size`` at a time around a cursor: one query (two
    when a ``before`` cursor reaches back to the start). ``past(rows, position, forward)`` keeps
    the rows after ``position`` in the ordering (``forward``) or before it. A cursor that does
    not parse is ignored: the first page is shown, never an error."""

    def parsed(cursor):
        if not cursor:
            return None
        try:
            return parse(cursor)
        except (TypeError, ValueError, OverflowError):
            return None

    after_position, before_position = parsed(after), parsed(before)
    if before_position is not None:
        earlier = past(rows, before_position, False).order_by(*_reversed(ordering))
        window = list(earlier[: size + 1])
        if len(window) > size:
            page = list(reversed(window[:size]))
            return KeysetPage(page, cursor_of(page[-1]), cursor_of(page[0]))
        # Back at the start: a full first page rather than a short one.
        after_position = None
    query = rows if after_position is None else past(rows, after_position, True)
    window = list(query.order_by(*ordering)[: size + 1])
    page = window[:size]
    next_cursor = cursor_of(page[-1]) if len(window) > size else None
    previous_cursor = cursor_of(page[0]) if after_position is not None and page else None
    return KeysetPage(page, next_cursor, previous_cursor)
