"""The facts of a change: what its row on the Changes page shows, without its documents.

A row shows a one-line summary and how many warnings the change has. Both come from the pair
of documents (which fields differ, the variables the new templates read that the old ones do
not, the identifiers, the channels of the active steps) and from the target as it is now (who
still references a deleted entity, which channels have an integration, what recent triggers
carried). The first part is stored the first time it is worked out, under the pair's content
hashes, so a page of 25 changes reads 25 facts in one query instead of loading 50 documents;
the second part is read live, by ``changes.warnings``. A stored fact cannot be stale: an edit
on either side changes a hash, and so the key. The diff itself is loaded when a row is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from changes.models import ChangeFacts

if TYPE_CHECKING:
    from changes.diff import PendingChange
    from changes.registry import Document, PromotableType

# Facts of pairs that are no longer pending are of no use; they are deleted after this long.
# (Deleting one that is still pending only means it is worked out again.)
FACTS_KEPT = timedelta(days=30)


@dataclass(frozen=True)
class Facts:
    summary: str
    added_variables: tuple[str, ...] = ()
    old_identifier: str = ""
    new_identifier: str = ""
    channels: tuple[str, ...] = ()


def facts_of(
    promotable_type: PromotableType,
    *,
    old: Document | None,
    new: Document | None,
    relinks: bool = False,
) -> Facts:
    """The facts of the pair (``old`` in the target, ``new`` in the source)."""
    from changes.comparisons import change_summary
    from changes.warnings import added_variables

    identifier = promotable_type.identifier_field
    added = ()
    if promotable_type.template_fields and new is not None:
        added = tuple(added_variables(promotable_type, upstream=new, downstream=old))
    channels = ()
    if promotable_type.key == "workflow" and new is not None:
        steps = new.get("steps", [])
        channels = tuple(sorted({step["channel"] for step in steps if step.get("active", True)}))
    return Facts(
        summary=change_summary(promotable_type, old=old, new=new, relinks=relinks)[:300],
        added_variables=added,
        old_identifier=str((old or {}).get(identifier) or "") if identifier else "",
        new_identifier=str((new or {}).get(identifier) or "") if identifier else "",
        channels=channels,
    )


def facts_key(change: PendingChange) -> str | None:
    """Where the facts of ``change`` are stored; None when a side has no hash yet."""
    states = [state for state in (change.upstream, change.downstream) if state is not None]
    if any(state.content_hash is None for state in states):
        return None
    return f"{change.type_key}:{change.fingerprint}:{'relink' if change.relinks else 'pair'}"


def _from_row(row: ChangeFacts) -> Facts:
    return Facts(
        summary=row.summary,
        added_variables=tuple(row.added_variables),
        old_identifier=row.old_identifier,
        new_identifier=row.new_identifier,
        channels=tuple(row.channels),
    )


def facts_for(change_set, changes: list[PendingChange]) -> dict[str, Facts]:
    """change id -> facts of ``changes``: one query for those stored, and for the others their
    documents loaded together, the facts worked out and stored in one more."""
    keys = {change.change_id: facts_key(change) for change in changes}
    stored = {
        row.key: _from_row(row)
        for row in ChangeFacts.objects.filter(
            source=change_set.source, key__in={key for key in keys.values() if key}
        )
    }
    missing = [change for change in changes if keys[change.change_id] not in stored]
    found = {
        change.change_id: stored[keys[change.change_id]]
        for change in changes
        if keys[change.change_id] in stored
    }
    if not missing:
        return found
    change_set.load_documents(missing)
    new_rows = {}
    for change in missing:
        facts = facts_of(
            change.promotable_type,
            old=change.downstream_document,
            new=change.upstream_document,
            relinks=change.relinks,
        )
        found[change.change_id] = facts
        key = keys[change.change_id]
        if key is not None:
            new_rows[key] = ChangeFacts(
                source=change_set.source,
                key=key,
                summary=facts.summary,
                added_variables=list(facts.added_variables),
                old_identifier=facts.old_identifier[:200],
                new_identifier=facts.new_identifier[:200],
                channels=list(facts.channels),
            )
    if new_rows:
        ChangeFacts.objects.filter(
            source=change_set.source, created_at__lt=timezone.now() - FACTS_KEPT
        ).delete()
        ChangeFacts.objects.bulk_create(new_rows.values(), ignore_conflicts=True)
    return found
