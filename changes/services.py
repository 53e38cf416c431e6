"""Promotion: the only code that writes into a read-only environment.

Every service here runs in one transaction and starts by locking every environment of the
organization (``_lock_environments``), so promotions, discards, reverts and inserts in one
organization run one after the other: the second computes the changes again after the first
has committed and sees only what is left. A change already applied is skipped, never applied
twice. If anything fails, the transaction rolls back and every change stays pending.

The locks:

- All of the organization's environments (there are a few), always in primary-key order, so
  two services never wait for each other in opposite orders.
- ``FOR NO KEY UPDATE``: it excludes the other services but not the ``KEY SHARE`` lock that a
  foreign-key insert takes, so API keys and runtime data keep flowing into Production during a
  promotion, and recording a promotion (which references both environments) never waits.
- Only ``environment_insert`` takes ``FOR UPDATE``: it rewrites ``upstream``, a key column.
- The chain (who is downstream of whom) is read after the locks are held, never before, so a
  promotion racing an insert writes into the new environment, not past it.

SQLite ignores all of this (it has no row locks; its immediate transactions let one writer in at
a time), which serialises the services just the same.

Reads and writes go through ``unscoped_across_environments`` (in ``changes.registry``): this
module is one of the audited places that work on two environments at once.

Batches: Promote all, revert and environment insert stream documents in chunks of
``PROMOTION_CHUNK_SIZE`` entities (load both sides, write, record the chunk's history), so their
memory does not grow with the number of changes. Deletes are one statement per type, scoped by
the origins the promotion recorded, after every create and update. History stores both
documents compressed; each item's one-line summary comes from field-level equality, never from
building a diff.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, ProtectedError, Q
from django.utils import timezone
from django.utils.text import slugify

from changes import writes as writing
from changes.comparisons import change_summary
from changes.diff import Action, ChangeSet, PendingChange
from changes.documents import compress_document, content_stamp
from changes.models import Promotion, PromotionItem, PromotionKind
from changes.planning import (
    ChangeEditedSinceReview,
    PlannedWrite,
    PromotionRefused,
    discard_dependencies,
    in_order,
    label_of,
    page_dependencies,
    plan_writes,
    promotion_dependencies,
    refuse_dangling,
    write_from_change,
)
from changes.planning import write_discarding as _write_discarding
from changes.registry import REGISTRY, PromotableType, promotable_types
from changes.writes import MissingReference
from environments import policy
from environments.models import ApiKey, Environment, user_of
from environments.services import IssuedKey, api_key_issue
from integrations.services import in_app_integration_ensure

__all__ = [
    "ChangeEditedSinceReview",
    "PlannedWrite",
    "PromotionRefused",
    "PromotionResult",
    "change_dependencies",
    "change_discard",
    "changes_apply",
    "changes_promote_all",
    "environment_insert",
    "plan_writes",
    "promotion_plan",
    "promotion_revert",
    "promotion_revert_check",
]

# Entities loaded, written and recorded at a time by the services that can touch thousands.
PROMOTION_CHUNK_SIZE = 1000
# Writes listed on the plan page; the counts above them cover the rest.
PLAN_WRITES_SHOWN = 200


@dataclass
class PromotionResult:
    promotion: Promotion | None
    # Requested changes that were no longer pending (applied by someone else, or a double click).
    already_applied: list[str] = field(default_factory=list)

    @property
    def dependencies(self) -> list[PromotionItem]:
        if self.promotion is None:
            return []
        return [item for item in self.promotion.items.all() if item.included_as_dependency]


def _chunks(items: list) -> Iterator[list]:
    size = PROMOTION_CHUNK_SIZE  # read at call time: tests make it small
    for start in range(0, len(items), size):
        yield items[start : start + size]


# History ------------------------------------------------------------------------------------


def _actor_columns(actor) -> dict:
    """How a promotion records ``actor``: a user, or an API key by name (History shows it)."""
    if isinstance(actor, ApiKey):
        return {"actor": None, "api_key": actor, "actor_name": f"API key “{actor.name}”"[:200]}
    user = user_of(actor)
    return {"actor": user, "actor_name": user.display_name[:200] if user else ""}


def _history_insert(items: list[PromotionItem]) -> None:
    """Insert History's items. On PostgreSQL by COPY: each item carries two compressed
    documents, and an INSERT would spell every byte of them out in its SQL text (hex), which
    the driver then scans for placeholders; COPY sends them as they are."""
    if connection.vendor != "postgresql":
        PromotionItem.objects.bulk_create(items, batch_size=PROMOTION_CHUNK_SIZE)
        return
    fields = [field for field in PromotionItem._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(PromotionItem._meta.db_table)
    sql = f"COPY {table} ({columns}) FROM STDIN"
    started = time.monotonic()
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for item in items:
            copy.write_row(
                [
                    field.get_db_prep_save(field.pre_save(item, add=True), connection)
                    for field in fields
                ]
            )
    if connection.queries_logged:
        # The driver's COPY bypasses Django's cursor wrapper: log it as the statement it is,
        # so query counts (and their budgets) still see it.
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


class _History:
    """The promotion being recorded: created first, items added chunk by chunk, counts last."""

    def __init__(self, *, kind, source, target, actor, reverts=None):
        self.promotion = Promotion.objects.create(
            organization_id=target.organization_id,
            source=source,
            target=target,
            **_actor_columns(actor),
            kind=kind,
            reverts=reverts,
            created_at=timezone.now(),
        )
        self.counts = dict.fromkeys((Action.CREATED, Action.UPDATED, Action.DELETED), 0)
        self.position = 0

    def add(self, writes: list[PlannedWrite]) -> None:
        items = []
        for write in writes:
            self.counts[write.action] += 1
            prior = write.target.document if write.target else None
            summary = write.summary or change_summary(
                REGISTRY[write.type_key],
                old=prior,
                new=write.document,
                relinks=write.target is not None and write.target.origin_id != write.origin_id,
            )
            items.append(
                PromotionItem(
                    promotion=self.promotion,
                    position=self.position,
                    type_key=write.type_key,
                    origin_id=write.origin_id,
                    entity_public_id=write.change.entity_public_id if write.change else None,
                    name=write.name[:200],
                    action=write.action,
                    summary=summary[:300],
                    document_data=compress_document(write.document),
                    prior_document_data=compress_document(prior),
                    content_hash=write.hash() if write.document is not None else None,
                    included_as_dependency=write.included_as_dependency,
                )
            )
            self.position += 1
        _history_insert(items)

    def deleted_rows(self, promotable_type: PromotableType, target: Environment):
        """The target rows this promotion recorded as deleted: one subquery, whatever their
        number, and exactly the rows recorded (not whatever differs by the time it runs)."""
        recorded = PromotionItem.objects.filter(
            promotion=self.promotion, type_key=promotable_type.key, document_data__isnull=True
        ).values("origin_id")
        return promotable_type.rows(target).filter(origin_id__in=recorded)

    def finish(self) -> Promotion:
        promotion = self.promotion
        promotion.created_count = self.counts[Action.CREATED]
        promotion.updated_count = self.counts[Action.UPDATED]
        promotion.deleted_count = self.counts[Action.DELETED]
        promotion.save(update_fields=["created_count", "updated_count", "deleted_count"])
        return promotion


# Writing ------------------------------------------------------------------------------------


class _Writer:
    """Writes planned writes into ``target`` and records them in ``history``; deletes wait for
    ``finish()``, after every create and update. Target refusals (a unique identifier, a
    reference) become ``PromotionRefused``; the caller's transaction rolls everything back."""

    def __init__(self, *, target: Environment, actor, history: _History):
        self.target = target
        self.actor = actor
        self.history = history
        self.now = timezone.now()
        self.deleted_types: set[str] = set()
        self.touched: set[str] = set()

    def _refused(self, refused: Exception) -> PromotionRefused:
        if isinstance(refused, MissingReference):
            return PromotionRefused(
                f"A {REGISTRY[refused.type_key].label.lower()} that the changes use does not "
                f"exist in {self.target.name}. Nothing was applied."
            )
        return PromotionRefused(
            f"{self.target.name} refused these changes ({refused}). Nothing was applied. Apply "
            "them together with the related changes (Promote all changes)."
        )

    def write(self, writes: list[PlannedWrite]) -> None:
        """Write ``writes`` (in plan order): upserts now, grouped by type; deletes recorded."""
        try:
            for promotable_type in promotable_types():
                upserts = [
                    write
                    for write in writes
                    if write.type_key == promotable_type.key and write.document is not None
                ]
                if upserts:
                    writing.upsert(
                        promotable_type,
                        writes=upserts,
                        target=self.target,
                        actor=self.actor,
                        now=self.now,
                    )
                    self.touched.add(promotable_type.key)
        except (IntegrityError, ProtectedError, MissingReference) as refused:
            raise self._refused(refused) from refused
        self.deleted_types.update(write.type_key for write in writes if write.document is None)
        self.history.add(writes)

    def finish(self) -> Promotion:
        try:
            for promotable_type in reversed(promotable_types()):
                if promotable_type.key in self.deleted_types:
                    writing.delete(
                        promotable_type,
                        rows=self.history.deleted_rows(promotable_type, self.target),
                    )
                    self.touched.add(promotable_type.key)
            self._check_references()
        except (IntegrityError, ProtectedError) as refused:
            raise self._refused(refused) from refused
        content_stamp(environment_ids=[self.target.pk])
        return self.history.finish()

    def _check_references(self) -> None:
        # Foreign keys are checked at commit; check them now, inside the refusal above, so a
        # broken reference is a refusal and not a failed commit.
        tables = set()
        for promotable_type in promotable_types():
            if promotable_type.key in self.touched:
                tables.add(promotable_type.model._meta.db_table)
                if promotable_type.parts is not None:
                    tables.add(promotable_type.parts.model._meta.db_table)
        if tables:
            connection.check_constraints(table_names=sorted(tables))


def _execute(*, writer: _Writer, writes: list[PlannedWrite]) -> None:
    """Write ``writes`` with the locks held: the step every service takes, chunk by chunk."""
    writer.write(writes)


def _record(*, kind, source, target, actor, reverts=None) -> _History:
    """Start recording a promotion: its row references both environments."""
    return _History(kind=kind, source=source, target=target, actor=actor, reverts=reverts)


def _apply_writes(*, writes, kind, source, target, actor, reverts=None) -> Promotion:
    writer = _Writer(
        target=target,
        actor=actor,
        history=_record(kind=kind, source=source, target=target, actor=actor, reverts=reverts),
    )
    _execute(writer=writer, writes=writes)
    return writer.finish()


# Locks --------------------------------------------------------------------------------------


def _lock_environments(*, organization, for_key_update: bool = False) -> dict[UUID, Environment]:
    """Lock every environment of ``organization`` until the transaction ends; return them by pk,
    read after the locks are held (so ``upstream`` is the chain as it is now, not as it was).

    ``for_key_update`` takes ``FOR UPDATE`` instead of ``FOR NO KEY UPDATE``, for a service that
    changes ``upstream``. Must run inside a transaction.
    """
    locked_pks = None
    while True:
        # No select_related: joined rows (the organization) would be locked too.
        environments = {
            environment.pk: environment
            for environment in Environment.objects.filter(organization=organization)
            .order_by("pk")
            .select_for_update(no_key=not for_key_update)
        }
        # A query that waited for a lock still answers from the snapshot it started with: an
        # environment inserted meanwhile is missing. The next query sees it (and locks it);
        # none can appear after that while we hold the others.
        if environments.keys() == locked_pks:
            break
        locked_pks = environments.keys()
    for environment in environments.values():
        environment.organization = organization  # one organization; spares a query per row
    return environments


def _downstream_of(
    environment: Environment, environments: dict[UUID, Environment]
) -> Environment | None:
    return next(
        (other for other in environments.values() if other.upstream_id == environment.pk), None
    )


def _locked(environment: Environment, environments: dict[UUID, Environment]) -> Environment:
    """``environment`` as locked, or a refusal if it was deleted meanwhile."""
    try:
        return environments[environment.pk]
    except KeyError:
        raise PromotionRefused(f"{environment.name} no longer exists.") from None


def _promotion_target(*, source: Environment, actor) -> tuple[Environment, Environment]:
    """Lock the organization's environments; return ``source`` and its downstream as locked."""
    policy.require(policy.Write.PROMOTION, environment=source, actor=actor)
    environments = _lock_environments(organization=source.organization)
    source = _locked(source, environments)
    target = _downstream_of(source, environments)
    if target is None:
        raise PromotionRefused(
            f"{source.name} is the last environment: there is nothing downstream to promote to."
        )
    return source, target


def _stale_message(stale: list[PendingChange]) -> str:
    names = ", ".join(label_of(change.type_key, change.name) for change in stale)
    return (
        f"This change was edited after you reviewed it: {names}. Review the new diff, then "
        "apply again. Nothing was applied."
    )


# Apply, promote all, discard ----------------------------------------------------------------


@transaction.atomic
def changes_apply(
    *,
    source: Environment,
    selection: list[tuple[str, str]],
    actor,
    kind: str = PromotionKind.APPLY,
) -> PromotionResult:
    """Apply the chosen changes from ``source`` into its downstream, as one promotion.

    ``selection`` holds (change id, fingerprint the operator saw). A change no longer pending
    is skipped (it was applied already); one whose fingerprint differs refuses the whole apply
    with ``ChangeEditedSinceReview``. Missing dependencies are included; a dangling delete is
    refused with ``PromotionRefused``. A constant number of queries for a handful of changes.
    """
    source, target = _promotion_target(source=source, actor=actor)
    change_set = ChangeSet(source=source, target=target)
    found = change_set.changes_by_ids([change_id for change_id, _fingerprint in selection])
    chosen, stale, already_applied = [], [], []
    for change_id, fingerprint in selection:
        change = found.get(change_id)
        if change is None:
            already_applied.append(change_id)
        elif change.fingerprint != fingerprint:
            stale.append(change)
        elif change not in chosen:
            chosen.append(change)
    if stale:
        raise ChangeEditedSinceReview(_stale_message(stale), changes=stale)
    if not chosen:
        return PromotionResult(promotion=None, already_applied=already_applied)
    writes = plan_writes(
        requested=[write_from_change(change) for change in chosen],
        target=target,
        dependency_for=promotion_dependencies(change_set),
    )
    promotion = _apply_writes(writes=writes, kind=kind, source=source, target=target, actor=actor)
    return PromotionResult(promotion=promotion, already_applied=already_applied)


def _pending_in_chunks(change_set: ChangeSet, promotable_type, *, side: str):
    """The pending changes of one type and side, ``PROMOTION_CHUNK_SIZE`` at a time, with
    documents: the pks are listed first (small), the documents loaded per chunk."""
    sets = change_set.sets(promotable_type)
    queryset = sets.changed if side == "source" else sets.deleted
    pks = list(queryset.order_by("pk").values_list("pk", flat=True))
    for chunk in _chunks(pks):
        if side == "source":
            yield change_set.resolve(promotable_type, source_pks=chunk)
        else:
            yield change_set.resolve(promotable_type, target_pks=chunk)


@transaction.atomic
def changes_promote_all(
    *, source: Environment, actor, expected_fingerprint: str | None = None
) -> PromotionResult:
    """Apply every pending change from ``source`` into its downstream, as one promotion.

    With ``expected_fingerprint`` (the plan the operator confirmed), a plan that changed since
    is refused with ``ChangeEditedSinceReview``, and so is an empty string (no plan reviewed);
    None skips the check. A plan with nothing left is a no-op (the second of two concurrent or
    double-clicked promotions). Documents stream in chunks: memory stays bounded.
    """
    source, target = _promotion_target(source=source, actor=actor)
    change_set = ChangeSet(source=source, target=target)
    counts = change_set.counts_by_type_and_action()
    if not change_set:
        return PromotionResult(promotion=None)
    if expected_fingerprint is not None and expected_fingerprint != change_set.fingerprint:
        message = (
            "The pending changes were edited after you reviewed the plan. Review the new plan "
            "and confirm again. Nothing was applied."
            if expected_fingerprint
            else "Review the plan below, then confirm it. Nothing was applied."
        )
        raise ChangeEditedSinceReview(message, changes=[])
    history = _record(kind=PromotionKind.PROMOTE_ALL, source=source, target=target, actor=actor)
    writer = _Writer(target=target, actor=actor, history=history)
    for promotable_type in promotable_types():
        key = promotable_type.key
        if counts[(key, Action.CREATED)] or counts[(key, Action.UPDATED)]:
            for changes in _pending_in_chunks(change_set, promotable_type, side="source"):
                _execute(writer=writer, writes=[write_from_change(change) for change in changes])
    for promotable_type in reversed(promotable_types()):
        if counts[(promotable_type.key, Action.DELETED)]:
            for changes in _pending_in_chunks(change_set, promotable_type, side="target"):
                _execute(writer=writer, writes=[write_from_change(change) for change in changes])
    return PromotionResult(promotion=writer.finish())


@dataclass
class PromotionPlan:
    """The dry run of Promote all: counts, the first writes in order, and a refusal if any."""

    change_set: ChangeSet
    writes: list[PlannedWrite]
    total: int
    refusal: str | None = None

    @property
    def more(self) -> int:
        return self.total - len(self.writes)


def promotion_plan(*, change_set: ChangeSet, shown: int | None = None) -> PromotionPlan:
    """What Promote all would write, in order (creates and updates by type, then deletes in
    reverse): the first ``shown`` writes, named, and the total. Writes nothing; a few queries
    whatever the number of changes."""
    rows = list(change_set.rows(plan_order=True)[: shown or PLAN_WRITES_SHOWN])
    listed = [
        PlannedWrite(
            type_key=change.type_key,
            origin_id=change.origin_id,
            document=None,
            target=change.downstream,
            name=change.name,
            action=change.action,
            change=change,
        )
        for change in change_set.changes_of_rows(rows, documents=False)
    ]
    return PromotionPlan(change_set=change_set, writes=listed, total=len(change_set))


def change_dependencies(*, change: PendingChange) -> list[PlannedWrite]:
    """What applying ``change`` alone would also apply ("also applies: Layout 'Receipt'")."""
    return changes_dependencies(change_set=change.change_set, changes=[change])[change.change_id]


def changes_dependencies(*, change_set: ChangeSet, changes: list[PendingChange]) -> dict:
    """change id -> its dependencies, for a page of changes in a constant number of queries."""
    return page_dependencies(change_set, changes)


@transaction.atomic
def change_discard(*, source: Environment, change_id: str, fingerprint: str, actor) -> Promotion:
    """Reset the upstream entity of a change to its downstream document (delete it upstream if
    it was created there), recorded as a promotion from the downstream into ``source``.

    Refused in a read-only source (Staging): its content changes only by promotion.
    """
    policy.require(policy.Write.CONTENT, environment=source, actor=actor)
    environments = _lock_environments(organization=source.organization)
    source = _locked(source, environments)
    if source.is_read_only:
        raise PermissionDenied(
            f"{source.name} is read-only: its content changes only by promotion. Discard the "
            f"change in {environments[source.upstream_id].name}, or revert the promotion that "
            "brought it here."
        )
    target = _downstream_of(source, environments)
    if target is None:
        raise PromotionRefused(f"{source.name} has no downstream: there is nothing to discard.")
    change_set = ChangeSet(source=source, target=target)
    change = change_set.get(change_id)
    if change is None:
        raise PromotionRefused("This change is no longer pending: nothing to discard.")
    if change.fingerprint != fingerprint:
        raise ChangeEditedSinceReview(_stale_message([change]), changes=[change])
    writes = plan_writes(
        requested=[_write_discarding(change)],
        target=source,
        dependency_for=discard_dependencies(change_set),
    )
    return _apply_writes(
        writes=writes, kind=PromotionKind.DISCARD, source=target, target=source, actor=actor
    )


# Revert -------------------------------------------------------------------------------------


def _revert_blocker(promotion: Promotion) -> str | None:
    later = (
        PromotionItem.objects.filter(
            promotion__target_id=promotion.target_id,
            promotion__pk__gt=promotion.pk,
            origin_id__in=promotion.items.values("origin_id"),
        )
        .select_related("promotion__actor", "promotion__reverts")
        .order_by("promotion__pk")
    )
    later = list(later[:20])
    if not later:
        return None
    if any(item.promotion.reverts_id == promotion.pk for item in later):
        return "This promotion was already reverted."
    first = later[0].promotion
    names = ", ".join(sorted({label_of(item.type_key, item.name) for item in later}))
    when = timezone.localtime(first.created_at).strftime("%b %-d, %Y %H:%M")
    who = first.actor_label or "someone"
    return (
        f"Refused: a later promotion ({when}, by {who}) changed {names} in "
        f"{promotion.target.name} again. Reverting this one would undo that work too; revert "
        "the later promotion first."
    )


def promotion_revert_check(*, promotion: Promotion) -> str | None:
    """Why ``promotion`` cannot be reverted, or None if it can (a read, for the page)."""
    if promotion.kind == PromotionKind.COPY:
        return "The copy that created an environment cannot be reverted."
    return _revert_blocker(promotion)


def _changed_since(promotion: Promotion, target: Environment) -> list[str]:
    """Items whose entity is no longer as the promotion left it: compared by hash, in SQL."""
    names = []
    items = PromotionItem.objects.filter(promotion=promotion)
    for promotable_type in promotable_types():
        same = promotable_type.rows(target).filter(origin_id=OuterRef("origin_id"))
        changed = items.filter(type_key=promotable_type.key).filter(
            Q(document_data__isnull=False, content_hash__isnull=True)
            | Q(document_data__isnull=False)
            & ~Exists(same.filter(content_hash=OuterRef("content_hash")))
            | Q(document_data__isnull=True) & Exists(same)
        )
        for item in changed.order_by("position").only("type_key", "name")[:20]:
            names.append(label_of(item.type_key, item.name))
    return names


@transaction.atomic
def promotion_revert(*, promotion: Promotion, actor) -> Promotion:
    """Restore the target of ``promotion`` to the documents it had before, as a new promotion.

    Refused with ``PromotionRefused`` if a later promotion changed the same entities, or if an
    entity is no longer as this promotion left it. Items are read and written in chunks.
    """
    target = promotion.target
    if target.is_read_only:
        policy.require(policy.Write.PROMOTION, environment=target.upstream, actor=actor)
    else:
        policy.require(policy.Write.CONTENT, environment=target, actor=actor)
    target = _locked(promotion.target, _lock_environments(organization=promotion.organization))
    reason = promotion_revert_check(promotion=promotion)
    if reason:
        raise PromotionRefused(reason)
    changed_since = _changed_since(promotion, target)
    if changed_since:
        raise PromotionRefused(
            f"Refused: {', '.join(changed_since)} changed in {target.name} after this "
            "promotion, so reverting it would overwrite that change."
        )
    history = _record(
        kind=PromotionKind.REVERT,
        source=promotion.source,
        target=target,
        actor=actor,
        reverts=promotion,
    )
    writer = _Writer(target=target, actor=actor, history=history)
    deletes: list[PlannedWrite] = []
    items = PromotionItem.objects.filter(promotion=promotion)
    for promotable_type in promotable_types():
        positions = list(
            items.filter(type_key=promotable_type.key)
            .order_by("position")
            .values_list("pk", flat=True)
        )
        for chunk in _chunks(positions):
            writes = _revert_writes(promotable_type, items.filter(pk__in=chunk), target)
            upserts = [write for write in writes if write.document is not None]
            if upserts:
                plan_writes(requested=upserts, target=target)  # references exist by now
            deletes.extend(write for write in writes if write.document is None)
            _execute(writer=writer, writes=upserts)
    deleted_keys = {(write.type_key, write.target.origin_id) for write in deletes}
    refuse_dangling(deletes, target=target, rewritten=deleted_keys)
    for chunk in _chunks(in_order(deletes)):
        _execute(writer=writer, writes=chunk)
    return writer.finish()


def _revert_writes(promotable_type, items, target) -> list[PlannedWrite]:
    items = list(items.order_by("position"))
    current = {
        state.origin_id: state
        for state in promotable_type.load(
            promotable_type.rows(target).filter(origin_id__in=[item.origin_id for item in items])
        )
    }
    writes = []
    for item in items:
        origin_id = str(item.origin_id)
        state = current.get(origin_id)
        prior = item.prior_document
        if prior is None and state is None:
            continue
        if state is None:
            action = Action.CREATED
        elif prior is None:
            action = Action.DELETED
        else:
            action = Action.UPDATED
        writes.append(
            PlannedWrite(
                type_key=item.type_key,
                origin_id=origin_id,
                document=prior,
                target=state,
                name=item.name,
                action=action,
                summary=f"revert: {item.summary}"[:300],
            )
        )
    return writes


# Environment insert -------------------------------------------------------------------------


@dataclass(frozen=True)
class InsertedEnvironment:
    environment: Environment
    issued_key: IssuedKey
    copied: int


def _unique_environment_slug(*, organization, name: str) -> str:
    base = slugify(name)[:50] or "environment"
    slug, suffix = base, 2
    while Environment.objects.filter(organization=organization, slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


@transaction.atomic
def environment_insert(*, upstream: Environment, name: str, actor) -> InsertedEnvironment:
    """Insert a new environment between ``upstream`` and its downstream (Staging between
    Development and Production).

    The new environment starts as a copy of the downstream's promotable content (what is
    live), with the same origin_ids, so every pending change still flows through it. It gets
    its own Application Identifier and one API key, returned so the caller shows it once.
    """
    organization = upstream.organization
    policy.require(policy.Write.SETTINGS, environment=upstream, actor=actor)
    name = name.strip()
    if not name:
        raise PromotionRefused("Give the new environment a name.")
    # FOR UPDATE, not FOR NO KEY UPDATE: moving the downstream's ``upstream`` (a unique, so key,
    # column) needs it on that row. Taken up front, in the same pk order as every service, it
    # cannot deadlock with them; upgrading a NO KEY lock later would wait mid-transaction for
    # every foreign-key insert in flight. The cost: inserts referencing this organization's
    # environments wait for this rare admin action to finish.
    environments = _lock_environments(organization=organization, for_key_update=True)
    upstream = _locked(upstream, environments)
    already_named = f"{organization.name} already has an environment named {name}."
    if any(environment.name.casefold() == name.casefold() for environment in environments.values()):
        raise PromotionRefused(already_named)
    downstream = _downstream_of(upstream, environments)
    if downstream is None:
        raise PromotionRefused(f"{upstream.name} has no downstream environment to insert before.")
    try:
        with transaction.atomic():  # a savepoint: the refusal below leaves a usable transaction
            inserted = Environment.objects.create(
                organization=organization,
                name=name,
                slug=_unique_environment_slug(organization=organization, name=name),
            )
    except IntegrityError as refused:
        # Another code path created an environment of this name (or slug) meanwhile.
        raise PromotionRefused(already_named) from refused
    # One-to-one upstream links: move the downstream first, then attach the new one.
    downstream.upstream = inserted
    downstream.save(update_fields=["upstream"])
    inserted.upstream = upstream
    inserted.save(update_fields=["upstream"])

    # A copy of what is live, type by type in dependency order, a chunk at a time; each row
    # keeps its origin_id and its hash (the documents are the same).
    history = _record(kind=PromotionKind.COPY, source=downstream, target=inserted, actor=actor)
    writer = _Writer(target=inserted, actor=actor, history=history)
    copied = 0
    for promotable_type in promotable_types():
        pks = list(promotable_type.rows(downstream).order_by("pk").values_list("pk", flat=True))
        for chunk in _chunks(pks):
            states = promotable_type.load(promotable_type.rows(downstream).filter(pk__in=chunk))
            _execute(
                writer=writer,
                writes=[
                    PlannedWrite(
                        type_key=promotable_type.key,
                        origin_id=state.origin_id,
                        document=state.document,
                        target=None,
                        content_hash=state.content_hash,
                        name=state.name,
                        action=Action.CREATED,
                        summary="copied",
                    )
                    for state in states
                ],
            )
            copied += len(states)
    writer.finish()
    issued = api_key_issue(environment=inserted, name="Default key", created_by=actor)
    in_app_integration_ensure(environments=[inserted])
    return InsertedEnvironment(environment=inserted, issued_key=issued, copied=copied)
