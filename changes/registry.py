"""The registry of promotable types: canonical documents, and how to write them.

A **document** is the promotable state of one entity as plain JSON-able data: only the fields
that promotion carries, references to other entities by ``origin_id`` (never by primary key),
and a workflow's steps in order, each with its own ``origin_id``. Two environments are compared
by their documents, and a promotion writes documents into the target.

Every type loads all of an environment's documents in a constant number of queries (one per
table, never one per entity), and applies a batch of documents with bulk writes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from hashlib import sha256
from typing import Any

from django.db import models
from django.utils import timezone

from branding.models import Brand, Layout
from environments.models import Environment, user_of
from workflows.models import Feed, Step, Workflow, WorkflowGroup

Document = dict[str, Any]


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def fingerprint_of(*documents: Document | None) -> str:
    """A short hash of both sides of a change: it changes whenever either side does."""
    return sha256(canonical_json(list(documents)).encode()).hexdigest()[:16]


def update_changed(model, rows: list[tuple[models.Model, dict]], *, same_for_all: dict) -> None:
    """Write ``rows`` (instance, new values) with a number of queries that does not grow with
    the number of rows: one UPDATE per field that changed in some row, covering only the rows
    where it changed, and one UPDATE for the values every row gets.

    Django's ``bulk_update`` builds a CASE per row and field; giving it only the changed cells
    keeps Promote all of a thousand workflows well inside its time budget.
    """
    if not rows:
        return
    manager = model.unscoped_across_environments
    changed: dict[str, list[models.Model]] = {}
    for instance, values in rows:
        for key, value in values.items():
            field = model._meta.get_field(key)  # "group" and "group_id" both name the field
            if getattr(instance, field.attname) != value:
                setattr(instance, field.attname, value)
                changed.setdefault(field.name, []).append(instance)
    for name, instances in changed.items():
        manager.bulk_update(instances, [name])
    if same_for_all:
        manager.filter(pk__in=[instance.pk for instance, _ in rows]).update(**same_for_all)


def _display_name(name: str | None, email: str | None) -> str | None:
    if name:
        return name
    if email:
        return email.split("@")[0]
    return None


@dataclass
class EntityState:
    """One entity as it is in one environment."""

    type_key: str
    origin_id: str
    pk: int
    name: str
    document: Document
    # The row's own API id: never part of the document, so it never shows as a change.
    public_id: str | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None


@dataclass
class Write:
    """One entity to create, update or delete in the target environment.

    ``document`` None means delete. ``target`` is the target's current row, if any; its
    ``origin_id`` can differ from ``origin_id`` when the two were paired by natural key.
    """

    type_key: str
    origin_id: str
    document: Document | None
    target: EntityState | None


@dataclass
class TargetIndex:
    """origin_id -> pk of each type in the target, kept current while a promotion writes."""

    environment: Environment
    pks: dict[str, dict[str, int]] = field(default_factory=dict)

    def pk_of(self, type_key: str, origin_id: str | None) -> int | None:
        if origin_id is None:
            return None
        try:
            return self.pks[type_key][origin_id]
        except KeyError as missing:
            # Validation of the plan makes this unreachable; fail loudly rather than write NULL.
            raise LookupError(
                f"{type_key} {origin_id} does not exist in {self.environment.name}."
            ) from missing

    def refresh(self, promotable_type: PromotableType) -> None:
        self.pks[promotable_type.key] = {
            str(origin_id): pk
            for origin_id, pk in promotable_type.rows(self.environment).values_list(
                "origin_id", "pk"
            )
        }


class PromotableType:
    """How one kind of promotable content becomes a document and back."""

    key: str
    label: str
    plural: str
    model: type[models.Model]
    fields: tuple[str, ...] = ()
    # Unmatched entities on both sides with the same natural key are the same entity (the
    # "General" group each environment made for itself; a workflow deleted and re-created
    # under the same identifier). Pairing them avoids a create that the target's unique
    # constraints would refuse.
    natural_key_field: str | None = None
    # document field -> type key of the entity it names by origin_id
    references: dict[str, str] = {}
    url_name: str | None = None

    def rows(self, environment: Environment) -> models.QuerySet:
        # Promotion reads and writes two environments at once: the audited escape hatch.
        return self.model.unscoped_across_environments.filter(environment=environment)

    def natural_key_of(self, document: Document) -> Any:
        return document.get(self.natural_key_field) if self.natural_key_field else None

    def name_of(self, document: Document) -> str:
        return str(document.get("name") or self.label)

    def referenced(self, document: Document) -> Iterator[tuple[str, str]]:
        """(type key, origin_id) of every entity the document names."""
        for field_name, type_key in self.references.items():
            if document.get(field_name):
                yield type_key, document[field_name]

    def load(self, environment: Environment) -> dict[str, EntityState]:
        values = self.rows(environment).values(
            "pk",
            "origin_id",
            "public_id",
            "updated_at",
            "updated_by__name",
            "updated_by__email",
            *self.fields,
            *(f"{name}__origin_id" for name in self.references),
        )
        states = {}
        for row in values:
            document = self.document_from_row(row)
            origin_id = str(row["origin_id"])
            states[origin_id] = EntityState(
                type_key=self.key,
                origin_id=origin_id,
                pk=row["pk"],
                public_id=str(row["public_id"]),
                name=self.name_of(document),
                document=document,
                updated_by=_display_name(row["updated_by__name"], row["updated_by__email"]),
                updated_at=row["updated_at"],
            )
        return states

    def document_from_row(self, row: dict) -> Document:
        document = {name: row[name] for name in self.fields}
        for name in self.references:
            origin_id = row[f"{name}__origin_id"]
            document[name] = str(origin_id) if origin_id else None
        return document

    def model_values(self, document: Document, index: TargetIndex) -> dict[str, Any]:
        values = {name: document[name] for name in self.fields}
        for name, type_key in self.references.items():
            values[f"{name}_id"] = index.pk_of(type_key, document.get(name))
        return values

    def apply(self, *, writes: list[Write], index: TargetIndex, actor) -> None:
        """Create and update ``writes`` (all upserts of this type) in bulk."""
        environment = index.environment
        now = timezone.now()
        editor = user_of(actor)
        updates = [write for write in writes if write.target is not None]
        creates = [write for write in writes if write.target is None]
        for batch in self.update_batches(updates):
            rows = self.model.unscoped_across_environments.in_bulk(
                [write.target.pk for write in batch]
            )
            update_changed(
                self.model,
                [
                    (
                        rows[write.target.pk],
                        {
                            **self.model_values(write.document, index),
                            "origin_id": uuid.UUID(write.origin_id),
                        },
                    )
                    for write in batch
                ],
                same_for_all={"updated_by": editor, "updated_at": now},
            )
        if creates:
            self.model.unscoped_across_environments.bulk_create(
                [
                    self.model(
                        environment=environment,
                        origin_id=write.origin_id,
                        updated_by=editor,
                        updated_at=now,
                        **self.model_values(write.document, index),
                    )
                    for write in creates
                ],
            )

    def update_batches(self, updates: list[Write]) -> Iterable[list[Write]]:
        return [updates]

    def delete(self, *, pks: list[int], environment: Environment) -> None:
        if pks:
            self.rows(environment).filter(pk__in=pks).delete()


class WorkflowGroupType(PromotableType):
    key = "workflow_group"
    label = "Workflow group"
    plural = "Workflow groups"
    model = WorkflowGroup
    fields = ("name",)
    natural_key_field = "name"


class FeedType(PromotableType):
    key = "feed"
    label = "Feed"
    plural = "Feeds"
    model = Feed
    fields = ("name", "identifier")
    natural_key_field = "identifier"


class LayoutType(PromotableType):
    key = "layout"
    label = "Layout"
    plural = "Layouts"
    model = Layout
    fields = ("name", "identifier", "html", "is_default")
    natural_key_field = "identifier"

    def update_batches(self, updates):
        # One default layout per environment: unset the old default before setting the new one,
        # or the unique constraint sees two defaults in between.
        return [
            [write for write in updates if not write.document["is_default"]],
            [write for write in updates if write.document["is_default"]],
        ]

    def apply(self, *, writes, index, actor):
        if any(write.document["is_default"] for write in writes):
            # A new default replaces the target's current one even when only it was selected.
            moving = {write.target.pk for write in writes if write.target is not None}
            self.rows(index.environment).filter(is_default=True).exclude(pk__in=moving).update(
                is_default=False
            )
        super().apply(writes=writes, index=index, actor=actor)


class BrandType(PromotableType):
    key = "brand"
    label = "Brand"
    plural = "Brand"
    model = Brand
    fields = (
        "primary_color",
        "font_color",
        "content_background_color",
        "font_family",
        "direction",
        "logo",
    )

    def natural_key_of(self, document):
        # One brand per environment: the two environments' brands are always the same entity.
        return "brand"

    def name_of(self, document):
        return "Brand settings"


STEP_FIELDS = ("channel", "name", "active", "subject", "body", "cta_url")
STEP_REFERENCES = {"feed": "feed", "layout": "layout"}


class WorkflowType(PromotableType):
    key = "workflow"
    label = "Workflow"
    plural = "Workflows"
    model = Workflow
    fields = (
        "name",
        "identifier",
        "description",
        "tags",
        "active",
        "critical",
        "preference_defaults",
    )
    references = {"group": "workflow_group"}
    natural_key_field = "identifier"

    def referenced(self, document):
        yield from super().referenced(document)
        for step in document.get("steps", []):
            for field_name, type_key in STEP_REFERENCES.items():
                if step.get(field_name):
                    yield type_key, step[field_name]

    def load(self, environment):
        states = super().load(environment)
        by_pk = {state.pk: state for state in states.values()}
        for state in states.values():
            state.document["steps"] = []
        step_rows = (
            Step.unscoped_across_environments.filter(environment=environment)
            .order_by("workflow_id", "position", "pk")
            .values(
                "workflow_id",
                "origin_id",
                *STEP_FIELDS,
                *(f"{name}__origin_id" for name in STEP_REFERENCES),
            )
        )
        for row in step_rows:
            step = {"origin_id": str(row["origin_id"])}
            step.update({name: row[name] for name in STEP_FIELDS})
            for name in STEP_REFERENCES:
                origin_id = row[f"{name}__origin_id"]
                step[name] = str(origin_id) if origin_id else None
            by_pk[row["workflow_id"]].document["steps"].append(step)
        return states

    def apply(self, *, writes, index, actor):
        super().apply(writes=writes, index=index, actor=actor)
        index.refresh(self)
        environment = index.environment
        workflow_pks = [index.pk_of(self.key, write.origin_id) for write in writes]
        existing = {
            str(step.origin_id): step
            for step in Step.unscoped_across_environments.filter(
                environment=environment, workflow_id__in=workflow_pks
            )
        }
        wanted: set[str] = set()
        updated, created = [], []
        for write, workflow_pk in zip(writes, workflow_pks, strict=True):
            for position, step_document in enumerate(write.document["steps"]):
                values = {name: step_document[name] for name in STEP_FIELDS}
                for name, type_key in STEP_REFERENCES.items():
                    values[f"{name}_id"] = index.pk_of(type_key, step_document.get(name))
                values.update(workflow_id=workflow_pk, position=position)
                origin_id = step_document["origin_id"]
                wanted.add(origin_id)
                step = existing.get(origin_id)
                if step is None:
                    created.append(Step(environment=environment, origin_id=origin_id, **values))
                else:
                    updated.append((step, values))
        removed = [step.pk for origin_id, step in existing.items() if origin_id not in wanted]
        if removed:
            Step.unscoped_across_environments.filter(pk__in=removed).delete()
        update_changed(Step, updated, same_for_all={})
        if created:
            Step.unscoped_across_environments.bulk_create(created)

    def delete(self, *, pks, environment):
        if pks:
            Step.unscoped_across_environments.filter(
                environment=environment, workflow_id__in=pks
            ).delete()
        super().delete(pks=pks, environment=environment)


# Dependency order: a type only references types before it. Creates and updates run in this
# order, deletes in reverse.
PROMOTABLE_TYPES: tuple[PromotableType, ...] = (
    WorkflowGroupType(),
    FeedType(),
    LayoutType(),
    BrandType(),
    WorkflowType(),
)
REGISTRY: dict[str, PromotableType] = {
    promotable_type.key: promotable_type for promotable_type in PROMOTABLE_TYPES
}
TYPE_ORDER = {
    promotable_type.key: position for position, promotable_type in enumerate(PROMOTABLE_TYPES)
}


def load_environment(environment: Environment) -> dict[str, dict[str, EntityState]]:
    """Every promotable entity of ``environment``: six queries, whatever its size."""
    return {
        promotable_type.key: promotable_type.load(environment)
        for promotable_type in PROMOTABLE_TYPES
    }
