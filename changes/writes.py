"""Writing documents into an environment, in bulk: the only code that writes promotable rows
into a read-only environment (``changes.services`` plans and records; this module writes).

A batch of one type is written with a number of queries that does not depend on its size:
references resolved with one query per referenced type, one UPDATE per set of changed
fields, one INSERT for the new rows and one for their parts, one DELETE for removed parts.
Every row written gets the hash of the document written (it travels with the document).
Deletes are one statement per type, parts first.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Expression, F, signals

from changes.documents import content_hash_of, content_hashes_refresh
from changes.registry import (
    Document,
    EntityState,
    PromotableType,
    promotable_types,
    type_of_model,
)
from environments.models import user_of


@dataclass
class Write:
    """One entity to create, update or delete in the target environment.

    ``document`` None means delete. ``target`` is the target's current row, with its document,
    if any; its ``origin_id`` can differ from ``origin_id`` when the two were paired by natural
    key (the row then takes ``origin_id``). ``content_hash`` is the document's hash, when known.
    """

    type_key: str
    origin_id: str
    document: Document | None
    target: EntityState | None
    content_hash: int | None = None

    def hash(self) -> int:
        if self.content_hash is None:
            self.content_hash = content_hash_of(self.document)
        return self.content_hash


class MissingReference(LookupError):
    """A document names an entity that the target does not have (the plan should have
    brought it); nothing must be written with a NULL in its place."""

    def __init__(self, type_key: str, origin_id: str):
        super().__init__(f"{type_key} {origin_id} does not exist in the target.")
        self.type_key = type_key
        self.origin_id = origin_id


def _reference_pks(promotable_type: PromotableType, documents: list[Document], target):
    """(field name, origin_id) -> target pk for every reference of ``documents``."""
    wanted: dict[type[models.Model], set[str]] = defaultdict(set)
    parts = promotable_type.parts
    for document in documents:
        for document_field in promotable_type.fields:
            if document_field.reference is not None and document.get(document_field.name):
                wanted[document_field.reference].add(document[document_field.name])
        if parts is not None:
            for part in document.get(parts.key, []):
                for document_field in parts.fields:
                    if document_field.reference is not None and part.get(document_field.name):
                        wanted[document_field.reference].add(part[document_field.name])
    pks: dict[type[models.Model], dict[str, int]] = {}
    for model, origins in wanted.items():
        pks[model] = {
            str(origin_id): pk
            for origin_id, pk in model.unscoped_across_environments.filter(
                environment=target, origin_id__in=origins
            ).values_list("origin_id", "pk")
        }
    return pks


def _row_values(fields, document: Document, pks) -> dict:
    values = {}
    for document_field in fields:
        value = document.get(document_field.name)
        if document_field.reference is not None:
            if value is None:
                values[document_field.column] = None
                continue
            try:
                value = pks[document_field.reference][value]
            except KeyError:
                raise MissingReference(type_of_model(document_field.reference).key, value) from None
        values[document_field.column] = value
    return values


def _changed_columns(fields, old: Document | None, new: Document) -> tuple[str, ...]:
    if old is None:
        return tuple(document_field.column for document_field in fields)
    return tuple(
        document_field.column
        for document_field in fields
        if old.get(document_field.name) != new.get(document_field.name)
    )


class ValuesByPk(Expression):
    """``CASE pk WHEN 1 THEN %s WHEN 2 THEN %s … END``: one column's new value for each row.

    ``QuerySet.bulk_update`` builds a ``When`` expression per row and field, and resolving
    those takes longer than the database takes to run the UPDATE; this is one expression per
    column, whose SQL is a join of placeholders.
    """

    def __init__(self, values: dict[int, Any], *, output_field: models.Field):
        super().__init__(output_field=output_field)
        self.values = values

    def resolve_expression(
        self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False
    ):
        resolved = super().resolve_expression(query, allow_joins, reuse, summarize, for_save)
        resolved.pk_column = F("pk").resolve_expression(query, allow_joins, reuse, summarize)
        return resolved

    def as_sql(self, compiler, connection):
        pk_sql, pk_params = compiler.compile(self.pk_column)
        field = self.output_field
        cases, params = [], []
        for pk, value in self.values.items():
            cases.append("WHEN %s THEN %s")
            params += [*pk_params, pk, field.get_db_prep_save(value, connection)]
        sql = f"CASE {pk_sql} {' '.join(cases)} END"
        if connection.features.requires_casted_case_in_updates:
            sql = f"CAST({sql} AS {field.cast_db_type(connection)})"
        if pk_params:
            raise ValueError("A primary key column takes no parameters.")
        return sql, params


# Rows per UPDATE: each row takes two parameters per column (SQLite allows 32,766 in all).
UPDATE_BATCH_SIZE = 500


def _bulk_update(model, rows: list[tuple[dict, tuple[str, ...]]], *, also=None) -> None:
    """``rows`` are (values with "pk", columns to write): one UPDATE per set of columns and
    batch of rows, every column of the set written with one ``ValuesByPk``, and the values
    ``also`` (the same for every row) in the same statement."""
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for values, columns in rows:
        if columns:
            groups[columns].append(values)
    manager = model.unscoped_across_environments
    for columns, group in groups.items():
        fields = {column: model._meta.get_field(column) for column in columns}
        for start in range(0, len(group), UPDATE_BATCH_SIZE):
            batch = group[start : start + UPDATE_BATCH_SIZE]
            manager.filter(pk__in=[values["pk"] for values in batch]).update(
                **{
                    field.attname: ValuesByPk(
                        {values["pk"]: values[column] for values in batch}, output_field=field
                    )
                    for column, field in fields.items()
                },
                **(also or {}),
            )


def upsert(
    promotable_type: PromotableType, *, writes: list[Write], target, actor, now
) -> list[int]:
    """Create and update ``writes`` (upserts of one type) in ``target``. Returns the pks of
    other rows a hook changed on the way (their hashes are recomputed here).

    Writes run in rounds by the type's ``upsert_order``: a database checks a unique index row
    by row, so the old default layout must be unset by one statement before another sets the
    new one.
    """
    manager = promotable_type.model.unscoped_across_environments
    side_effects = promotable_type.before_upserts(
        target=target,
        documents=[write.document for write in writes],
        keep_pks={write.target.pk for write in writes if write.target is not None},
    )
    rounds: dict[int, list[Write]] = defaultdict(list)
    for write in writes:
        rounds[promotable_type.upsert_order(write.document)].append(write)
    for order in sorted(rounds):
        _upsert_round(promotable_type, writes=rounds[order], target=target, actor=actor, now=now)
    if side_effects:
        content_hashes_refresh(queryset=manager.filter(pk__in=side_effects))
    return side_effects


def _upsert_round(promotable_type: PromotableType, *, writes: list[Write], target, actor, now):
    model = promotable_type.model
    manager = model.unscoped_across_environments
    pks = _reference_pks(promotable_type, [write.document for write in writes], target)
    # An API key has no user to credit: its writes are attributed in History by name.
    editor = user_of(actor)
    updates, creates = [], []
    for write in writes:
        values = _row_values(promotable_type.fields, write.document, pks)
        if write.target is None:
            creates.append((write, values))
            continue
        changed = _changed_columns(promotable_type.fields, write.target.document, write.document)
        columns = (*changed, "content_hash")
        values.update(pk=write.target.pk, content_hash=write.hash())
        if write.target.origin_id != write.origin_id:  # a relink takes the upstream origin
            values["origin_id"] = uuid.UUID(write.origin_id)
            columns += ("origin_id",)
        updates.append((values, columns))
    # Who and when in the same UPDATE as the content: each row is written once.
    _bulk_update(model, updates, also={"updated_by": editor, "updated_at": now})
    created = manager.bulk_create(
        [
            model(
                environment=target,
                origin_id=write.origin_id,
                updated_by=editor,
                updated_at=now,
                content_hash=write.hash(),
                **values,
            )
            for write, values in creates
        ],
        batch_size=1000,
    )
    if promotable_type.parts is not None:
        parent_pks = [write.target.pk for write in writes if write.target is not None]
        parent_pks += [row.pk for row in created]
        targets = [write for write in writes if write.target is not None]
        targets += [write for write, _values in creates]
        _write_parts(promotable_type, writes=targets, parent_pks=parent_pks, target=target, pks=pks)


def _write_parts(promotable_type, *, writes, parent_pks, target, pks) -> None:
    """Each parent's parts as its document lists them: kept parts updated in place (by
    origin_id), missing ones deleted, new ones created."""
    parts = promotable_type.parts
    part_manager = parts.model.unscoped_across_environments
    parent_column = parts.parent_field.attname
    removed, updates, creates = [], [], []
    for write, parent_pk in zip(writes, parent_pks, strict=True):
        existing = dict(write.target.part_pks) if write.target is not None else {}
        old_parts = {
            part["origin_id"]: (position, part)
            for position, part in enumerate(
                (write.target.document or {}).get(parts.key, []) if write.target else []
            )
        }
        for position, part in enumerate(write.document.get(parts.key, [])):
            values = _row_values(parts.fields, part, pks)
            origin_id = part["origin_id"]
            part_pk = existing.pop(origin_id, None)
            if part_pk is None:
                creates.append(
                    parts.model(
                        environment=target,
                        origin_id=origin_id,
                        **{parent_column: parent_pk, parts.order_field: position},
                        **values,
                    )
                )
                continue
            old_position, old_part = old_parts.get(origin_id, (None, None))
            columns = _changed_columns(parts.fields, old_part, part)
            if old_position != position:
                columns += (parts.order_field,)
            values.update({"pk": part_pk, parts.order_field: position})
            updates.append((values, columns))
        removed.extend(existing.values())
    if removed:
        part_manager.filter(pk__in=removed).delete()
    _bulk_update(parts.model, updates)
    part_manager.bulk_create(creates, batch_size=1000)


def _set_based(relation) -> bool:
    """Whether rows referencing through ``relation`` can be handled by one statement: a
    cascade into a model nothing else references, a SET_NULL or a DO_NOTHING, with no
    delete signals to send."""
    related = relation.related_model
    if signals.pre_delete.has_listeners(related) or signals.post_delete.has_listeners(related):
        return False
    if relation.on_delete is models.CASCADE:
        return not related._meta.related_objects
    return relation.on_delete in (models.SET_NULL, models.DO_NOTHING)


def delete(promotable_type: PromotableType, *, rows: models.QuerySet) -> None:
    """Delete ``rows`` (of this type, in one environment) and their parts: one statement each.

    The plan has refused deletes that target content still references, so nothing cascades
    but the parts and rows of other apps that reference them (a subscriber's preference for a
    workflow): each relation is one statement too, as its ``on_delete`` says. A relation that
    one statement cannot honour (signals, further cascades) goes through Django's collector.
    """
    model = promotable_type.model
    parts = promotable_type.parts
    if parts is not None:
        parts.model.unscoped_across_environments.filter(
            **{f"{parts.parent_field.attname}__in": rows.values("pk")}
        ).delete()
    known = {parts.model} if parts is not None else set()
    for other in promotable_types():
        known.add(other.model)
        if other.parts is not None:
            known.add(other.parts.model)
    foreign = [
        relation for relation in model._meta.related_objects if relation.related_model not in known
    ]
    queryset = model.unscoped_across_environments.filter(pk__in=rows.values("pk"))
    if not all(_set_based(relation) for relation in foreign):
        queryset.delete()
        return
    for relation in foreign:
        referring = relation.related_model._base_manager.filter(
            **{f"{relation.field.attname}__in": rows.values("pk")}
        )
        if relation.on_delete is models.CASCADE:
            referring._raw_delete(referring.db)
        elif relation.on_delete is models.SET_NULL:
            referring.update(**{relation.field.attname: None})
    # One DELETE; Django's collector would delete in batches of 100 rows.
    queryset._raw_delete(queryset.db)
