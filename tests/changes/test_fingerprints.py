"""A change's fingerprint is its pair of content hashes; the plan's is a hash over every
change's pair, in order, computed from the stored hashes without loading a document."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from changes.diff import ChangeSet
from changes.documents import hash_hex
from tests.changes.conftest import rehash
from tests.factories import FeedFactory
from workflows.models import Step, Workflow


def change_set(tenant):
    return ChangeSet(source=tenant.development, target=tenant.production)


def test_a_changes_fingerprint_is_its_pair_of_hashes(tenant, content):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    FeedFactory(environment=tenant.development, name="Billing", identifier="billing")
    rehash(tenant)
    update, create = sorted(change_set(tenant).changes, key=lambda change: change.type_key)[::-1]

    assert update.fingerprint == (
        f"{hash_hex(update.upstream.content_hash)}.{hash_hex(update.downstream.content_hash)}"
    )
    assert create.fingerprint == f"{hash_hex(create.upstream.content_hash)}.-"


def test_the_plans_fingerprint_reads_no_document(tenant, content):
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(subject="New")
    rehash(tenant)
    with CaptureQueriesContext(connection) as captured:
        fingerprint = change_set(tenant).fingerprint
    sql = " ".join(query["sql"] for query in captured)
    assert "workflows_step" not in sql and '"body"' not in sql and '"subject"' not in sql
    assert len(captured) == 1

    # It follows any edit of any pending change, and only that.
    assert change_set(tenant).fingerprint == fingerprint
    Step.unscoped_across_environments.filter(pk=content.steps[1].pk).update(subject="Newer")
    rehash(tenant)
    assert change_set(tenant).fingerprint != fingerprint
