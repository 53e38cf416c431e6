"""The Changes page reads each type's part of the list on its own, from whichever end is
nearer, using the stored counts: every page must still be exactly that slice of the whole
ordered list, across type boundaries and on either side of a type's middle."""

import pytest

from changes.diff import ChangeSet, _windows
from tests.changes.test_query_budgets import seed


def _keys(rows):
    return [(row["type_position"], row["side"], row["row_pk"]) for row in rows]


@pytest.mark.django_db
def test_every_window_is_the_same_slice_of_the_ordered_list(tenant):
    seed(tenant, 9)
    change_set = ChangeSet(source=tenant.development, target=tenant.production)
    whole = _keys(change_set.rows())
    types_shown = {key[0] for key in whole}
    assert len(whole) >= 30 and len(types_shown) >= 3  # several types, some of many rows
    for limit in (1, 4, 7, 25):
        for offset in range(0, len(whole) + 1):
            page = _keys(change_set.page_rows(type_key=None, offset=offset, limit=limit))
            assert page == whole[offset : offset + limit], (offset, limit)


@pytest.mark.django_db
def test_a_type_filter_pages_that_type_alone(tenant):
    seed(tenant, 9)
    change_set = ChangeSet(source=tenant.development, target=tenant.production)
    whole = _keys(change_set.rows(type_key="workflow"))
    assert len(whole) == change_set.counts_by_type()["workflow"]
    for offset in range(0, len(whole) + 1, 3):
        page = _keys(change_set.page_rows(type_key="workflow", offset=offset, limit=5))
        assert page == whole[offset : offset + 5], offset


def test_windows_read_the_nearer_end_of_each_type():
    # Types at positions 0, 1 and 2 with 3, 0 and 100 rows: rows 0-2, none, then 3-102.
    counts = [(0, 3), (1, 0), (2, 100)]
    # The first page: all of type 0 from its start, type 2's first 22 from its start.
    assert _windows(counts, offset=0, limit=25) == [(0, 0, 3, False), (2, 0, 22, False)]
    # Type 2's last rows: read from its end, 0 rows skipped there.
    assert _windows(counts, offset=98, limit=25) == [(2, 0, 5, True)]
    # Past its middle, the offset is counted from the end: rows 63-87 of type 2 (60-84 of it)
    # leave 15 after them.
    assert _windows(counts, offset=63, limit=25) == [(2, 15, 25, True)]
    assert _windows(counts, offset=103, limit=25) == []
