"""Canonical documents and their stored content hashes.

``content_hash_of`` is the one function that hashes a document. Every promotable row stores the
hash of its own document (a workflow's includes its steps, in order) in ``content_hash``, so the
two environments are compared in SQL, by hash, without loading a document. Every write path
keeps it current: the content services call ``content_hash_refresh`` after they write, and
promotion, revert, discard and environment insert write the hash of the document they write
(the hash travels with the document). ``manage.py content_hashes --verify`` recomputes every hash
and reports the rows whose stored hash is wrong; ``--fix`` stores the right one.
"""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from django.db import models

from changes.registry import Document, PromotableType, promotable_types, type_of_model

# zlib's fastest level: history is written inside the promotion's transaction, and documents
# of JSON text compress well even so.
COMPRESSION_LEVEL = 1
# Rows recomputed per round trip: bounds memory, whatever the size of an environment.
HASH_CHUNK_SIZE = 1000


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def content_hash_of(document: Document) -> int:
    """The hash of a document: the first 64 bits of the SHA-256 of its canonical JSON, as a
    signed integer (PostgreSQL's bigint), so the database compares and indexes it cheaply."""
    digest = sha256(canonical_json(document).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def hash_hex(content_hash: int | None) -> str:
    """A hash as 16 hex digits, or "-" for a side that does not exist (or has no hash yet)."""
    if content_hash is None:
        return "-"
    return format(content_hash & 0xFFFF_FFFF_FFFF_FFFF, "016x")


def compress_document(document: Document | None) -> bytes | None:
    if document is None:
        return None
    # Stored, not hashed: no need to sort the keys.
    text = json.dumps(document, separators=(",", ":"), default=str)
    return zlib.compress(text.encode(), COMPRESSION_LEVEL)


def decompress_document(data: bytes | memoryview | None) -> Document | None:
    if data is None:
        return None
    return json.loads(zlib.decompress(bytes(data)))


def content_stamp(*, environment_ids) -> None:
    """Give each of ``environment_ids`` a new change stamp: its promotable content was written
    (in this transaction). One statement; a count cached under the old stamp is never read
    again. Called by every path that writes content, with the hashes it stores."""
    from changes.models import ChangeStamp

    ids = sorted({str(environment_id) for environment_id in environment_ids})
    if not ids:
        return
    # In primary-key order, so two writers stamping the same environments never deadlock.
    ChangeStamp.objects.bulk_create(
        [ChangeStamp(environment_id=environment_id, stamp=uuid.uuid4()) for environment_id in ids],
        update_conflicts=True,
        unique_fields=["environment"],
        update_fields=["stamp"],
    )


def _pk_chunks(queryset: models.QuerySet) -> Iterator[list[int]]:
    """The pks of ``queryset`` in ascending chunks (keyset paging: no OFFSET, bounded memory)."""
    last = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        pks = list(page.values_list("pk", flat=True)[:HASH_CHUNK_SIZE])
        if not pks:
            return
        yield pks
        last = pks[-1]


@dataclass(frozen=True)
class HashMismatch:
    type_key: str
    pk: int
    environment_id: Any
    name: str
    stored: int | None
    computed: int


def _mismatches(promotable_type: PromotableType, queryset) -> Iterator[HashMismatch]:
    for pks in _pk_chunks(queryset):
        states = promotable_type.load(
            promotable_type.model.unscoped_across_environments.filter(pk__in=pks)
        )
        environments = dict(
            promotable_type.model.unscoped_across_environments.filter(pk__in=pks).values_list(
                "pk", "environment_id"
            )
        )
        for state in states:
            computed = content_hash_of(state.document)
            if state.content_hash != computed:
                yield HashMismatch(
                    type_key=promotable_type.key,
                    pk=state.pk,
                    environment_id=environments[state.pk],
                    name=state.name,
                    stored=state.content_hash,
                    computed=computed,
                )


def _store(model, mismatches: list[HashMismatch]) -> None:
    rows = [model(pk=mismatch.pk, content_hash=mismatch.computed) for mismatch in mismatches]
    model.unscoped_across_environments.bulk_update(
        rows, ["content_hash"], batch_size=HASH_CHUNK_SIZE
    )
    content_stamp(environment_ids={mismatch.environment_id for mismatch in mismatches})


def content_hashes_refresh(*, queryset: models.QuerySet) -> int:
    """Recompute and store the hash of every row of ``queryset`` (rows of one promotable
    model); returns how many were wrong. Call it after writing rows without the services."""
    promotable_type = type_of_model(queryset.model)
    fixed = 0
    pending: list[HashMismatch] = []
    for mismatch in _mismatches(promotable_type, queryset):
        pending.append(mismatch)
        if len(pending) >= HASH_CHUNK_SIZE:
            _store(queryset.model, pending)
            fixed += len(pending)
            pending = []
    if pending:
        _store(queryset.model, pending)
        fixed += len(pending)
    return fixed


def content_hash_refresh(*, entity: models.Model) -> int:
    """Recompute and store the hash of one promotable row (and set it on ``entity``)."""
    promotable_type = type_of_model(type(entity))
    [state] = promotable_type.load(
        promotable_type.model.unscoped_across_environments.filter(pk=entity.pk)
    )
    entity.content_hash = content_hash_of(state.document)
    if state.content_hash != entity.content_hash:
        promotable_type.model.unscoped_across_environments.filter(pk=entity.pk).update(
            content_hash=entity.content_hash
        )
        content_stamp(environment_ids=[entity.environment_id])
    return entity.content_hash


def environment_content_hashes_refresh(*, environments) -> int:
    """Recompute the hashes of every promotable row of ``environments``: after rows were
    written around the services (inserted or deleted too), so they are stamped whatever the
    hashes say."""
    environments = list(environments)
    content_stamp(environment_ids=[environment.pk for environment in environments])
    return sum(
        content_hashes_refresh(
            queryset=promotable_type.model.unscoped_across_environments.filter(
                environment__in=list(environments)
            )
        )
        for promotable_type in promotable_types()
    )


def content_hashes_check(*, fix: bool = False) -> list[HashMismatch]:
    """Every row, of every environment, whose stored hash differs from its document's hash;
    with ``fix``, the right hash is stored for each. Reads in chunks: bounded memory."""
    found = []
    for promotable_type in promotable_types():
        mismatches = list(
            _mismatches(promotable_type, promotable_type.model.unscoped_across_environments.all())
        )
        if fix and mismatches:
            _store(promotable_type.model, mismatches)
        found.extend(mismatches)
    return found


def content_hashes_after_migrate(sender, *, plan=None, using=None, **kwargs) -> None:
    """After a migration of an app with promotable content, recompute every hash: a changed
    field changes documents, so the stored hashes of the old documents are stale."""
    from django.db import DEFAULT_DB_ALIAS, connections

    if not plan or (using or DEFAULT_DB_ALIAS) != DEFAULT_DB_ALIAS:
        return
    labels = set()
    for promotable_type in promotable_types():
        labels.add(promotable_type.model._meta.app_label)
        if promotable_type.parts is not None:
            labels.add(promotable_type.parts.model._meta.app_label)
    if not any(migration.app_label in labels and not backwards for migration, backwards in plan):
        return
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        for promotable_type in promotable_types():
            table = promotable_type.model._meta.db_table
            columns = {
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
            }
            if "content_hash" not in columns:
                return  # migrated to a state before hashes: nothing to keep current
    content_hashes_check(fix=True)
