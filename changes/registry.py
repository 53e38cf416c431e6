"""The registry of promotable types.

Each app declares its promotable models in its own ``promotion.py``, which Django finds when it
starts (``autodiscover_modules``, as the admin finds ``admin.py``)::

    from changes.registry import register
    from workflows.models import Feed

    register(Feed, url_name="feeds:edit")

Everything else comes from the model's ``_meta``, as Wagtail's ``compare.py`` does: the fields a
document carries (every concrete, editable, non-unique field except the bookkeeping of
``PromotableModel``), their labels (``verbose_name``) and choices, references to other
promotable types (foreign keys), the natural key that pairs entities made separately on each
side (a unique constraint on ``environment`` and one field), and the dependency order. A type
declares only what differs: its URL, a name when the model has no ``name`` field, the parts of
its document (a workflow's steps), or a write hook (the one default layout).

A **document** is the promotable state of one entity as plain JSON-able data: references by
``origin_id`` (never by primary key), and the parts in order, each with its own ``origin_id``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from django.db import models
from django.db.models.functions import Lower
from django.utils.text import capfirst

Document = dict[str, Any]

# PromotableModel's own fields: identity and audit, never part of a document. ``public_id`` and
# ``created_at`` belong to each environment's own copy: they differ by design, never a change.
BOOKKEEPING_FIELDS = frozenset(
    {
        "environment",
        "origin_id",
        "public_id",
        "created_at",
        "updated_by",
        "updated_at",
        "content_hash",
    }
)


@dataclass(frozen=True)
class DocumentField:
    """One field of a document, as the model declares it."""

    name: str
    label: str
    model_field: models.Field
    # The promotable model this field names by origin_id (a foreign key), or None.
    reference: type[models.Model] | None = None

    @property
    def lookup(self) -> str:
        """What ``QuerySet.values()`` reads for it."""
        return f"{self.name}__origin_id" if self.reference is not None else self.name

    @property
    def column(self) -> str:
        """The model attribute it is written to (``group_id`` for a reference)."""
        return self.model_field.attname


def _is_document_field(model_field: models.Field, *, skip: Iterable[str]) -> bool:
    if model_field.primary_key or model_field.name in skip:
        return False
    # A unique field is a row's own identity (a public id): a copy downstream could not share it.
    return model_field.editable and not model_field.unique


def document_fields(model: type[models.Model], *, skip: Iterable[str]) -> tuple[DocumentField, ...]:
    """The fields of ``model`` that a document carries, in the model's order."""
    skip = frozenset(skip)
    return tuple(
        DocumentField(
            name=model_field.name,
            label=capfirst(model_field.verbose_name),
            model_field=model_field,
            reference=model_field.related_model if model_field.is_relation else None,
        )
        for model_field in model._meta.concrete_fields
        if _is_document_field(model_field, skip=skip)
    )


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _unique_field_sets(model: type[models.Model]) -> Iterator[tuple[str, ...]]:
    """Field sets unique per row without a condition, from constraints and unique_together."""
    for constraint in model._meta.constraints:
        if (
            isinstance(constraint, models.UniqueConstraint)
            and constraint.condition is None
            and constraint.fields
            and not constraint.expressions
        ):
            yield tuple(constraint.fields)
    yield from (tuple(fields) for fields in model._meta.unique_together)


class Parts:
    """Rows that are part of an entity's document, in order: a workflow's steps.

    Parts are not promotable on their own. Each carries an ``origin_id`` of its own, so a diff
    tells a moved part from a removed and an added one; its place in the list is its order.
    """

    def __init__(self, model: type[models.Model], *, order_field: str = "position"):
        self.model = model
        self.order_field = order_field

    def bind(self, parent: type[models.Model]) -> None:
        self.parent_field = next(
            model_field
            for model_field in self.model._meta.concrete_fields
            if model_field.is_relation and model_field.related_model is parent
        )
        self.key = self.parent_field.remote_field.related_name or f"{self.model._meta.model_name}s"
        self.label = capfirst(self.model._meta.verbose_name_plural)

    @cached_property
    def fields(self) -> tuple[DocumentField, ...]:
        return document_fields(
            self.model,
            skip={*BOOKKEEPING_FIELDS, self.parent_field.name, self.order_field},
        )

    def reference_keys(self) -> dict[str, str]:
        """Field name -> type key of each reference a part carries."""
        return _reference_keys(self.fields)


def _reference_keys(fields: Iterable[DocumentField]) -> dict[str, str]:
    return {
        document_field.name: type_of_model(document_field.reference).key
        for document_field in fields
        if document_field.reference is not None
    }


@dataclass
class EntityState:
    """One entity as it is in one environment. ``document`` is loaded only when asked for."""

    type_key: str
    origin_id: str
    pk: int
    name: str
    content_hash: int | None = None
    document: Document | None = None
    # The row's own API id: never part of the document, so it never shows as a change.
    public_id: str | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None
    # origin_id -> pk of each part, for writes that update parts in place.
    part_pks: dict[str, int] = field(default_factory=dict)
    # The natural key's value (see PromotableType.natural_key), and flags a query annotated.
    natural_key: Any = None
    flags: dict[str, Any] = field(default_factory=dict)


def _display_name(name: str | None, email: str | None) -> str | None:
    if name:
        return name
    if email:
        return email.split("@")[0]
    return None


class PromotableType:
    """How one promotable model becomes a document and back. Subclass it in ``promotion.py``
    to declare what ``_meta`` cannot tell (see the module docstring)."""

    model: type[models.Model]
    # Where the entity is edited: a URL name taking the environment's kwargs, and ``pk`` if
    # its pattern has one.
    url_name: str | None = None
    # The name shown when the model has no ``name`` field (one brand per environment).
    entity_name: str | None = None
    plural: str | None = None
    parts: Parts | None = None
    # Model fields that are not promoted, beyond PromotableModel's bookkeeping.
    exclude: tuple[str, ...] = ()
    # Fields (of the entity or its parts) holding Liquid templates: a change that makes them
    # read new variables is warned about.
    template_fields: tuple[str, ...] = ()
    # What renaming the identifier breaks downstream ({target}, {old}, {label}).
    renamed_identifier_consequence = (
        "Code in {target} that names the {label} “{old}” will stop finding it."
    )

    def __init__(self, model: type[models.Model]):
        self.model = model
        if self.parts is not None:
            self.parts.bind(model)

    def __repr__(self):
        return f"<{type(self).__name__} {self.key}>"

    # What _meta tells -------------------------------------------------------------------------

    @cached_property
    def key(self) -> str:
        """Stored in History and in change ids: ``workflow_group``, never renamed."""
        return _snake_case(self.model.__name__)

    @cached_property
    def label(self) -> str:
        return capfirst(self.model._meta.verbose_name)

    @cached_property
    def plural_label(self) -> str:
        return self.plural or capfirst(self.model._meta.verbose_name_plural)

    @cached_property
    def fields(self) -> tuple[DocumentField, ...]:
        return document_fields(self.model, skip=BOOKKEEPING_FIELDS | set(self.exclude))

    @cached_property
    def has_name_field(self) -> bool:
        return any(document_field.name == "name" for document_field in self.fields)

    @cached_property
    def natural_key(self) -> str | None:
        """The field that identifies an entity within an environment besides origin_id."""
        for fields in _unique_field_sets(self.model):
            if len(fields) == 2 and fields[0] == "environment" and fields[1] != "origin_id":
                return fields[1]
        return None

    @cached_property
    def identifier_field(self) -> str | None:
        """The natural key when it is a slug: the name that code and the API use."""
        if self.natural_key is None:
            return None
        model_field = self.model._meta.get_field(self.natural_key)
        return self.natural_key if isinstance(model_field, models.SlugField) else None

    @cached_property
    def singleton(self) -> bool:
        """At most one per environment: the two sides' entities are always the same one."""
        return ("environment",) in set(_unique_field_sets(self.model))

    @property
    def pairs_by_natural_key(self) -> bool:
        return self.singleton or self.natural_key is not None

    def references(self) -> Iterator[DocumentField]:
        """Every reference of the document, its parts' included."""
        for document_field in self.fields:
            if document_field.reference is not None:
                yield document_field
        if self.parts is not None:
            for document_field in self.parts.fields:
                if document_field.reference is not None:
                    yield document_field

    def reference_keys(self) -> dict[str, str]:
        """Field name -> type key of each reference of the entity itself (not its parts')."""
        return _reference_keys(self.fields)

    # Rows and names ---------------------------------------------------------------------------

    def rows(self, environment) -> models.QuerySet:
        # Promotion reads and writes two environments at once: the audited escape hatch.
        return self.model.unscoped_across_environments.filter(environment=environment)

    def name_of(self, document: Document) -> str:
        if self.has_name_field and document.get("name"):
            return str(document["name"])
        return self.entity_name or self.label

    def name_expression(self):
        """The entity's name in SQL, for sorting and listing without loading documents."""
        if self.has_name_field:
            return models.F("name")
        return models.Value(self.entity_name or self.label, output_field=models.CharField())

    def sort_name_expression(self):
        return Lower(self.name_expression())

    def referenced(self, document: Document) -> Iterator[tuple[str, str]]:
        """(type key, origin_id) of every entity the document names."""
        for document_field in self.fields:
            if document_field.reference is not None and document.get(document_field.name):
                yield type_of_model(document_field.reference).key, document[document_field.name]
        if self.parts is not None:
            for part in document.get(self.parts.key, []):
                for document_field in self.parts.fields:
                    if document_field.reference is not None and part.get(document_field.name):
                        yield type_of_model(document_field.reference).key, part[document_field.name]

    # Documents --------------------------------------------------------------------------------

    def document_from_row(self, row: dict) -> Document:
        document = {}
        for document_field in self.fields:
            value = row[document_field.lookup]
            if document_field.reference is not None and value is not None:
                value = str(value)
            document[document_field.name] = value
        return document

    def load(
        self, queryset: models.QuerySet, *, documents: bool = True, flags: Iterable[str] = ()
    ) -> list[EntityState]:
        """The entities of ``queryset`` (rows of this type), with their documents: two queries
        for a type with parts, one without, whatever the number of rows. ``flags`` names
        annotations of ``queryset`` to keep on each state."""
        lookups = ["pk", "origin_id", "public_id", "content_hash", "updated_at"]
        lookups += ["updated_by__name", "updated_by__email", *flags]
        if self.natural_key:
            lookups.append(self.natural_key)
        if documents:
            lookups += [document_field.lookup for document_field in self.fields]
        else:
            lookups.append("display_name")
            queryset = queryset.annotate(display_name=self.name_expression())
        states = []
        for row in queryset.order_by().values(*dict.fromkeys(lookups)):
            document = self.document_from_row(row) if documents else None
            states.append(
                EntityState(
                    type_key=self.key,
                    origin_id=str(row["origin_id"]),
                    pk=row["pk"],
                    name=self.name_of(document) if documents else row["display_name"],
                    content_hash=row["content_hash"],
                    document=document,
                    public_id=str(row["public_id"]),
                    updated_by=_display_name(row["updated_by__name"], row["updated_by__email"]),
                    updated_at=row["updated_at"],
                    natural_key=row[self.natural_key] if self.natural_key else None,
                    flags={name: row[name] for name in flags},
                )
            )
        if documents and self.parts is not None and states:
            self._load_parts(states)
        return states

    def _load_parts(self, states: list[EntityState]) -> None:
        parts = self.parts
        by_pk = {state.pk: state for state in states}
        for state in states:
            state.document[parts.key] = []
        names = [(field.name, field.reference is not None) for field in parts.fields]
        rows = (
            parts.model.unscoped_across_environments.filter(
                **{f"{parts.parent_field.attname}__in": list(by_pk)}
            )
            .order_by(parts.parent_field.attname, parts.order_field, "pk")
            .values_list(
                "pk",
                parts.parent_field.attname,
                "origin_id",
                *(document_field.lookup for document_field in parts.fields),
            )
        )
        # Tuples, not dicts: a workflow of five steps is five rows, so this loop is the bulk of
        # loading documents.
        for pk, parent_pk, origin_id, *values in rows:
            state = by_pk[parent_pk]
            part = {"origin_id": str(origin_id)}
            for (name, is_reference), value in zip(names, values, strict=True):
                part[name] = str(value) if is_reference and value is not None else value
            state.document[parts.key].append(part)
            state.part_pks[part["origin_id"]] = pk

    # Writes -----------------------------------------------------------------------------------

    def before_upserts(self, *, target, documents: list[Document], keep_pks: set[int]) -> list[int]:
        """Make room for ``documents`` in ``target`` before they are written; returns the pks
        of other rows changed on the way, whose hashes the caller recomputes. Nothing here."""
        return []

    def upsert_order(self, document: Document) -> int:
        """Within a batch, rows with a lower value are written first."""
        return 0


# The registry ---------------------------------------------------------------------------------

_types_by_model: dict[type[models.Model], PromotableType] = {}
# Every registered type by its key; kept current by ``register``.
REGISTRY: dict[str, PromotableType] = {}
_ordered: tuple[PromotableType, ...] | None = None


class AlreadyRegistered(Exception):
    pass


def register(model: type[models.Model], type_class: type[PromotableType] | None = None, **attrs):
    """Register ``model`` as promotable, in its app's ``promotion.py``.

    ``register(Feed, url_name="feeds:edit")`` declares a type from keyword attributes;
    ``@register(Layout)`` on a ``PromotableType`` subclass declares one with behaviour of its
    own. Registering a model twice raises ``AlreadyRegistered``.
    """

    def declare(declared: type[PromotableType]) -> type[PromotableType]:
        global _ordered
        if attrs:
            declared = type(f"{model.__name__}Promotion", (declared,), attrs)
        if model in _types_by_model:
            raise AlreadyRegistered(f"{model.__name__} is already registered as promotable.")
        promotable_type = declared(model)
        _types_by_model[model] = promotable_type
        REGISTRY[promotable_type.key] = promotable_type
        _ordered = None
        return declared

    if type_class is None and not attrs:
        return declare
    declare(type_class or PromotableType)
    return None


def unregister(model: type[models.Model]) -> None:
    """For tests that register a type of their own."""
    global _ordered
    promotable_type = _types_by_model.pop(model)
    REGISTRY.pop(promotable_type.key, None)
    _ordered = None


def type_of_model(model: type[models.Model]) -> PromotableType:
    return _types_by_model[model]


def is_registered(model: type[models.Model]) -> bool:
    return model in _types_by_model


def promotable_types() -> tuple[PromotableType, ...]:
    """Every registered type in dependency order: by depth (types that reference nothing, then
    types that reference only those, and so on), then in registration order (INSTALLED_APPS,
    then each ``promotion.py``). Creates and updates run in this order, deletes in reverse."""
    global _ordered
    if _ordered is None:
        registered = list(_types_by_model.values())
        depths: dict[type[models.Model], int] = {}

        def depth(model, visiting=()) -> int:
            if model not in depths:
                referenced = {
                    reference.reference
                    for reference in _types_by_model[model].references()
                    if reference.reference in _types_by_model
                    and reference.reference is not model
                    and reference.reference not in visiting  # a cycle: the check reports it
                }
                depths[model] = 1 + max(
                    (depth(other, (*visiting, model)) for other in referenced), default=-1
                )
            return depths[model]

        _ordered = tuple(
            sorted(
                registered,
                key=lambda promotable_type: (
                    depth(promotable_type.model),
                    registered.index(promotable_type),
                ),
            )
        )
    return _ordered


def type_order() -> dict[str, int]:
    return {
        promotable_type.key: position for position, promotable_type in enumerate(promotable_types())
    }


def __getattr__(name: str):
    # Read at call time: the registry is filled when the apps are ready.
    if name == "PROMOTABLE_TYPES":
        return promotable_types()
    if name == "TYPE_ORDER":
        return type_order()
    raise AttributeError(name)
