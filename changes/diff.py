"""Pending changes: what differs between an environment and its downstream.

Computed in SQL from the two environments' current rows, never from an edit log: a change is
an entity whose stored content hash differs between the two sides, or that exists on one side
only. An edit that is later undone leaves no change; a renamed workflow is one update, because
both sides are matched by ``origin_id``. Entities made separately on each side (no shared
origin) are paired by their natural key: that is one update, which links the two copies.

Per type, two sets answer everything, each a semi- or anti-join on ``origin_id`` that the
``(environment, origin_id, content_hash)`` index serves:

- *changed*, on the source side: rows with no target row of the same origin and hash;
- *deleted*, on the target side: rows with no source row of the same origin, and no unmatched
  source row of the same natural key.

Counts per type and action come from one query; a page of changes is one ``UNION ALL`` ordered,
filtered and paged in SQL; documents are loaded for the changes asked for only.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from hashlib import sha256

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models import CharField as CharFieldType
from django.db.models.functions import Cast, Coalesce, RowNumber

from changes.documents import hash_hex
from changes.registry import (
    REGISTRY,
    Document,
    EntityState,
    PromotableType,
    promotable_types,
    type_of_model,
)
from environments.models import Environment


class Action:
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


ACTIONS = (Action.CREATED, Action.UPDATED, Action.DELETED)


def fingerprint_of(upstream_hash: int | None, downstream_hash: int | None) -> str:
    """A change's fingerprint: its pair of content hashes. It changes whenever either side
    does, so an apply can tell that the change was edited after it was reviewed."""
    return f"{hash_hex(upstream_hash)}.{hash_hex(downstream_hash)}"


def parse_change_id(change_id: str) -> tuple[PromotableType, str] | None:
    """(type, origin_id) of ``"workflow:<uuid>"``, or None for anything malformed."""
    type_key, _, origin_id = str(change_id).partition(":")
    promotable_type = REGISTRY.get(type_key)
    if promotable_type is None:
        return None
    try:
        return promotable_type, str(uuid.UUID(origin_id))
    except ValueError:
        return None


@dataclass
class PendingChange:
    """One entity whose document differs between ``source`` and ``target``.

    ``change_id`` (type and origin_id) survives further edits; ``fingerprint`` changes whenever
    either side does. Documents load on first use, for every change of the same batch at once.
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
    def promotable_type(self) -> PromotableType:
        return REGISTRY[self.type_key]

    @property
    def action(self) -> str:
        if self.downstream is None:
            return Action.CREATED
        if self.upstream is None:
            return Action.DELETED
        return Action.UPDATED

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(
            self.upstream.content_hash if self.upstream else None,
            self.downstream.content_hash if self.downstream else None,
        )

    def _ensure_documents(self) -> None:
        states = [state for state in (self.upstream, self.downstream) if state is not None]
        if any(state.document is None for state in states):
            self.change_set.load_documents([self])

    @property
    def upstream_document(self) -> Document | None:
        self._ensure_documents()
        return self.upstream.document if self.upstream else None

    @property
    def downstream_document(self) -> Document | None:
        self._ensure_documents()
        return self.downstream.document if self.downstream else None

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
    def relinks(self) -> bool:
        """Paired by natural key: the two sides carry different origin_ids."""
        return bool(self.upstream and self.downstream) and (
            self.upstream.origin_id != self.downstream.origin_id
        )

    @cached_property
    def comparison(self):
        from changes.comparisons import DocumentComparison

        return DocumentComparison(
            type_key=self.type_key,
            old=self.downstream_document,
            new=self.upstream_document,
            names=self.change_set.names_for([self]),
            budget=self.change_set.diff_budget,
        )

    @cached_property
    def facts(self):
        """What the row shows (``changes.facts``): read with the page's others when prefetched,
        else worked out from the documents."""
        from changes.facts import facts_of

        prefetched = self.change_set._facts_cache.get(self.change_id)
        if prefetched is not None:
            return prefetched
        return facts_of(
            self.promotable_type,
            old=self.downstream_document,
            new=self.upstream_document,
            relinks=self.relinks,
        )

    @property
    def summary(self) -> str:
        return self.facts.summary

    @cached_property
    def warnings(self) -> list:
        from changes.warnings import warnings_for

        return warnings_for(self)


# SQL ------------------------------------------------------------------------------------------


def _same_origin(promotable_type: PromotableType, environment) -> QuerySet:
    return promotable_type.rows(environment).filter(origin_id=OuterRef("origin_id"))


def _count(queryset: QuerySet) -> Subquery:
    # COUNT as a plain function: no GROUP BY, one row, usable as a scalar subquery.
    return Subquery(
        queryset.order_by().values(
            count=Func(F("pk"), function="COUNT", output_field=IntegerField())
        ),
        output_field=IntegerField(),
    )


def _counts_of(source, target, sets: tuple[str, ...]) -> QuerySet:
    """One row: for each type, the size of each of its ``sets`` (``TypeSets`` properties) as
    ``c<position>_<set>``. A type that never pairs by natural key has no relinked set."""
    subqueries = {}
    for position, promotable_type in enumerate(promotable_types()):
        type_sets = TypeSets(promotable_type=promotable_type, source=source, target=target)
        for name in sets:
            if name != "relinked" or promotable_type.pairs_by_natural_key:
                subqueries[f"c{position}_{name}"] = _count(getattr(type_sets, name))
    return Environment.objects.filter(pk=source.pk).values(**subqueries)


@dataclass(frozen=True)
class TypeSets:
    """The SQL sets of one type between two environments (querysets, not yet run)."""

    promotable_type: PromotableType
    source: Environment
    target: Environment

    def _rows(self, environment) -> QuerySet:
        return self.promotable_type.rows(environment).order_by()

    @property
    def changed(self) -> QuerySet:
        """Source rows with no identical target row: updates, creates and relinks. A NULL hash
        never equals anything, so a row without a hash shows as changed, never as equal."""
        identical = _same_origin(self.promotable_type, self.target).filter(
            content_hash=OuterRef("content_hash")
        )
        return self._rows(self.source).filter(~Exists(identical))

    def _unmatched(self, environment, other) -> QuerySet:
        return self._rows(environment).filter(~Exists(_same_origin(self.promotable_type, other)))

    @property
    def unmatched_source(self) -> QuerySet:
        return self._unmatched(self.source, self.target)

    def _partner_condition(self, environment, other) -> Q:
        """Rows of ``environment`` paired by natural key with an unmatched row of ``other``."""
        promotable_type = self.promotable_type
        if not promotable_type.pairs_by_natural_key:
            return Q(pk__in=[])
        partners = self._unmatched(other, environment)
        if not promotable_type.singleton:
            key = promotable_type.natural_key
            partners = partners.filter(**{key: OuterRef(key)})
        return Q(Exists(partners))

    @property
    def relinked(self) -> QuerySet:
        return self.unmatched_source.filter(self._partner_condition(self.source, self.target))

    @property
    def deleted(self) -> QuerySet:
        """Target rows with no source row of the same origin, and no unmatched source row of
        the same natural key (that pair is a relink, listed on the source side)."""
        return self._unmatched(self.target, self.source).exclude(
            self._partner_condition(self.target, self.source)
        )


class ChangeRows:
    """The ordered change list as a lazy sequence for ``Paginator``: its length comes from the
    counts query, and each slice is one query."""

    def __init__(self, change_set: ChangeSet, *, type_key: str | None, documents: bool = True):
        self.change_set = change_set
        self.type_key = type_key
        self.documents = documents

    def count(self) -> int:
        if self.type_key:
            return self.change_set.counts_by_type().get(self.type_key, 0)
        return len(self.change_set)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[PendingChange]:
        start = index.start or 0
        rows = self.change_set.page_rows(
            type_key=self.type_key, offset=start, limit=max(0, index.stop - start)
        )
        return self.change_set.changes_of_rows(rows, documents=self.documents)


def _windows(counts: list[tuple[int, int]], *, offset: int, limit: int) -> list[tuple]:
    """The part of each type's list that rows ``offset`` to ``offset + limit`` of the whole
    list cover, given (type position, count) in list order: (type position, offset in the
    type, limit, descending). A window in the second half of its type is read from the end
    (``descending``, its offset counted from the end), so the last page costs what the first
    does: an index read backwards stops after a few rows, where one read forwards would walk
    past every row before it."""
    windows = []
    type_start = 0
    for position, count in counts:
        low, high = max(offset, type_start), min(offset + limit, type_start + count)
        if low < high:
            start = low - type_start
            from_end = count - (high - type_start)
            if from_end < start:
                windows.append((position, from_end, high - low, True))
            else:
                windows.append((position, start, high - low, False))
        type_start += count
    return windows


class ChangeSet:
    """The pending changes from ``source`` into ``target``, answered in SQL on demand.

    ``len()``, ``counts()`` and ``counts_by_type()`` come from one aggregate query. ``page()``
    and ``rows()`` list changes in order (type, then name) without documents; documents load
    for the changes that are shown, applied or diffed. ``changes`` lists every change.
    """

    def __init__(self, *, source: Environment, target: Environment, stamped: bool = False):
        self.source = source
        self.target = target
        # Counts stored under the change stamps are read, and kept (``changes.stamps``).
        self.stamped = stamped

    @classmethod
    def compute(cls, *, source: Environment, target: Environment) -> ChangeSet:
        return cls(source=source, target=target)

    def sets(self, promotable_type: PromotableType) -> TypeSets:
        return TypeSets(promotable_type=promotable_type, source=self.source, target=self.target)

    # Counts -----------------------------------------------------------------------------------

    @cached_property
    def _stamped(self):
        from changes.stamps import Stamped, stamped

        return stamped(self.source, self.target) if self.stamped else Stamped(now=None)

    @cached_property
    def _counts(self) -> dict[tuple[str, str], int]:
        """(type key, action) -> count, from one query (none while the stored ones hold)."""
        from changes.stamps import store

        if self._stamped.counts is not None:
            return self._stamped.counts
        counts = self._counted()
        store(self.source, self._stamped, counts=counts)
        return counts

    def _counted(self) -> dict[tuple[str, str], int]:
        row = compiled_rows("counts", self._counts_query, self.source, self.target)[0]
        counts = {}
        for position, promotable_type in enumerate(promotable_types()):
            changed = row[f"c{position}_changed"] or 0
            unmatched = row[f"c{position}_unmatched_source"] or 0
            relinked = row.get(f"c{position}_relinked") or 0
            counts[(promotable_type.key, Action.CREATED)] = unmatched - relinked
            counts[(promotable_type.key, Action.UPDATED)] = changed - unmatched + relinked
            counts[(promotable_type.key, Action.DELETED)] = row[f"c{position}_deleted"] or 0
        return counts

    @staticmethod
    def _counts_query(source, target) -> QuerySet:
        return _counts_of(source, target, ("changed", "unmatched_source", "deleted", "relinked"))

    @cached_property
    def total(self) -> int:
        """How many changes are pending: one query of two counts per type (the sidebar badge)."""
        from changes.stamps import store

        if "_counts" in self.__dict__:
            return sum(self._counts.values())
        if self._stamped.pending_count is not None:
            return self._stamped.pending_count
        if self._stamped.counts is not None:
            return sum(self._stamped.counts.values())
        row = compiled_rows("total", self._total_query, self.source, self.target)[0]
        total = sum(count or 0 for count in row.values())
        store(self.source, self._stamped, total=total)
        return total

    @staticmethod
    def _total_query(source, target) -> QuerySet:
        return _counts_of(source, target, ("changed", "deleted"))

    def __len__(self) -> int:
        return self.total

    def counts_by_type_and_action(self) -> dict[tuple[str, str], int]:
        return dict(self._counts)

    def __bool__(self) -> bool:
        return self.total > 0

    def counts(self) -> dict[str, int]:
        totals = dict.fromkeys(ACTIONS, 0)
        for (_type_key, action), count in self._counts.items():
            totals[action] += count
        return totals

    def counts_by_type(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for (type_key, _action), count in self._counts.items():
            totals[type_key] += count
        return dict(totals)

    # The ordered list -------------------------------------------------------------------------

    def rows(
        self, *, type_key: str | None = None, hashes: bool = False, plan_order: bool = False
    ) -> QuerySet:
        """Every change as (type order, sort name, origin, side, pk), in the page's order: type
        (dependency order), then name, then origin_id. One UNION ALL; slice it to page.

        With ``hashes``, each row also carries its own hash and its partner's (the target row
        it replaces), which is all a fingerprint needs. With ``plan_order``, the rows come in
        the order Promote all writes them: creates and updates by type, then deletes in reverse.
        """
        parts = self._row_sides(type_key=type_key, hashes=hashes)
        if not parts:
            return promotable_types()[0].rows(self.source).none().values("pk")
        first, *others = parts
        first = first.union(*others, all=True)
        if plan_order:
            return first.order_by("plan_position", "sort_name", "origin")
        return first.order_by("type_position", "sort_name", "origin")

    def _row_sides(self, *, type_key: str | None, hashes: bool = False) -> list[QuerySet]:
        """The parts of ``rows()``, unordered: for each type, its changed source rows and its
        deleted target rows."""
        parts = []
        ordered = promotable_types()
        for position, promotable_type in enumerate(ordered):
            if type_key and promotable_type.key != type_key:
                continue
            sets = self.sets(promotable_type)
            for side, queryset in (("source", sets.changed), ("target", sets.deleted)):
                step = position if side == "source" else 2 * len(ordered) - position
                columns = {
                    "plan_position": Value(step, output_field=IntegerField()),
                    "type_position": Value(position, output_field=IntegerField()),
                    "sort_name": promotable_type.sort_name_expression(),
                    "origin": F("origin_id"),
                    "side": Value(side, output_field=CharFieldType()),
                    "row_pk": F("pk"),
                    # What pairs a source row with a target row of another origin (a relink).
                    "natural": (
                        Cast(promotable_type.natural_key, CharFieldType())
                        if promotable_type.pairs_by_natural_key and not promotable_type.singleton
                        else Value(None, output_field=CharFieldType())
                    ),
                }
                if hashes:
                    columns["own_hash"] = F("content_hash")
                    columns["partner_hash"] = (
                        self._partner_hash(promotable_type)
                        if side == "source"
                        else Value(None, output_field=BigIntegerField())
                    )
                parts.append(queryset.values(**columns))
        return parts

    def page_rows(self, *, type_key: str | None, offset: int, limit: int) -> list[dict]:
        """``limit`` rows of ``rows()`` from ``offset``: paged in SQL, in one query.

        The stored counts say which types the page covers, and where in each: each type's
        part is read on its own, ordered by an index and limited there, instead of sorting
        every change to keep 25 (see ``_windows``)."""
        ordered = promotable_types()
        counts_by_type = self.counts_by_type()
        counts = [
            (position, counts_by_type.get(promotable_type.key, 0))
            for position, promotable_type in enumerate(ordered)
            if not type_key or promotable_type.key == type_key
        ]
        parts = []
        for position, type_offset, type_limit, descending in _windows(
            counts, offset=offset, limit=limit
        ):
            key = ordered[position].key
            direction = "DESC" if descending else "ASC"
            order = f"ORDER BY sort_name {direction}, origin {direction}"
            # Each side ordered and limited on its own, then the two merged: PostgreSQL reads
            # a side in the order of its index (``workflow_sort_name_per_env``) and stops
            # after ``type_offset + type_limit`` rows, where an ordered UNION ALL of both
            # sides would be sorted whole.
            sides, params = [], []
            for index in range(2):
                sql, side_params = compiled_sql(
                    f"rows:{key}:{index}",
                    lambda source, target, key=key, index=index: ChangeSet(
                        source=source, target=target
                    )._row_sides(type_key=key)[index],
                    self.source,
                    self.target,
                )
                sides.append(
                    f"SELECT * FROM (SELECT * FROM ({sql}) s {order} LIMIT %s) side{index}"
                )
                params += [*side_params, type_offset + type_limit]
            parts.append(
                (
                    f"SELECT * FROM (SELECT * FROM ({' UNION ALL '.join(sides)}) t "
                    f"{order} LIMIT %s OFFSET %s) part{len(parts)}",
                    [*params, type_limit, type_offset],
                )
            )
        if not parts:
            return []
        sql = " UNION ALL ".join(part for part, _params in parts)
        params = [param for _part, part_params in parts for param in part_params]
        # The page's few rows, put in the page's order by the database (its collation).
        return _fetch(f"{sql} ORDER BY type_position, sort_name, origin", params)

    def changes_of_rows(
        self, rows: Iterable[dict], *, documents: bool = True
    ) -> list[PendingChange]:
        """The changes of ``rows`` (from ``rows()``), in their order, with both sides."""
        rows = list(rows)
        ordered = promotable_types()
        source_pks: dict[str, list[int]] = defaultdict(list)
        target_pks: dict[str, list[int]] = defaultdict(list)
        origins: dict[str, list[str]] = defaultdict(list)
        natural_keys: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            key = ordered[row["type_position"]].key
            (source_pks if row["side"] == "source" else target_pks)[key].append(row["row_pk"])
            if row["side"] == "source":
                origins[key].append(row["origin"])
                if row["natural"] is not None:
                    natural_keys[key].append(row["natural"])
        found: dict[tuple[str, str, int], PendingChange] = {}
        for promotable_type in ordered:
            key = promotable_type.key
            if key not in source_pks and key not in target_pks:
                continue
            for change in self._resolve_rows(
                promotable_type,
                source_pks=source_pks.get(key, ()),
                target_pks=target_pks.get(key, ()),
                origins=origins.get(key, ()),
                natural_keys=natural_keys.get(key, ()),
                documents=documents,
            ):
                state = change.upstream or change.downstream
                side = "source" if change.upstream else "target"
                found[(key, side, state.pk)] = change
        changes = []
        for row in rows:
            key = (ordered[row["type_position"]].key, row["side"], row["row_pk"])
            if key in found:
                changes.append(found[key])
        return changes

    def page(self, *, type_key: str | None = None, documents: bool = True) -> ChangeRows:
        """The changes in order, for ``Paginator``: each page is one query, and documents
        load for that page only (or, without ``documents``, when asked for)."""
        return ChangeRows(self, type_key=type_key, documents=documents)

    @cached_property
    def changes(self) -> list[PendingChange]:
        """Every pending change, in order, without documents (they load when asked for)."""
        return self.changes_of_rows(self.rows(), documents=False)

    @cached_property
    def by_id(self) -> dict[str, PendingChange]:
        return {change.change_id: change for change in self.changes}

    def get(self, change_id: str) -> PendingChange | None:
        """The pending change ``change_id``, or None if it is not pending (or malformed)."""
        [change] = self.changes_by_ids([change_id]).values() or [None]
        return change

    def changes_by_ids(
        self, change_ids: Iterable[str], *, documents: bool = True
    ) -> dict[str, PendingChange]:
        """The pending changes among ``change_ids``, by id; ids no longer pending are absent."""
        origins: dict[str, set[str]] = defaultdict(set)
        for change_id in change_ids:
            parsed = parse_change_id(change_id)
            if parsed is not None:
                origins[parsed[0].key].add(parsed[1])
        found = {}
        for promotable_type in promotable_types():
            wanted = origins.get(promotable_type.key)
            if not wanted:
                continue
            for change in self.resolve(promotable_type, origins=wanted, documents=documents):
                if change.change_id in {f"{promotable_type.key}:{origin}" for origin in wanted}:
                    found[change.change_id] = change
        return found

    # Pairing ----------------------------------------------------------------------------------

    def resolve(
        self,
        promotable_type: PromotableType,
        *,
        source_pks: Iterable[int] = (),
        target_pks: Iterable[int] = (),
        origins: Iterable[str] = (),
        documents: bool = True,
    ) -> list[PendingChange]:
        """The pending changes among some rows, each with its other side: source rows
        ``source_pks`` (created or updated), target rows ``target_pks`` (deleted), and the
        entities ``origins`` on either side. One load per environment, and a small query more
        when a delete might be half of a relink."""
        source_pks, target_pks, origins = list(source_pks), set(target_pks), list(origins)
        key = promotable_type.natural_key
        source_rows = promotable_type.rows(self.source)
        target_rows = promotable_type.rows(self.target)
        upstream = []
        if source_pks or origins:
            upstream = promotable_type.load(
                source_rows.filter(Q(pk__in=source_pks) | Q(origin_id__in=origins)),
                documents=documents,
            )
        up_origins = {state.origin_id for state in upstream}
        # The other side: the same origins, the rows asked for, and (for a relink) the rows of
        # the same natural key, flagged when their origin exists upstream too.
        wanted = Q(origin_id__in=up_origins) | Q(pk__in=target_pks) | Q(origin_id__in=origins)
        if upstream and promotable_type.singleton:
            wanted = Q()  # one per environment
        elif upstream and key:
            wanted |= Q(**{f"{key}__in": {state.natural_key for state in upstream}})
        downstream = []
        if upstream or target_pks or origins:
            downstream = promotable_type.load(
                target_rows.filter(wanted).annotate(
                    in_source=Exists(_same_origin(promotable_type, self.source))
                ),
                documents=documents,
                flags=("in_source",),
            )
        changes = []
        for state, partner in _partners(promotable_type, upstream, downstream):
            if (
                partner is not None
                and partner.origin_id == state.origin_id
                and state.content_hash is not None
                and partner.content_hash == state.content_hash
            ):
                continue  # identical on both sides
            changes.append(self._change(promotable_type, state.origin_id, state, partner))
        wanted_origins = set(origins)
        deleted = [
            state
            for state in downstream
            if (state.pk in target_pks or state.origin_id in wanted_origins)
            and not state.flags["in_source"]
        ]
        if deleted and promotable_type.pairs_by_natural_key:
            deleted = self._not_relinked(promotable_type, deleted)
        changes.extend(
            self._change(promotable_type, state.origin_id, None, state) for state in deleted
        )
        return changes

    def _resolve_rows(
        self,
        promotable_type: PromotableType,
        *,
        source_pks: Iterable[int],
        target_pks: Iterable[int],
        origins: Iterable[str],
        natural_keys: Iterable[str],
        documents: bool,
    ) -> list[PendingChange]:
        """The changes of rows that ``rows()`` listed: source rows ``source_pks`` (created or
        updated, each with its target partner) and target rows ``target_pks`` (deleted, which
        ``rows()`` has already told from the halves of a relink). One query for both sides,
        where ``resolve`` works each out again from any rows it is given."""
        source_pks, target_pks = list(source_pks), list(target_pks)
        # Every condition is a lookup by an index, so PostgreSQL ORs the index scans: the
        # source rows, the target rows asked for, and each source row's partner, the target
        # row of its origin, else (a relink) the one of its natural key whose own origin is not
        # in the source. The origins and natural keys come with the rows.
        source, target = self.source, self.target
        wanted = Q(environment=source, pk__in=source_pks) | Q(environment=target, pk__in=target_pks)
        if source_pks and promotable_type.singleton:
            wanted |= Q(environment=target)
        elif source_pks:
            wanted |= Q(environment=target, origin_id__in=origins)
            if promotable_type.pairs_by_natural_key and natural_keys:
                wanted |= Q(
                    environment=target, **{f"{promotable_type.natural_key}__in": natural_keys}
                )
        states = promotable_type.load(
            promotable_type.model.unscoped_across_environments.filter(wanted).annotate(
                side=F("environment_id"),
                in_source=Exists(_same_origin(promotable_type, source)),
            ),
            documents=documents,
            flags=("side", "in_source"),
        )
        upstream = [state for state in states if state.flags["side"] == self.source.pk]
        downstream = [state for state in states if state.flags["side"] == self.target.pk]
        changes = [
            self._change(promotable_type, state.origin_id, state, partner)
            for state, partner in _partners(promotable_type, upstream, downstream)
        ]
        wanted_pks = set(target_pks)
        changes.extend(
            self._change(promotable_type, state.origin_id, None, state)
            for state in downstream
            if state.pk in wanted_pks
        )
        return changes

    def _not_relinked(self, promotable_type, states) -> list[EntityState]:
        """Of target entities without an upstream origin, those not paired by natural key
        with an upstream entity that has no downstream origin either: the deletes."""
        unmatched = promotable_type.rows(self.source).filter(
            ~Exists(_same_origin(promotable_type, self.target))
        )
        if promotable_type.singleton:
            return [] if unmatched.exists() else states
        key = promotable_type.natural_key
        keys = {state.natural_key for state in states}
        paired = set(unmatched.filter(**{f"{key}__in": keys}).values_list(key, flat=True))
        return [state for state in states if state.natural_key not in paired]

    def _change(self, promotable_type, origin_id, upstream, downstream) -> PendingChange:
        return PendingChange(
            type_key=promotable_type.key,
            origin_id=origin_id,
            upstream=upstream,
            downstream=downstream,
            change_set=self,
        )

    def load_documents(self, changes: Iterable[PendingChange]) -> None:
        """Load the documents of both sides of ``changes``: per type, one query for its rows
        on both sides (and one for their parts)."""
        missing: dict[str, list[EntityState]] = defaultdict(list)
        for change in changes:
            for state in (change.upstream, change.downstream):
                if state is not None and state.document is None:
                    missing[change.type_key].append(state)
        for type_key, states in missing.items():
            promotable_type = REGISTRY[type_key]
            loaded = {
                state.pk: state
                for state in promotable_type.load(
                    promotable_type.model.unscoped_across_environments.filter(
                        environment__in=[self.source, self.target],
                        pk__in=[state.pk for state in states],
                    )
                )
            }
            for state in states:
                fresh = loaded.get(state.pk)
                if fresh is not None:
                    state.document = fresh.document
                    state.part_pks = fresh.part_pks
                    state.name = fresh.name

    # Names, references, referrers -------------------------------------------------------------

    def names_for(self, changes: Iterable[PendingChange]) -> dict[tuple[str, str], str]:
        """(type key, origin_id) -> name of every entity the documents of ``changes`` name, on
        either side (upstream names win): one query per referenced type."""
        names = self._names_cache
        keys = set()
        for change in changes:
            keys |= referenced_keys(
                change.type_key, change.upstream_document, change.downstream_document
            )
        names.update(
            entity_names(
                environments=[self.source, self.target], keys={k for k in keys if k not in names}
            )
        )
        return names

    @cached_property
    def _names_cache(self) -> dict[tuple[str, str], str]:
        return {}

    def prefetch(self, changes: list[PendingChange]) -> None:
        """Everything the diffs and warnings of ``changes`` show, in a constant number of
        queries: their documents, the names they reference, and what their warnings need."""
        self.load_documents(changes)
        self.names_for(changes)
        self.target_referrers_of(_deleted_keys(changes))

    def prefetch_rows(self, changes: list[PendingChange]) -> None:
        """What the rows of ``changes`` show (summaries and how many warnings), without their
        documents: their stored facts, and how often the target uses what they delete."""
        self.prefetch_facts(changes)
        deleted = [change.downstream for change in changes if not change.upstream]
        self.target_referrer_totals(
            [(state.type_key, state.origin_id) for state in deleted],
            pks={(state.type_key, state.origin_id): state.pk for state in deleted},
        )

    @cached_property
    def _facts_cache(self) -> dict:
        return {}

    def prefetch_facts(self, changes: list[PendingChange]) -> None:
        from changes.facts import facts_for

        wanted = [change for change in changes if change.change_id not in self._facts_cache]
        if wanted:
            self._facts_cache.update(facts_for(self, wanted))

    @cached_property
    def _referrers_cache(self) -> dict[tuple[str, str], Referrers]:
        return {}

    @cached_property
    def _referrer_totals_cache(self) -> dict[tuple[str, str], int]:
        return {}

    def target_referrers_of(
        self, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], Referrers]:
        """(type key, origin_id) -> the first target entities whose documents name it, and how
        many there are: what a warning about deleting it says, a few queries whatever their
        number."""
        referrers = self._referrers_cache
        wanted = [key for key in keys if key not in referrers]
        if wanted:
            referrers.update(referrer_summaries(self.target, wanted))
        return referrers

    def target_referrer_totals(
        self, keys: Iterable[tuple[str, str]], *, pks: dict | None = None
    ) -> dict[tuple[str, str], int]:
        """(type key, origin_id) -> how many target entities name it: whether deleting it
        warns, without reading who they are (one counting query per reference field)."""
        totals = self._referrer_totals_cache
        for key, referrers in self._referrers_cache.items():
            totals.setdefault(key, referrers.total)
        wanted = [key for key in keys if key not in totals]
        if wanted:
            totals.update(referrer_totals(self.target, wanted, pks=pks))
        return totals

    @cached_property
    def diff_budget(self):
        """Shared by the diffs of all changes: a page of them is bounded as a whole."""
        from changes.comparisons import page_diff_budget

        return page_diff_budget()

    # The plan's fingerprint -------------------------------------------------------------------

    def _partner_hash(self, promotable_type: PromotableType):
        """The hash of the target row a source row replaces: same origin, else (a relink) the
        unmatched target row of the same natural key."""
        same_origin = _same_origin(promotable_type, self.target).values("content_hash")[:1]
        if not promotable_type.pairs_by_natural_key:
            return Subquery(same_origin, output_field=BigIntegerField())
        partner = self.sets(promotable_type)._unmatched(self.target, self.source)
        if not promotable_type.singleton:
            key = promotable_type.natural_key
            partner = partner.filter(**{key: OuterRef(key)})
        return Coalesce(
            Subquery(same_origin, output_field=BigIntegerField()),
            Subquery(partner.values("content_hash")[:1], output_field=BigIntegerField()),
        )

    @cached_property
    def fingerprint(self) -> str:
        """One hash over every pending change's id and pair of hashes, in order: the plan an
        operator confirmed. Computed from the stored hashes alone, without loading a document,
        streaming the rows."""
        ordered = promotable_types()
        digest = sha256()
        for row in self.rows(hashes=True).iterator(chunk_size=2000):
            type_key = ordered[row["type_position"]].key
            if row["side"] == "source":
                pair = fingerprint_of(row["own_hash"], row["partner_hash"])
            else:
                pair = fingerprint_of(None, row["own_hash"])
            digest.update(f"{type_key}:{row['origin']}={pair};".encode())
        return digest.hexdigest()[:16]


def _partners(promotable_type: PromotableType, upstream, downstream):
    """Each upstream state with its downstream partner (or None): the state of its origin,
    else (a relink) the one of its natural key whose own origin is not upstream
    (``flags["in_source"]``), each paired once."""
    by_origin = {state.origin_id: state for state in downstream}
    by_key = {
        (None if promotable_type.singleton else state.natural_key): state
        for state in downstream
        if not state.flags["in_source"] and promotable_type.pairs_by_natural_key
    }
    for state in upstream:
        partner = by_origin.get(state.origin_id)
        if partner is None:
            partner = by_key.pop(None if promotable_type.singleton else state.natural_key, None)
        yield state, partner


def _deleted_keys(changes: Iterable[PendingChange]) -> list[tuple[str, str]]:
    return [
        (change.type_key, change.downstream.origin_id) for change in changes if not change.upstream
    ]


# Compiled queries -------------------------------------------------------------------------------

# Stand-ins for the two environments while a query is compiled: never the pk of a real one.
_PLACEHOLDERS = (uuid.UUID(int=1), uuid.UUID(int=2))
_compiled: dict[tuple, tuple[str, list, list[int], list[int]]] = {}


def compiled_rows(name: str, build, source, target, *, limit=None, offset=None) -> list[dict]:
    """Run the queryset ``build(source, target)`` as rows of dicts, compiling it only once
    (``compiled_sql``)."""
    sql, params = compiled_sql(name, build, source, target)
    if limit is not None:
        sql = f"{sql} LIMIT %s OFFSET %s"
        params += [limit, offset or 0]
    return _fetch(sql, params)


def _fetch(sql: str, params: list) -> list[dict]:
    """Rows of dicts. On PostgreSQL the statement is bound on the server: a page's query is
    the same statement every time, so once prepared it is not planned again (its planning
    took most of its time)."""
    from django.db import connection

    from config.db import hot_statement_cursor

    cursor = hot_statement_cursor() if connection.vendor == "postgresql" else connection.cursor()
    with cursor:
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def compiled_sql(name: str, build, source, target) -> tuple[str, list]:
    """The SQL and parameters of the queryset ``build(source, target)``, compiled only once.

    The counting and listing querysets hold a subquery per type, and Django takes longer to
    compile them than PostgreSQL takes to run them. They are compiled once per process for two
    placeholder environments; each run puts the real environments' pks in their parameter
    slots. The SQL is Django's own, so every row is still filtered by environment.
    """
    from django.db import connection

    key = (
        name,
        connection.vendor,
        tuple(promotable_type.key for promotable_type in promotable_types()),
    )
    entry = _compiled.get(key)
    if entry is None:
        placeholders = [Environment(pk=pk) for pk in _PLACEHOLDERS]
        queryset = build(*placeholders)
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
        prepared = [Environment._meta.pk.get_db_prep_value(pk, connection) for pk in _PLACEHOLDERS]
        params = list(params)
        source_slots = [index for index, value in enumerate(params) if value == prepared[0]]
        target_slots = [index for index, value in enumerate(params) if value == prepared[1]]
        entry = _compiled[key] = (sql, params, source_slots, target_slots)
    sql, params, source_slots, target_slots = entry
    params = list(params)
    for slots, environment in ((source_slots, source), (target_slots, target)):
        value = Environment._meta.pk.get_db_prep_value(environment.pk, connection)
        for index in slots:
            params[index] = value
    return sql, params


REFERRERS_SHOWN = 5


def referenced_keys(type_key: str, *documents: Document | None) -> set[tuple[str, str]]:
    """(type key, origin_id) of every entity that ``documents`` (of type ``type_key``) name."""
    keys = set()
    for document in documents:
        if document is not None:
            keys.update(REGISTRY[type_key].referenced(document))
    return keys


def entity_names(
    *, environments: list[Environment], keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """(type key, origin_id) -> name of each of ``keys``, from the first of ``environments``
    that has it: one query per type named, whatever the number of keys."""
    rank = {environment.pk: position for position, environment in enumerate(environments)}
    wanted: dict[str, set[str]] = defaultdict(set)
    for type_key, origin_id in keys:
        wanted[type_key].add(origin_id)
    names: dict[tuple[str, str], str] = {}
    found_in: dict[tuple[str, str], int] = {}
    for type_key, origins in wanted.items():
        promotable_type = REGISTRY[type_key]
        rows = (
            promotable_type.model.unscoped_across_environments.filter(
                environment__in=list(rank), origin_id__in=origins
            )
            .annotate(display_name=promotable_type.name_expression())
            .values_list("origin_id", "display_name", "environment_id")
        )
        for origin_id, name, environment_id in rows:
            key = (type_key, str(origin_id))
            if key not in found_in or rank[environment_id] < found_in[key]:
                names[key], found_in[key] = name, rank[environment_id]
    return names


@dataclass(frozen=True)
class Referrers:
    """The first referrers of an entity, by name, and how many there are in all."""

    first: list[EntityState]
    total: int


def _referenced_pks(environment, keys, *, known=None) -> dict[str, dict[int, str]]:
    """type key -> {pk: origin_id} in ``environment`` of the entities ``keys`` name: filtering
    referrers by primary key uses the foreign key's index (one query per referenced type, for
    those whose pk is not ``known``: (type key, origin_id) -> pk of rows already loaded)."""
    known = known or {}
    found: dict[str, dict[int, str]] = defaultdict(dict)
    wanted: dict[str, set[str]] = defaultdict(set)
    for type_key, origin_id in keys:
        if (type_key, origin_id) in known:
            found[type_key][known[(type_key, origin_id)]] = origin_id
        else:
            wanted[type_key].add(origin_id)
    for type_key, origins in wanted.items():
        for pk, origin_id in (
            REGISTRY[type_key]
            .rows(environment)
            .filter(origin_id__in=origins)
            .values_list("pk", "origin_id")
        ):
            found[type_key][pk] = str(origin_id)
    return dict(found)


def _reference_paths(origins_of):
    """(type, reference field, lookup path to the referenced pk) for every reference field,
    its parts' included, that can name one of the referenced entities."""
    for promotable_type in promotable_types():
        references = [(field, False) for field in promotable_type.fields]
        if promotable_type.parts is not None:
            references += [(field, True) for field in promotable_type.parts.fields]
        for reference, parts in references:
            if reference.reference is None or not origins_of.get(
                type_of_model(reference.reference).key
            ):
                continue
            path = reference.column
            if parts:
                path = f"{promotable_type.parts.parent_field.related_query_name()}__{path}"
            yield promotable_type, reference, path, parts


def referrer_summaries(
    environment: Environment, keys: Iterable[tuple[str, str]], *, shown: int = REFERRERS_SHOWN
) -> dict[tuple[str, str], Referrers]:
    """(type key, origin_id) -> its first ``shown`` referrers in ``environment`` and their
    count: per reference field, one query for the count and one for the first few (a window
    function), so an entity used by thousands costs what one used by five does."""
    keys = list(keys)
    origins_of = _referenced_pks(environment, keys)
    totals = referrer_totals(environment, keys, origins_of=origins_of)
    first: dict[tuple[str, str], dict[tuple[str, int], EntityState]] = defaultdict(dict)
    for promotable_type, reference, path, _parts in _reference_paths(origins_of):
        origin_of = origins_of[type_of_model(reference.reference).key]
        referenced_key = type_of_model(reference.reference).key
        rows = promotable_type.rows(environment).filter(**{f"{path}__in": list(origin_of)})
        named = (
            rows.annotate(
                display_name=promotable_type.name_expression(),
                referenced=F(path),
                position=Window(
                    RowNumber(), partition_by=F(path), order_by=[F("display_name"), F("pk")]
                ),
            )
            .filter(position__lte=shown * 2)  # parts can name it twice from one entity
            .order_by()
            .values_list("pk", "origin_id", "display_name", "referenced")
        )
        for pk, origin_id, name, referenced in named:
            key = (referenced_key, origin_of[referenced])
            first[key].setdefault(
                (promotable_type.key, pk),
                EntityState(
                    type_key=promotable_type.key, origin_id=str(origin_id), pk=pk, name=name
                ),
            )
    return {
        key: Referrers(
            first=sorted(first[key].values(), key=lambda state: state.name)[:shown],
            total=totals[key],
        )
        for key in keys
    }


def referrer_totals(
    environment: Environment, keys: Iterable[tuple[str, str]], *, origins_of=None, pks=None
) -> dict[tuple[str, str], int]:
    """(type key, origin_id) -> how many entities of ``environment`` name it: one counting
    query per reference field. A reference held by a part (a step's layout) is counted on the
    parts' own table, by their environment, with no join to the entities. ``pks`` are the
    known primary keys of the ``keys`` (see ``_referenced_pks``)."""
    keys = list(keys)
    if origins_of is None:
        origins_of = _referenced_pks(environment, keys, known=pks)
    totals = dict.fromkeys(keys, 0)
    for promotable_type, reference, path, parts in _reference_paths(origins_of):
        referenced_key = type_of_model(reference.reference).key
        origin_of = origins_of[referenced_key]
        if parts:
            owner = promotable_type.parts.parent_field.attname
            rows = promotable_type.parts.model.unscoped_across_environments.filter(
                environment=environment, **{f"{reference.column}__in": list(origin_of)}
            )
            counted = (
                rows.order_by()
                .values_list(reference.column)
                .annotate(count=Count(owner, distinct=True))
            )
        else:
            rows = promotable_type.rows(environment).filter(**{f"{path}__in": list(origin_of)})
            counted = rows.order_by().values_list(path).annotate(count=Count("pk"))
        for referenced, count in counted:
            key = (referenced_key, origin_of[referenced])
            totals[key] = totals.get(key, 0) + count
    return totals


def referrers_in(
    environment: Environment, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[EntityState]]:
    """(type key, origin_id) -> every entity of ``environment`` whose document names it: one
    query per reference field that can name one of ``keys``, whatever their number."""
    keys = list(keys)
    found: dict[tuple[str, str], list[EntityState]] = {key: [] for key in keys}
    origins_of = _referenced_pks(environment, keys)
    seen: set[tuple[tuple[str, str], str, int]] = set()
    for promotable_type, reference, path, _parts in _reference_paths(origins_of):
        referenced_key = type_of_model(reference.reference).key
        origin_of = origins_of[referenced_key]
        rows = (
            promotable_type.rows(environment)
            .filter(**{f"{path}__in": list(origin_of)})
            .annotate(display_name=promotable_type.name_expression(), referenced=F(path))
            .order_by()
            .values_list("pk", "origin_id", "display_name", "referenced")
        )
        for pk, origin_id, name, referenced in rows:
            key = (referenced_key, origin_of[referenced])
            # An entity whose parts name it several times is one referrer.
            if (key, promotable_type.key, pk) not in seen:
                seen.add((key, promotable_type.key, pk))
                found.setdefault(key, []).append(
                    EntityState(
                        type_key=promotable_type.key, origin_id=str(origin_id), pk=pk, name=name
                    )
                )
    return found
