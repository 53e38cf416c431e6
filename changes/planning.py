"""Plans: which writes a promotion makes, in which order, and what refuses it.

A write that names an entity the target lacks pulls in the write that brings it (Apply says
"also applies"); a delete that would leave target content pointing at nothing is refused,
naming what still uses it. Existence and referrers are asked in SQL, one query per type, so a
plan costs the same whatever the size of the environments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from changes.diff import Action, ChangeSet, PendingChange, referrers_in
from changes.registry import REGISTRY, type_order
from changes.writes import Write
from environments.models import Environment


class PromotionRefused(Exception):
    """The promotion cannot run as asked; ``str()`` tells the operator why. Nothing was written."""


class ChangeEditedSinceReview(PromotionRefused):
    """A change's fingerprint no longer matches the one the operator reviewed (HTTP 409)."""

    def __init__(self, message: str, *, changes: list[PendingChange]):
        super().__init__(message)
        self.changes = changes


@dataclass
class PlannedWrite(Write):
    """A write with what the operator is told about it."""

    name: str = ""
    action: str = Action.UPDATED
    included_as_dependency: bool = False
    change: PendingChange | None = None
    summary: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.type_key, self.origin_id)

    @property
    def label(self) -> str:
        return REGISTRY[self.type_key].label


def label_of(type_key: str, name: str) -> str:
    return f"{REGISTRY[type_key].label} “{name}”"


def write_from_change(change: PendingChange, *, dependency: bool = False) -> PlannedWrite:
    """Make the downstream side of ``change`` equal to its upstream side."""
    return PlannedWrite(
        type_key=change.type_key,
        origin_id=change.origin_id,
        document=change.upstream_document,
        target=change.downstream,
        content_hash=change.upstream.content_hash if change.upstream else None,
        name=change.name,
        action=change.action,
        included_as_dependency=dependency,
        change=change,
    )


def write_discarding(change: PendingChange, *, dependency: bool = False) -> PlannedWrite:
    """Make the upstream side of ``change`` equal to its downstream side."""
    if change.upstream is None:
        action = Action.CREATED
    elif change.downstream is None:
        action = Action.DELETED
    else:
        action = Action.UPDATED
    origin_id = change.downstream.origin_id if change.downstream else change.origin_id
    return PlannedWrite(
        type_key=change.type_key,
        origin_id=origin_id,
        document=change.downstream_document,
        target=change.upstream,
        content_hash=change.downstream.content_hash if change.downstream else None,
        name=change.name,
        action=action,
        included_as_dependency=dependency,
        change=change,
    )


DependencyFinder = Callable[[list[tuple[str, str]]], dict[tuple[str, str], PlannedWrite]]


def promotion_dependencies(change_set: ChangeSet) -> DependencyFinder:
    """Promoting: a missing reference is brought by the pending change of that entity."""

    def find(keys):
        found = change_set.changes_by_ids(f"{type_key}:{origin_id}" for type_key, origin_id in keys)
        return {
            (change.type_key, change.origin_id): write_from_change(change, dependency=True)
            for change in found.values()
            if change.upstream is not None
        }

    return find


def discard_dependencies(change_set: ChangeSet) -> DependencyFinder:
    """Discarding: a missing reference is restored from the downstream side."""

    def find(keys):
        found = change_set.changes_by_ids(f"{type_key}:{origin_id}" for type_key, origin_id in keys)
        return {
            (change.type_key, change.downstream.origin_id): write_discarding(
                change, dependency=True
            )
            for change in found.values()
            if change.downstream is not None
        }

    return find


def existing_in(environment: Environment, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of ``keys`` (type key, origin_id) exist in ``environment``: a query per type."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for type_key, origin_id in keys:
        by_type[type_key].add(origin_id)
    found = set()
    for type_key, origins in by_type.items():
        rows = REGISTRY[type_key].rows(environment).filter(origin_id__in=origins)
        found.update((type_key, str(origin)) for origin in rows.values_list("origin_id", flat=True))
    return found


def add_dependencies(
    writes: dict[tuple[str, str], PlannedWrite],
    *,
    target: Environment,
    dependency_for: DependencyFinder | None,
) -> None:
    """Add to ``writes`` the writes that bring what they reference and ``target`` lacks, or
    refuse (``PromotionRefused``) naming the entity that nothing can bring."""
    removed = {
        (write.type_key, write.target.origin_id)
        for write in writes.values()
        if write.target is not None and write.document is None
    }
    pending = [write for write in writes.values() if write.document is not None]
    while pending:
        references: dict[tuple[str, str], PlannedWrite] = {}
        for write in pending:
            for reference in REGISTRY[write.type_key].referenced(write.document):
                references.setdefault(reference, write)
        unwritten = [reference for reference in references if reference not in writes]
        existing = existing_in(target, unwritten)
        missing = [
            reference
            for reference in references
            if (reference in writes and writes[reference].document is None)
            or (reference not in writes and (reference not in existing or reference in removed))
        ]
        found = dependency_for(missing) if dependency_for and missing else {}
        pending = []
        for reference in missing:
            dependency = found.get(reference)
            if dependency is None or dependency.document is None:
                write = references[reference]
                raise PromotionRefused(
                    f"{label_of(write.type_key, write.name)} uses a "
                    f"{REGISTRY[reference[0]].label.lower()} that does not exist in "
                    f"{target.name}, and there is nothing to bring it from."
                )
            writes[reference] = dependency
            pending.append(dependency)


def refuse_dangling(
    deletes: Iterable[PlannedWrite], *, target: Environment, rewritten: set[tuple[str, str]]
) -> None:
    """Refuse deletes that would leave target content (other than ``rewritten``) pointing at
    nothing, naming it."""
    removed = {
        (write.type_key, write.target.origin_id): write
        for write in deletes
        if write.target is not None and write.document is None
    }
    if not removed:
        return
    dangling: dict[tuple[str, str], list[str]] = {}
    for key, referrers in referrers_in(target, removed).items():
        for referrer in referrers:
            if (referrer.type_key, referrer.origin_id) in rewritten:
                continue  # the referrer is rewritten (or deleted) in this same promotion
            dangling.setdefault(key, []).append(label_of(referrer.type_key, referrer.name))
    if dangling:
        from changes.warnings import named_list

        reasons = [
            f"{label_of(key[0], removed[key].name)} is still used in {target.name} by "
            f"{', '.join(named_list(names))}"
            for key, names in dangling.items()
        ]
        raise PromotionRefused(
            "Refused: " + "; ".join(reasons) + ". Apply the changes that stop using it first, "
            "or together (Promote all changes)."
        )


def in_order(writes: Iterable[PlannedWrite]) -> list[PlannedWrite]:
    """Creates and updates in dependency order, then deletes in reverse."""
    order = type_order()
    writes = list(writes)
    upserts = sorted(
        (write for write in writes if write.document is not None),
        key=lambda write: order[write.type_key],
    )
    deletes = sorted(
        (write for write in writes if write.document is None),
        key=lambda write: -order[write.type_key],
    )
    return upserts + deletes


def plan_writes(
    *,
    requested: Iterable[PlannedWrite],
    target: Environment,
    dependency_for: DependencyFinder | None = None,
) -> list[PlannedWrite]:
    """Order ``requested`` writes, add the dependencies they need, and refuse a broken result."""
    writes: dict[tuple[str, str], PlannedWrite] = {write.key: write for write in requested}
    add_dependencies(writes, target=target, dependency_for=dependency_for)
    rewritten = {
        (write.type_key, write.target.origin_id) for write in writes.values() if write.target
    }
    refuse_dangling(writes.values(), target=target, rewritten=rewritten)
    return in_order(writes.values())


def page_dependencies(change_set: ChangeSet, changes: list[PendingChange]) -> dict[str, list]:
    """change id -> what applying that change alone would also apply ("also applies: Layout
    'Receipt'"), for a page of changes at once: a constant number of queries."""
    finder = promotion_dependencies(change_set)
    target = change_set.target
    # Level by level: the entities the page's documents name that the target lacks, and the
    # pending changes that would bring them (whose own references are the next level).
    brought: dict[tuple[str, str], PlannedWrite | None] = {}
    documents = [change.upstream_document for change in changes if change.upstream is not None]
    types = [change.type_key for change in changes if change.upstream is not None]
    while documents:
        references = {
            reference
            for type_key, document in zip(types, documents, strict=True)
            for reference in REGISTRY[type_key].referenced(document)
            if reference not in brought
        }
        existing = existing_in(target, references)
        missing = [reference for reference in references if reference not in existing]
        found = finder(missing) if missing else {}
        documents, types = [], []
        for reference in missing:
            brought[reference] = found.get(reference)
            if found.get(reference) is not None:
                documents.append(found[reference].document)
                types.append(reference[0])
        for reference in references:
            brought.setdefault(reference, None)
    result = {}
    for change in changes:
        if change.upstream is None:
            result[change.change_id] = []
            continue
        needed: list[PlannedWrite] = []
        queue = list(REGISTRY[change.type_key].referenced(change.upstream_document))
        seen = set()
        while queue:
            reference = queue.pop()
            if reference in seen or reference == (change.type_key, change.origin_id):
                continue
            seen.add(reference)
            write = brought.get(reference)
            if write is None:
                continue
            needed.append(write)
            queue.extend(REGISTRY[write.type_key].referenced(write.document))
        result[change.change_id] = in_order(needed)
    return result
