"""Pending changes: what differs between an environment and its downstream, computed from the
current state of both, never from an edit log.

An edit that is later undone leaves no change; a renamed workflow is one update, because both
sides are matched by ``origin_id``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from changes.registry import (
    PROMOTABLE_TYPES,
    REGISTRY,
    TYPE_ORDER,
    Document,
    EntityState,
    canonical_json,
    fingerprint_of,
    load_environment,
)
from environments.models import Environment


class Action:
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


@dataclass
class PendingChange:
    """One entity whose document differs between ``source`` and ``target``.

    ``change_id`` (type and origin_id) survives further edits; ``fingerprint`` changes whenever
    either side does, so an apply can tell that the change was edited after it was reviewed.
    """

    type_key: str
    origin_id: str
    upstream: EntityState | None
    downstream: EntityState | None
    change_set: ChangeSet = field(repr=False)

    @property
    def change_id(self) -> str:
        return f"{self.type_key}:{self.origin_id}"

    @property
    def promotable_type(self):
        return REGISTRY[self.type_key]

    @property
    def action(self) -> str:
        if self.downstream is None:
            return Action.CREATED
        if self.upstream is None:
            return Action.DELETED
        return Action.UPDATED

    @property
    def upstream_document(self) -> Document | None:
        return self.upstream.document if self.upstream else None

    @property
    def downstream_document(self) -> Document | None:
        return self.downstream.document if self.downstream else None

    @cached_property
    def fingerprint(self) -> str:
        return fingerprint_of(self.upstream_document, self.downstream_document)

    @property
    def name(self) -> str:
        return (self.upstream or self.downstream).name

    @property
    def previous_name(self) -> str | None:
        if self.upstream and self.downstream and self.upstream.name != self.downstream.name:
            return self.downstream.name
        return None

    @property
    def entity_public_id(self) -> str | None:
        """The API's ``_entityId``: the source row's ``public_id``, or the target's for a delete."""
        return (self.upstream or self.downstream).public_id

    @property
    def updated_by(self) -> str | None:
        return (self.upstream or self.downstream).updated_by

    @property
    def updated_at(self):
        return (self.upstream or self.downstream).updated_at

    @property
    def sort_key(self):
        return (TYPE_ORDER[self.type_key], self.name.lower(), self.origin_id)

    @cached_property
    def comparison(self):
        from changes.comparisons import DocumentComparison

        return DocumentComparison(
            type_key=self.type_key,
            old=self.downstream_document,
            new=self.upstream_document,
            names=self.change_set.names,
            budget=self.change_set.diff_budget,
        )

    @property
    def relinks(self) -> bool:
        """Paired by natural key: the two sides carry different origin_ids."""
        return bool(self.upstream and self.downstream) and (
            self.upstream.origin_id != self.downstream.origin_id
        )

    @property
    def summary(self) -> str:
        summary = self.comparison.summary()
        if self.relinks and summary == "no visible difference":
            return "same content, made separately on each side: links the two copies"
        return summary

    @cached_property
    def warnings(self) -> list:
        from changes.warnings import warnings_for

        return warnings_for(self)


def referrers_index(
    states: dict[str, dict[str, EntityState]],
) -> dict[tuple[str, str], list[EntityState]]:
    """(type key, origin_id) -> the entities of ``states`` that reference it."""
    referrers = defaultdict(list)
    for type_key, by_origin in states.items():
        promotable_type = REGISTRY[type_key]
        for state in by_origin.values():
            for reference in set(promotable_type.referenced(state.document)):
                referrers[reference].append(state)
    return referrers


@dataclass
class ChangeSet:
    """All pending changes from ``source`` into ``target``, from one load of each side."""

    source: Environment
    target: Environment
    source_states: dict[str, dict[str, EntityState]]
    target_states: dict[str, dict[str, EntityState]]
    changes: list[PendingChange] = field(default_factory=list)

    @classmethod
    def compute(cls, *, source: Environment, target: Environment) -> ChangeSet:
        change_set = cls(
            source=source,
            target=target,
            source_states=load_environment(source),
            target_states=load_environment(target),
        )
        change_set.changes = sorted(change_set._differences(), key=lambda c: c.sort_key)
        return change_set

    def _differences(self):
        for promotable_type in PROMOTABLE_TYPES:
            upstream = self.source_states[promotable_type.key]
            downstream = dict(self.target_states[promotable_type.key])
            unmatched_upstream = []
            for origin_id, state in upstream.items():
                other = downstream.pop(origin_id, None)
                if other is None:
                    unmatched_upstream.append(state)
                elif canonical_json(state.document) != canonical_json(other.document):
                    yield self._change(promotable_type.key, origin_id, state, other)
            by_natural_key = {}
            for state in downstream.values():
                natural_key = promotable_type.natural_key_of(state.document)
                if natural_key is not None:
                    by_natural_key.setdefault(natural_key, state)
            for state in unmatched_upstream:
                natural_key = promotable_type.natural_key_of(state.document)
                other = by_natural_key.pop(natural_key, None) if natural_key is not None else None
                if other is not None:
                    # Same entity made separately on each side: even with equal content it is
                    # a change, because applying it links the copies (the target takes the
                    # upstream origin_id) so references from upstream resolve downstream.
                    downstream.pop(other.origin_id)
                yield self._change(promotable_type.key, state.origin_id, state, other)
            for origin_id, state in downstream.items():
                yield self._change(promotable_type.key, origin_id, None, state)

    def _change(self, type_key, origin_id, upstream, downstream) -> PendingChange:
        return PendingChange(
            type_key=type_key,
            origin_id=origin_id,
            upstream=upstream,
            downstream=downstream,
            change_set=self,
        )

    def __len__(self) -> int:
        return len(self.changes)

    @cached_property
    def by_id(self) -> dict[str, PendingChange]:
        return {change.change_id: change for change in self.changes}

    @cached_property
    def names(self) -> dict[tuple[str, str], str]:
        """(type key, origin_id) -> name, on either side; upstream names win."""
        names = {}
        for states in (self.target_states, self.source_states):
            for type_key, by_origin in states.items():
                for origin_id, state in by_origin.items():
                    names[(type_key, origin_id)] = state.name
        return names

    @cached_property
    def diff_budget(self):
        """Shared by the diffs of all changes: a page of them is bounded as a whole."""
        from changes.comparisons import page_diff_budget

        return page_diff_budget()

    @cached_property
    def target_referrers(self) -> dict[tuple[str, str], list[EntityState]]:
        return referrers_index(self.target_states)

    @cached_property
    def source_referrers(self) -> dict[tuple[str, str], list[EntityState]]:
        return referrers_index(self.source_states)

    def counts(self, changes: list[PendingChange] | None = None) -> dict[str, int]:
        counted = Counter(
            change.action for change in (self.changes if changes is None else changes)
        )
        return {
            action: counted.get(action, 0)
            for action in (Action.CREATED, Action.UPDATED, Action.DELETED)
        }

    def counts_by_type(self) -> dict[str, int]:
        return Counter(change.type_key for change in self.changes)

    @cached_property
    def fingerprint(self) -> str:
        """One hash of every pending change: the plan an operator confirmed."""
        return fingerprint_of({change.change_id: change.fingerprint for change in self.changes})
