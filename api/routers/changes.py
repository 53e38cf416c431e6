"""``/v1/changes``: what Development would promote, and applying it, with the dashboard's
services (atomic, dependencies included, recorded in History under the key's name).

A change's ``_id`` is ``<type>.<origin id>.<fingerprint>``: which entity (the change id the
dashboard uses, ``<type>:<origin id>``) and the fingerprint of both sides as they were when the
id was read. Applying it runs the same check as the dashboard's Apply button:

- still pending with that fingerprint: applied (201, with what was applied);
- pending, but edited since (either side): 409, nothing applied;
- applied already, exactly as listed: 201 with nothing more to apply (a retry is harmless);
- anything else (malformed, another environment's, never pending here): 404.

The id stays the same in ``?promoted=true``, so a client can tell what it applied. An entity
edited again gets a new fingerprint, so a new change ``_id``.
"""

import re
from typing import Any, Literal
from uuid import UUID

from django.db import transaction
from ninja import Query, Schema, Status
from ninja.decorators import decorate_view
from pydantic import Field

from api.api import key_router
from api.authentication import key_may
from api.errors import ApiError, not_found
from api.schemas.common import (
    ADMISSION_ERRORS,
    Envelope,
    Error,
    InputSchema,
    PageQuery,
    bounded_text,
)
from changes.diff import PendingChange, entity_names, referenced_keys
from changes.models import PromotionItem, PromotionKind
from changes.registry import REGISTRY, Document
from changes.selectors import (
    applied_selection,
    change_set_for,
    item_fingerprint,
    pending_change_count,
    promoted_item_list,
)
from changes.services import ChangeEditedSinceReview, PromotionRefused, changes_apply
from environments.policy import Write

router = key_router(tags=["Changes"])

MAX_BULK = 500
# A change's fingerprint: its pair of content hashes, "-" for a side that does not exist.
FINGERPRINT = re.compile(r"^(?:[0-9a-f]{16}|-)\.(?:[0-9a-f]{16}|-)$")

# Novu's names of the entity types; Brand is Herald's own.
TYPE_NAMES = {
    "workflow": "NotificationTemplate",
    "workflow_group": "NotificationGroup",
    "feed": "Feed",
    "layout": "Layout",
    "brand": "Brand",
}


# Ids ---------------------------------------------------------------------------------------


def change_public_id(type_key: str, origin_id: str, fingerprint: str) -> str:
    return f"{type_key}.{origin_id}.{fingerprint}"


def parsed_change_public_id(given: str) -> tuple[str, str] | None:
    """(change id, fingerprint) of a change ``_id``, or None if it cannot be one."""
    type_key, _, rest = given.partition(".")
    origin_id, _, fingerprint = rest.partition(".")
    if type_key not in REGISTRY or not FINGERPRINT.match(fingerprint):
        return None
    try:
        origin_id = str(UUID(origin_id))
    except ValueError:
        return None
    return f"{type_key}:{origin_id}", fingerprint


# Shapes ------------------------------------------------------------------------------------


class ChangeOperation(Schema):
    op: Literal["add", "remove", "update"]
    path: list[str]
    val: Any = None


class ChangeUser(Schema):
    name: str


class ChangeOut(Schema):
    id: str = Field(alias="_id")
    entityId: str | None = Field(alias="_entityId")
    environmentId: str = Field(alias="_environmentId")
    organizationId: str = Field(alias="_organizationId")
    type: str
    action: Literal["created", "updated", "deleted"]
    change: list[ChangeOperation]
    enabled: bool = Field(description="True once promoted.")
    templateName: str
    user: ChangeUser | None
    createdAt: str | None

    model_config = {"populate_by_name": True}


class ChangePage(Schema):
    page: int
    pageSize: int
    totalCount: int
    hasMore: bool
    data: list[ChangeOut]


class ChangeQuery(PageQuery):
    promoted: Literal["true", "false"] = "false"


class BulkApplyIn(InputSchema):
    changeIds: list[bounded_text(200)] = Field(min_length=1, max_length=MAX_BULK)


def _readable(type_key: str, document: Document | None, names) -> Document | None:
    """A document as a client reads it: references by name, steps without their origin ids."""
    if document is None:
        return None
    readable = dict(document)
    promotable_type = REGISTRY[type_key]
    for field_name, referenced_type in promotable_type.reference_keys().items():
        readable[field_name] = names.get((referenced_type, document.get(field_name)))
    if promotable_type.parts is not None and "steps" in document:
        step_references = promotable_type.parts.reference_keys()
        readable["steps"] = [
            {
                **{key: value for key, value in step.items() if key != "origin_id"},
                **{
                    field_name: names.get((referenced_type, step.get(field_name)))
                    for field_name, referenced_type in step_references.items()
                },
            }
            for step in document["steps"]
        ]
    return readable


def change_operations(type_key: str, old: Document | None, new: Document | None, names):
    """Novu's ``change``: what applying it writes, field by field."""
    if old is None:
        return [{"op": "add", "path": [], "val": _readable(type_key, new, names)}]
    if new is None:
        return [{"op": "remove", "path": [], "val": _readable(type_key, old, names)}]
    readable = _readable(type_key, new, names)
    return [
        {"op": "update", "path": [key], "val": readable.get(key)}
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]


def pending_change_out(change: PendingChange, environment) -> dict:
    return {
        "_id": change_public_id(change.type_key, change.origin_id, change.fingerprint),
        "_entityId": change.entity_public_id,
        "_environmentId": str(environment.pk),
        "_organizationId": str(environment.organization_id),
        "type": TYPE_NAMES[change.type_key],
        "action": change.action,
        "change": change_operations(
            change.type_key,
            change.downstream_document,
            change.upstream_document,
            change.change_set.names_for([change]),
        ),
        "enabled": False,
        "templateName": change.name,
        "user": {"name": change.updated_by} if change.updated_by else None,
        "createdAt": change.updated_at.isoformat() if change.updated_at else None,
    }


def promoted_change_out(item: PromotionItem, environment, names) -> dict:
    promotion = item.promotion
    return {
        "_id": change_public_id(item.type_key, str(item.origin_id), item_fingerprint(item)),
        "_entityId": str(item.entity_public_id) if item.entity_public_id else None,
        "_environmentId": str(environment.pk),
        "_organizationId": str(environment.organization_id),
        "type": TYPE_NAMES[item.type_key],
        "action": item.action,
        "change": change_operations(item.type_key, item.prior_document, item.document, names),
        "enabled": True,
        "templateName": item.name,
        "user": {"name": promotion.actor_label} if promotion.actor_label else None,
        "createdAt": promotion.created_at.isoformat(),
    }


def _promoted_out(items: list[PromotionItem], environment) -> list[dict]:
    keys = set()
    for item in items:
        keys |= referenced_keys(item.type_key, item.document, item.prior_document)
    downstream = environment.get_downstream()
    names = entity_names(
        environments=[environment, *([downstream] if downstream else [])], keys=keys
    )
    names.update({(item.type_key, str(item.origin_id)): item.name for item in items})
    return [promoted_change_out(item, environment, names) for item in items]


# Routes ------------------------------------------------------------------------------------


@router.get("", response={200: ChangePage, 400: Error, **ADMISSION_ERRORS}, by_alias=True)
def change_list(request, query: Query[ChangeQuery]):
    """Pending changes into the downstream environment (``promoted=false``, the default), or
    the changes already promoted out of this environment, newest first (``promoted=true``).
    The last environment (Production) has none of either."""
    environment = request.environment
    offset = query.page * query.limit
    if query.promoted == "true":
        items = promoted_item_list(environment)
        page = list(items[offset : offset + query.limit])
        total = items.count()
        data = _promoted_out(page, environment)
    else:
        change_set = change_set_for(environment)
        # Counted and paged in SQL: documents load for the page's changes only.
        changes = change_set.page() if change_set is not None else []
        total = len(changes)
        page = changes[offset : offset + query.limit]
        if change_set is not None:
            change_set.prefetch(page)
        data = [pending_change_out(change, environment) for change in page]
    return {
        "page": query.page,
        "pageSize": query.limit,
        "totalCount": total,
        "hasMore": offset + query.limit < total,
        "data": data,
    }


@router.get("/count", response={200: Envelope[int], **ADMISSION_ERRORS}, by_alias=True)
def change_count(request):
    return {"data": pending_change_count(request.environment) or 0}


def _apply(request, given_ids: list[str], *, kind: str) -> list[list[dict]]:
    """Apply the changes ``given_ids`` as one promotion; per id, what was applied for it."""
    environment = request.environment
    selection = []
    for given in given_ids:
        parsed = parsed_change_public_id(given)
        if parsed is None:
            raise not_found("pending change", given, environment=environment)
        selection.append(parsed)
    try:
        with transaction.atomic():
            result = changes_apply(
                source=environment, selection=selection, actor=request.api_key, kind=kind
            )
            not_pending = [pair for pair in selection if pair[0] in result.already_applied]
            applied_before = applied_selection(environment, not_pending)
            for pair, given in zip(selection, given_ids, strict=True):
                if pair in not_pending and pair not in applied_before:
                    # Rolls back what this request applied: the request names an unknown change.
                    raise not_found("pending change", given, environment=environment)
    except ChangeEditedSinceReview as stale:
        raise ApiError(409, str(stale)) from stale
    except PromotionRefused as refused:
        raise ApiError(409, str(refused)) from refused
    items = list(result.promotion.items.all()) if result.promotion else []
    out = dict(
        zip(
            [(item.type_key, str(item.origin_id)) for item in items],
            _promoted_out(items, environment),
            strict=True,
        )
    )
    dependencies = [item for item in items if item.included_as_dependency]
    per_change, attributed = [], set()
    for change_id, _fingerprint in selection:
        type_key, _, origin_id = change_id.partition(":")
        item = next(
            (i for i in items if (i.type_key, str(i.origin_id)) == (type_key, origin_id)), None
        )
        applied = []
        if item is not None and not item.included_as_dependency:
            applied.append(out[(type_key, origin_id)])
            references = referenced_keys(type_key, item.document)
            for dependency in dependencies:
                key = (dependency.type_key, str(dependency.origin_id))
                if key in references:
                    applied.append(out[key])
                    attributed.add(key)
        per_change.append(applied)
    # A dependency of a dependency goes with the first change applied.
    leftover = [
        out[key]
        for key in ((d.type_key, str(d.origin_id)) for d in dependencies)
        if key not in attributed
    ]
    if leftover:
        first = next((applied for applied in per_change if applied), per_change[0])
        first.extend(leftover)
    return per_change


APPLY_RESPONSES = {403: Error, 404: Error, 409: Error, **ADMISSION_ERRORS}


@router.post(
    "/bulk/apply",
    response={201: Envelope[list[list[ChangeOut]]], 400: Error, **APPLY_RESPONSES},
    by_alias=True,
)
@decorate_view(key_may(Write.PROMOTION))
def change_bulk_apply(request, payload: BulkApplyIn):
    """Apply these changes together, in one transaction, recorded as one promotion: all of
    them, or (on any 404 or 409) none. ``data`` has, per id, the changes applied for it (the
    change and what it needed); an id applied already has an empty list."""
    applied = _apply(request, payload.changeIds, kind=PromotionKind.APPLY_SELECTED)
    return Status(201, {"data": applied})


@router.post(
    "/{change_id}/apply",
    response={201: Envelope[list[ChangeOut]], **APPLY_RESPONSES},
    by_alias=True,
)
@decorate_view(key_may(Write.PROMOTION))
def change_apply(request, change_id: str):
    """Apply one change into the downstream environment, with what it needs there (a group,
    feed or layout it uses), as the dashboard's Apply does."""
    [applied] = _apply(request, [change_id], kind=PromotionKind.APPLY)
    return Status(201, {"data": applied})
