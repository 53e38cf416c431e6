"""What an acknowledged trigger costs and leaves behind: its admission (the key and the rate
limit) and its storage (the trigger and its task) are one statement each on PostgreSQL, and
what they write is what the ORM path writes: a task row as django-tasks-db's own enqueue makes
it, committed with its trigger, and nothing at all when the trigger is refused."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from activity.models import Message, Trigger
from activity.tasks import trigger_expand_task
from environments.keys import digest_of
from environments.models import ApiKey
from tests.activity.conftest import in_app_workflow, scoped

# Columns a task row gets from its task and backend, not from the moment or the random id.
TASK_COLUMNS = [
    "status",
    "priority",
    "task_path",
    "queue_name",
    "backend_name",
    "run_after",
    "worker_ids",
    "return_value",
    "exception_class_path",
    "traceback",
    "started_at",
    "finished_at",
]


@pytest.fixture
def api(tenant, key_client):
    in_app_workflow(tenant.development)
    return key_client(tenant.development)


def _task_rows():
    return list(DBTaskResult.objects.order_by("enqueued_at"))


def test_the_task_row_is_the_one_enqueue_writes(api, tenant):
    assert api.trigger("order-shipped", "ada").status_code == 201
    (stored,) = _task_rows()
    with scoped(tenant.development):
        trigger = Trigger.objects.get()
    assert stored.args_kwargs == {"args": [str(tenant.development.pk), trigger.pk], "kwargs": {}}
    enqueued = trigger_expand_task.enqueue(str(tenant.development.pk), trigger.pk).db_result
    enqueued.refresh_from_db()
    assert [getattr(stored, name) for name in TASK_COLUMNS] == [
        getattr(enqueued, name) for name in TASK_COLUMNS
    ]
    assert stored.args_kwargs == enqueued.args_kwargs


@pytest.mark.django_db(transaction=True)
def test_a_trigger_commits_with_its_task_and_is_delivered(api, tenant, drain):
    response = api.trigger("order-shipped", "ada", transactionId="tx-1")
    assert response.status_code == 201
    # Nothing is left open: what was acknowledged is committed.
    assert not connection.in_atomic_block
    with scoped(tenant.development):
        trigger = Trigger.objects.get()
    assert trigger.transaction_id == "tx-1"
    assert [row.args_kwargs["args"] for row in _task_rows()] == [
        [str(tenant.development.pk), trigger.pk]
    ]
    assert drain() == 1  # expands the trigger and delivers to its one subscriber
    with scoped(tenant.development):
        assert list(Message.objects.values_list("subscriber__subscriber_id", flat=True)) == ["ada"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_refused_trigger_writes_nothing(api, tenant):
    in_app_workflow(tenant.development, identifier="paused", active=False)
    assert api.trigger("order-shipped", "ada", transactionId="once").status_code == 201
    assert api.trigger("order-shipped", "bob", transactionId="once").status_code == 409
    assert api.trigger("paused", "ada").status_code == 422
    assert api.trigger("no-such-workflow", "ada").status_code == 422
    with scoped(tenant.development):
        assert list(Trigger.objects.values_list("transaction_id", flat=True)) == ["once"]
    assert len(_task_rows()) == 1


def test_a_refused_trigger_leaves_the_callers_transaction_usable(api, tenant):
    """Inside a transaction (as here, in a test), a refused insert must not abort it."""
    assert api.trigger("order-shipped", "ada", transactionId="once").status_code == 201
    assert api.trigger("order-shipped", "ada", transactionId="once").status_code == 409
    assert api.trigger("order-shipped", "bob", transactionId="twice").status_code == 201
    assert len(_task_rows()) == 2


@pytest.mark.django_db(transaction=True)
def test_an_acknowledged_trigger_costs_two_statements_on_postgresql(api):
    """Admission (the key, its environment, the rate limit) is one UPDATE; the trigger and its
    task are one INSERT. Other databases take the ORM's path: a lookup, an UPDATE, and a
    transaction of two INSERTs."""
    assert api.trigger("order-shipped", "ada").status_code == 201  # connects
    with CaptureQueriesContext(connection) as queries:
        assert api.trigger("order-shipped", "ada").status_code == 201
    statements = [query["sql"].split()[0].upper() for query in queries]
    if connection.vendor == "postgresql":
        assert statements == ["WITH", "WITH"]
    else:
        assert statements.count("INSERT") == 2 and len(statements) > 2


@pytest.mark.django_db(transaction=True)
def test_admission_records_the_keys_use_and_leaves_commits_durable(api):
    """The rate limit's write may skip waiting for the disk, for its own transaction only: the
    connection's next transactions (the trigger's) commit durably."""
    assert api.trigger("order-shipped", "ada").status_code == 201
    api_key = ApiKey.unscoped_across_environments.get(digest=digest_of(api.secret))
    assert api_key.last_used_at is not None and api_key.rate_limit_tat is not None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone() == ("on",)


@pytest.mark.django_db(transaction=True)
def test_the_two_statements_are_prepared_once_they_repeat_on_postgresql(api):
    """Bound on the server, admission and the trigger's INSERT are prepared after
    ``prepare_threshold`` runs on a connection, so PostgreSQL stops planning them; the rest of
    Herald binds on the client and is never prepared."""
    for number in range(8):
        assert api.trigger("order-shipped", "ada", transactionId=f"tx-{number}").status_code == 201
    if connection.vendor == "postgresql":
        assert connection.settings_dict["OPTIONS"]["prepare_threshold"] == 5
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements ORDER BY statement")
            prepared = [statement for (statement,) in cursor.fetchall()]
        assert len(prepared) == 2
        assert any('UPDATE "environments_apikey"' in statement for statement in prepared)
        assert any('INSERT INTO "activity_trigger"' in statement for statement in prepared)
    else:
        assert len(_task_rows()) == 8
