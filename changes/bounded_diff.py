"""Sequence diffs whose work is bounded, so no content can pin a worker.

``SequenceMatcher`` with autojunk off costs, for each search, one step per element of the
old range plus one per occurrence of that element in the new side; a body of 20,000 equal
lines makes that 400 million steps for one search, and a search runs once per matching block.
Here a common head and tail are matched first, in linear time, and each search is charged to a
``DiffBudget`` before it runs. When the budget cannot pay, ``DiffTooCostly`` is raised and the
caller shows a coarser diff instead.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from difflib import SequenceMatcher

Opcode = tuple[str, int, int, int, int]


class DiffTooCostly(Exception):
    """The diff would take more steps than its budget allows."""


class DiffBudget:
    """Matcher steps one diff may take; a budget with a parent also spends the parent's.

    A page shares one budget between its fields, and each field takes a smaller one from it,
    so neither one field nor many fields together can take more than their limit.
    """

    def __init__(self, limit: int, *, parent: DiffBudget | None = None):
        self.limit = limit
        self.parent = parent
        self.spent = 0

    @property
    def remaining(self) -> int:
        own = self.limit - self.spent
        return own if self.parent is None else min(own, self.parent.remaining)

    def charge(self, steps: int) -> None:
        """Spend ``steps``, or raise DiffTooCostly (spending nothing) when they exceed it."""
        if steps > self.remaining:
            raise DiffTooCostly
        budget = self
        while budget is not None:
            budget.spent += steps
            budget = budget.parent


class _BoundedMatcher(SequenceMatcher):
    """``SequenceMatcher`` (no junk, no autojunk) that pays for each search before it runs."""

    def __init__(self, a: Sequence, b: Sequence, *, budget: DiffBudget):
        self.budget = budget
        super().__init__(None, a, b, autojunk=False)

    def find_longest_match(self, alo=0, ahi=None, blo=0, bhi=None):
        ahi = len(self.a) if ahi is None else ahi
        bhi = len(self.b) if bhi is None else bhi
        # The search visits each old element once, and for each, its occurrences in the new
        # side up to bhi (b2j lists are sorted). Counting stops as soon as the budget is short.
        remaining = self.budget.remaining
        steps = 0
        for index in range(alo, ahi):
            steps += 1 + bisect_left(self.b2j.get(self.a[index], ()), bhi)
            if steps > remaining:
                raise DiffTooCostly
        self.budget.charge(steps)
        return super().find_longest_match(alo, ahi, blo, bhi)


def _common_head(old: Sequence, new: Sequence) -> int:
    length = min(len(old), len(new))
    index = 0
    while index < length and old[index] == new[index]:
        index += 1
    return index


def _common_tail(old: Sequence, new: Sequence, *, head: int) -> int:
    length = min(len(old), len(new)) - head
    count = 0
    while count < length and old[-1 - count] == new[-1 - count]:
        count += 1
    return count


def bounded_opcodes(old: Sequence, new: Sequence, *, budget: DiffBudget) -> list[Opcode]:
    """``SequenceMatcher.get_opcodes()`` from ``old`` to ``new``, within ``budget``.

    The common head and tail are equal blocks; only the middle is searched. Raises
    DiffTooCostly when the middle needs more steps than the budget has left; a budget
    refused that way has done at most about ``remaining`` steps of work.
    """
    head = _common_head(old, new)
    tail = _common_tail(old, new, head=head)
    opcodes: list[Opcode] = []
    if head:
        opcodes.append(("equal", 0, head, 0, head))
    old_middle, new_middle = old[head : len(old) - tail], new[head : len(new) - tail]
    if old_middle or new_middle:
        matcher = _BoundedMatcher(old_middle, new_middle, budget=budget)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            opcodes.append((tag, i1 + head, i2 + head, j1 + head, j2 + head))
    if tail:
        opcodes.append(("equal", len(old) - tail, len(old), len(new) - tail, len(new)))
    return opcodes
