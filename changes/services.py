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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.text import slugify

from changes.diff import Action, ChangeSet, PendingChange, referrers_index
from changes.models import Promotion, PromotionItem, PromotionKind
from changes.registry import (
    PROMOTABLE_TYPES,
    REGISTRY,
    TYPE_ORDER,
    EntityState,
    TargetIndex,
    Write,
    load_environment,
)
from environments import policy
from environments.models import ApiKey, Environment, user_of
from environments.services import IssuedKey, api_key_issue
from integrations.services import in_app_integration_ensure


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


def _label(type_key: str, name: str) -> str:
    return f"{REGISTRY[type_key].label} “{name}”"


def _write_from_change(change: PendingChange, *, dependency: bool = False) -> PlannedWrite:
    """Make the downstream side of ``change`` equal to its upstream side."""
    return PlannedWrite(
        type_key=change.type_key,
        origin_id=change.origin_id,
        document=change.upstream_document,
        target=change.downstream,
        name=change.name,
        action=change.action,
        included_as_dependency=dependency,
        change=change,
    )


def _write_discarding(change: PendingChange, *, dependency: bool = False) -> PlannedWrite:
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
        name=change.name,
        action=action,
        included_as_dependency=dependency,
        change=change,
    )


def _dependency_finder(change_set: ChangeSet):
    """Promoting: a missing reference is brought by the pending change of that entity."""

    def dependency_for(key: tuple[str, str]) -> PlannedWrite | None:
        change = change_set.by_id.get(f"{key[0]}:{key[1]}")
        return _write_from_change(change, dependency=True) if change else None

    return dependency_for


def _discard_dependency_finder(change_set: ChangeSet):
    """Discarding: a missing reference is restored from the downstream side."""
    by_downstream_origin = {
        (change.type_key, change.downstream.origin_id): change
        for change in change_set.changes
        if change.downstream is not None
    }

    def dependency_for(key: tuple[str, str]) -> PlannedWrite | None:
        change = by_downstream_origin.get(key)
        return _write_discarding(change, dependency=True) if change else None

    return dependency_for


def plan_writes(
    *,
    requested: Iterable[PlannedWrite],
    target: Environment,
    target_states: dict[str, dict[str, EntityState]],
    target_referrers: dict[tuple[str, str], list[EntityState]],
    dependency_for: Callable[[tuple[str, str]], PlannedWrite | None] | None = None,
) -> list[PlannedWrite]:
    """Order ``requested`` writes, add the dependencies they need, and refuse a broken result.

    A created or updated entity that references something the target lacks pulls in the write
    from ``dependency_for`` that creates it (the plan says "also applies"). A delete that would
    leave target content pointing at nothing is refused with the referencing entities named.
    Creates and updates run in dependency order, then deletes in reverse.
    """
    writes: dict[tuple[str, str], PlannedWrite] = {}
    for write in requested:
        writes[write.key] = write

    def removed_keys() -> set[tuple[str, str]]:
        # Only deletes remove an entity. A relinked one (paired by natural key) keeps its row,
        # and target rows reference rows, not origin_ids.
        return {
            (write.type_key, write.target.origin_id)
            for write in writes.values()
            if write.target is not None and write.document is None
        }

    def exists_after(key, removed) -> bool:
        if key in writes:
            return writes[key].document is not None
        if key in removed:
            return False
        type_key, origin_id = key
        return origin_id in target_states[type_key]

    # Dependencies are only ever creates or updates, so the removed set is fixed from here.
    removed = removed_keys()
    pending = [write for write in writes.values() if write.document is not None]
    while pending:
        write = pending.pop()
        for reference in REGISTRY[write.type_key].referenced(write.document):
            if exists_after(reference, removed):
                continue
            dependency = dependency_for(reference) if dependency_for else None
            if dependency is None or dependency.document is None:
                raise PromotionRefused(
                    f"{_label(write.type_key, write.name)} uses a "
                    f"{REGISTRY[reference[0]].label.lower()} that does not exist in "
                    f"{target.name}, and there is nothing to bring it from."
                )
            dependency.included_as_dependency = True
            writes[reference] = dependency
            pending.append(dependency)

    rewritten = {
        (write.type_key, write.target.origin_id) for write in writes.values() if write.target
    }
    dangling: dict[tuple[str, str], list[str]] = {}
    for key in removed:
        for referrer in target_referrers.get(key, []):
            referrer_key = (referrer.type_key, referrer.origin_id)
            if referrer_key in rewritten:
                continue  # the referrer is rewritten (or deleted) in this same promotion
            dangling.setdefault(key, []).append(_label(referrer.type_key, referrer.name))
    if dangling:
        reasons = []
        for (type_key, origin_id), names in dangling.items():
            state = target_states[type_key].get(origin_id)
            deleted = _label(type_key, state.name if state else origin_id)
            reasons.append(f"{deleted} is still used in {target.name} by {', '.join(names)}")
        raise PromotionRefused(
            "Refused: " + "; ".join(reasons) + ". Apply the changes that stop using it first, "
            "or together (Promote all changes)."
        )

    upserts = sorted(
        (write for write in writes.values() if write.document is not None),
        key=lambda write: TYPE_ORDER[write.type_key],
    )
    deletes = sorted(
        (write for write in writes.values() if write.document is None),
        key=lambda write: -TYPE_ORDER[write.type_key],
    )
    return upserts + deletes


def _execute(*, writes: list[PlannedWrite], target: Environment, target_states, actor) -> None:
    index = TargetIndex(
        environment=target,
        pks={
            type_key: {origin_id: state.pk for origin_id, state in by_origin.items()}
            for type_key, by_origin in target_states.items()
        },
    )
    try:
        for promotable_type in PROMOTABLE_TYPES:
            upserts = [
                write
                for write in writes
                if write.type_key == promotable_type.key and write.document is not None
            ]
            if upserts:
                promotable_type.apply(writes=upserts, index=index, actor=actor)
                index.refresh(promotable_type)
        for promotable_type in reversed(PROMOTABLE_TYPES):
            pks = [
                write.target.pk
                for write in writes
                if write.type_key == promotable_type.key
                and write.document is None
                and write.target is not None
            ]
            promotable_type.delete(pks=pks, environment=target)
    except (IntegrityError, ProtectedError) as refused:
        # The target's own rules (a unique identifier, a protected reference) refused a write.
        # Re-raised as a refusal; the transaction around us rolls everything back.
        raise PromotionRefused(
            f"{target.name} refused these changes ({refused}). Nothing was applied. Apply "
            "them together with the related changes (Promote all changes)."
        ) from refused


def _actor_columns(actor) -> dict:
    """How a promotion records ``actor``: a user, or an API key by name (History shows it)."""
    if isinstance(actor, ApiKey):
        return {"actor": None, "api_key": actor, "actor_name": f"API key “{actor.name}”"[:200]}
    user = user_of(actor)
    return {"actor": user, "actor_name": user.display_name[:200] if user else ""}


def _record(
    *,
    kind: str,
    source: Environment,
    target: Environment,
    actor,
    writes: list[PlannedWrite],
    reverts: Promotion | None = None,
) -> Promotion:
    counts = {Action.CREATED: 0, Action.UPDATED: 0, Action.DELETED: 0}
    for write in writes:
        counts[write.action] += 1
    promotion = Promotion.objects.create(
        organization_id=target.organization_id,
        source=source,
        target=target,
        kind=kind,
        reverts=reverts,
        **_actor_columns(actor),
        created_at=timezone.now(),
        created_count=counts[Action.CREATED],
        updated_count=counts[Action.UPDATED],
        deleted_count=counts[Action.DELETED],
    )
    PromotionItem.objects.bulk_create(
        [
            PromotionItem(
                promotion=promotion,
                position=position,
                type_key=write.type_key,
                origin_id=write.origin_id,
                entity_public_id=write.change.entity_public_id if write.change else None,
                name=write.name[:200],
                action=write.action,
                summary=(write.summary or (write.change.summary if write.change else ""))[:300],
                document=write.document,
                prior_document=write.target.document if write.target else None,
                included_as_dependency=write.included_as_dependency,
            )
            for position, write in enumerate(writes)
        ],
    )
    return promotion


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
    names = ", ".join(_label(change.type_key, change.name) for change in stale)
    return (
        f"This change was edited after you reviewed it: {names}. Review the new diff, then "
        "apply again. Nothing was applied."
    )


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
    refused with ``PromotionRefused``.
    """
    source, target = _promotion_target(source=source, actor=actor)
    change_set = ChangeSet.compute(source=source, target=target)
    chosen, stale, already_applied = [], [], []
    for change_id, fingerprint in selection:
        change = change_set.by_id.get(change_id)
        if change is None:
            already_applied.append(change_id)
        elif change.fingerprint != fingerprint:
            stale.append(change)
        else:
            chosen.append(change)
    if stale:
        raise ChangeEditedSinceReview(_stale_message(stale), changes=stale)
    if not chosen:
        return PromotionResult(promotion=None, already_applied=already_applied)
    writes = plan_writes(
        requested=[_write_from_change(change) for change in chosen],
        target=target,
        target_states=change_set.target_states,
        target_referrers=change_set.target_referrers,
        dependency_for=_dependency_finder(change_set),
    )
    _execute(writes=writes, target=target, target_states=change_set.target_states, actor=actor)
    promotion = _record(kind=kind, source=source, target=target, actor=actor, writes=writes)
    return PromotionResult(promotion=promotion, already_applied=already_applied)


@transaction.atomic
def changes_promote_all(
    *, source: Environment, actor, expected_fingerprint: str | None = None
) -> PromotionResult:
    """Apply every pending change from ``source`` into its downstream, as one promotion.

    With ``expected_fingerprint`` (the plan the operator confirmed), a plan that changed since
    is refused with ``ChangeEditedSinceReview``, and so is an empty string (no plan reviewed);
    None skips the check. A plan with nothing left is a no-op (the second of two concurrent or
    double-clicked promotions).
    """
    source, target = _promotion_target(source=source, actor=actor)
    change_set = ChangeSet.compute(source=source, target=target)
    if not change_set.changes:
        return PromotionResult(promotion=None)
    if expected_fingerprint is not None and expected_fingerprint != change_set.fingerprint:
        message = (
            "The pending changes were edited after you reviewed the plan. Review the new plan "
            "and confirm again. Nothing was applied."
            if expected_fingerprint
            else "Review the plan below, then confirm it. Nothing was applied."
        )
        raise ChangeEditedSinceReview(message, changes=[])
    writes = plan_writes(
        requested=[_write_from_change(change) for change in change_set.changes],
        target=target,
        target_states=change_set.target_states,
        target_referrers=change_set.target_referrers,
    )
    _execute(writes=writes, target=target, target_states=change_set.target_states, actor=actor)
    promotion = _record(
        kind=PromotionKind.PROMOTE_ALL, source=source, target=target, actor=actor, writes=writes
    )
    return PromotionResult(promotion=promotion)


def promotion_plan(*, change_set: ChangeSet) -> list[PlannedWrite]:
    """The dry run of Promote all: what would be written, in order. Writes nothing."""
    return plan_writes(
        requested=[_write_from_change(change) for change in change_set.changes],
        target=change_set.target,
        target_states=change_set.target_states,
        target_referrers=change_set.target_referrers,
    )


def change_dependencies(*, change: PendingChange) -> list[PlannedWrite]:
    """What applying ``change`` alone would also apply ("also applies: Layout 'Receipt'")."""
    change_set = change.change_set
    try:
        writes = plan_writes(
            requested=[_write_from_change(change)],
            target=change_set.target,
            target_states=change_set.target_states,
            target_referrers=change_set.target_referrers,
            dependency_for=_dependency_finder(change_set),
        )
    except PromotionRefused:
        return []
    return [write for write in writes if write.included_as_dependency]


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
    change_set = ChangeSet.compute(source=source, target=target)
    change = change_set.by_id.get(change_id)
    if change is None:
        raise PromotionRefused("This change is no longer pending: nothing to discard.")
    if change.fingerprint != fingerprint:
        raise ChangeEditedSinceReview(_stale_message([change]), changes=[change])
    writes = plan_writes(
        requested=[_write_discarding(change)],
        target=source,
        target_states=change_set.source_states,
        target_referrers=change_set.source_referrers,
        dependency_for=_discard_dependency_finder(change_set),
    )
    _execute(writes=writes, target=source, target_states=change_set.source_states, actor=actor)
    return _record(
        kind=PromotionKind.DISCARD, source=target, target=source, actor=actor, writes=writes
    )


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
    names = ", ".join(sorted({_label(item.type_key, item.name) for item in later}))
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


@transaction.atomic
def promotion_revert(*, promotion: Promotion, actor) -> Promotion:
    """Restore the target of ``promotion`` to the documents it had before, as a new promotion.

    Refused with ``PromotionRefused`` if a later promotion changed the same entities, or if an
    entity is no longer as this promotion left it.
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
    target_states = load_environment(target)
    writes = []
    changed_since = []
    for item in promotion.items.all():
        origin_id = str(item.origin_id)
        current = target_states[item.type_key].get(origin_id)
        current_document = current.document if current else None
        if current_document != item.document:
            changed_since.append(_label(item.type_key, item.name))
            continue
        if item.prior_document is None and current is None:
            continue
        if current is None:
            action = Action.CREATED
        elif item.prior_document is None:
            action = Action.DELETED
        else:
            action = Action.UPDATED
        writes.append(
            PlannedWrite(
                type_key=item.type_key,
                origin_id=origin_id,
                document=item.prior_document,
                target=current,
                name=item.name,
                action=action,
                summary=f"revert: {item.summary}"[:300],
            )
        )
    if changed_since:
        raise PromotionRefused(
            f"Refused: {', '.join(changed_since)} changed in {target.name} after this "
            "promotion, so reverting it would overwrite that change."
        )
    writes = plan_writes(
        requested=writes,
        target=target,
        target_states=target_states,
        target_referrers=referrers_index(target_states),
    )
    _execute(writes=writes, target=target, target_states=target_states, actor=actor)
    return _record(
        kind=PromotionKind.REVERT,
        source=promotion.source,
        target=target,
        actor=actor,
        writes=writes,
        reverts=promotion,
    )


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

    live = load_environment(downstream)
    empty = {promotable_type.key: {} for promotable_type in PROMOTABLE_TYPES}
    writes = [
        PlannedWrite(
            type_key=type_key,
            origin_id=origin_id,
            document=state.document,
            target=None,
            name=state.name,
            action=Action.CREATED,
            summary="copied",
        )
        for type_key, by_origin in live.items()
        for origin_id, state in by_origin.items()
    ]
    writes.sort(key=lambda write: TYPE_ORDER[write.type_key])
    _execute(writes=writes, target=inserted, target_states=empty, actor=actor)
    _record(kind=PromotionKind.COPY, source=downstream, target=inserted, actor=actor, writes=writes)
    issued = api_key_issue(environment=inserted, name="Default key", created_by=actor)
    in_app_integration_ensure(environments=[inserted])
    return InsertedEnvironment(environment=inserted, issued_key=issued, copied=len(writes))
