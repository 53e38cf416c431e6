"""The pipeline's tasks on ``django.tasks``, and how they are enqueued.

Each task takes ids (JSON), finds its environment, enters that environment's scope and runs one
stage of ``activity.pipeline``. Enqueuing writes a row of the task table in the caller's
transaction, so a task exists exactly when the state change that asked for it committed.

Priorities: triggers are expanded first, so acknowledged triggers turn into notifications
quickly; deliveries to the recipients a trigger names go before those of topic and broadcast
fan-outs, so one large broadcast does not hold up every other trigger behind it.

``attempt`` counts how often ``activity.recovery`` enqueued the task again after it failed or
its worker died.
"""

import functools
from contextlib import nullcontext

from django.db import connection, transaction
from django.db.models.signals import pre_save
from django.tasks import task
from django.tasks.signals import task_enqueued
from django.utils.json import normalize_json
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from activity.models import Trigger
from config.db import hot_statement_cursor
from environments.models import Environment
from environments.scoping import EnvironmentMismatch, current_environment, environment_scope
from workflows.models import Workflow

EXPAND_PRIORITY = 10
DIRECT_PRIORITY = 0
FAN_OUT_PRIORITY = -10

_TRIGGER_ORIGIN = Trigger._meta.get_field("workflow_origin_id")
_TASK_ARGUMENTS = DBTaskResult._meta.get_field("args_kwargs")


def _scope_of(environment_id: str):
    environment = Environment.objects.filter(pk=environment_id).first()
    # An environment deleted meanwhile took its activity with it: nothing is left to do.
    return environment_scope(environment) if environment is not None else None


@task(priority=EXPAND_PRIORITY)
def trigger_expand_task(environment_id: str, trigger_id: int, attempt: int = 0) -> None:
    from activity import pipeline

    scope = _scope_of(environment_id)
    if scope is not None:
        with scope:
            pipeline.trigger_expand(trigger_id=trigger_id)


@task(priority=FAN_OUT_PRIORITY)
def fan_out_batch_task(environment_id: str, fan_out_id: int, attempt: int = 0) -> None:
    from activity import pipeline

    scope = _scope_of(environment_id)
    if scope is not None:
        with scope:
            pipeline.fan_out_batch(fan_out_id=fan_out_id)


@task
def notifications_deliver_task(
    environment_id: str, notification_ids: list[int], attempt: int = 0
) -> None:
    from activity import pipeline

    scope = _scope_of(environment_id)
    if scope is not None:
        with scope:
            pipeline.notifications_deliver(notification_ids=notification_ids)


def trigger_expand_enqueue(trigger) -> None:
    trigger_expand_task.enqueue(str(trigger.environment_id), trigger.pk)


def fan_out_batch_enqueue(fan_out) -> None:
    fan_out_batch_task.enqueue(str(fan_out.environment_id), fan_out.pk)


def notifications_deliver_enqueue(notifications, *, priority: int, run_after=None) -> None:
    """One task delivering these notifications (of one environment), in order."""
    notifications_deliver_task.using(priority=priority, run_after=run_after).enqueue(
        str(notifications[0].environment_id), [notification.pk for notification in notifications]
    )


@functools.cache
def _inserted_fields(model) -> tuple:
    """The fields an INSERT of ``model`` writes, in the statement's order."""
    meta = model._meta
    return tuple(field for field in meta.local_concrete_fields if field is not meta.auto_field)


def _insert_parameters(instance, *, replaced: str, replacement: list) -> list:
    """The parameters of an INSERT of the unsaved ``instance``, prepared by its fields as the
    ORM prepares them; the column ``replaced`` takes the parameters ``replacement`` of its own
    SQL (``_trigger_and_task_sql``)."""
    parameters = []
    for field in _inserted_fields(type(instance)):
        if field.column == replaced:
            parameters.extend(replacement)
        else:
            parameters.append(field.get_db_prep_save(field.pre_save(instance, True), connection))
    return parameters


def _insert_lists(model, *, replaced: str, replacement: str) -> tuple[str, str]:
    """The column list and the values list of an INSERT of ``model``, the column ``replaced``
    taking the SQL ``replacement`` instead of a parameter."""
    fields = _inserted_fields(model)
    columns = ", ".join(f'"{field.column}"' for field in fields)
    values = ", ".join(replacement if field.column == replaced else "%s" for field in fields)
    return columns, values


def _column(model, name: str) -> str:
    return f'"{model._meta.get_field(name).column}"'


@functools.cache
def _trigger_and_task_sql() -> str:
    """The statement of ``trigger_insert_and_enqueue``, built once: its parameters are the
    trigger's fields (the workflow origin's being the environment and identifier it is looked
    up by), then the task's (its arguments' being the JSON the trigger's id is put into)."""
    active_origin = (
        f'(SELECT {_column(Workflow, "origin_id")} FROM "{Workflow._meta.db_table}" '
        f"WHERE {_column(Workflow, 'environment')} = %s AND {_column(Workflow, 'identifier')} = %s "
        f"AND {_column(Workflow, 'active')} LIMIT 1)"
    )
    trigger_columns, trigger_values = _insert_lists(
        Trigger, replaced=_TRIGGER_ORIGIN.column, replacement=active_origin
    )
    task_columns, task_values = _insert_lists(
        DBTaskResult,
        replaced=_TASK_ARGUMENTS.column,
        replacement="jsonb_set(%s::jsonb, '{args,1}', to_jsonb(stored.id))",
    )
    return (
        f'WITH stored AS (INSERT INTO "{Trigger._meta.db_table}" ({trigger_columns}) '
        f"VALUES ({trigger_values}) RETURNING {_column(Trigger, 'id')} AS id) "
        f'INSERT INTO "{DBTaskResult._meta.db_table}" ({task_columns}) '
        f"SELECT {task_values} FROM stored RETURNING (SELECT id FROM stored)"
    )


@functools.cache
def _validated(backend, task_to_enqueue) -> None:
    """The backend's check of a task's definition, which does not change while a process runs."""
    backend.validate_task(task_to_enqueue)


def trigger_insert_and_enqueue(trigger) -> bool:
    """Insert the unsaved ``trigger`` and the task that expands it in one statement, which is
    one transaction of its own, committed durably before this returns. Its
    ``workflow_origin_id`` is looked up in that statement too: the origin of the active
    workflow ``trigger.workflow_identifier`` of its environment.

    An acknowledged trigger costs the API this one round trip instead of four (BEGIN, two
    INSERTs, COMMIT) and the ORM's building of two INSERTs. Only on PostgreSQL, with the
    database task backend; elsewhere it writes nothing and returns False, and the caller saves
    and enqueues through the ORM, in a transaction.

    Raises ``IntegrityError``, having written nothing, as the ORM would: the transactionId was
    used, or no active workflow has that identifier (the origin is NULL).
    """
    backend = trigger_expand_task.get_backend()
    if connection.vendor != "postgresql" or not isinstance(backend, DatabaseBackend):
        return False
    scope = current_environment()
    if scope is None or scope.pk != trigger.environment_id:
        # What the scoped manager's create() refuses, refused here too.
        raise EnvironmentMismatch("A trigger is inserted in the scope of its own environment.")
    _validated(backend, trigger_expand_task)
    # The backend's own row (as django_tasks_db's ``_task_to_db_task`` makes it); the statement
    # puts the trigger's id into its arguments.
    task_row = DBTaskResult(
        id=backend._get_id(),
        args_kwargs=normalize_json({"args": [str(trigger.environment_id), None], "kwargs": {}}),
        priority=trigger_expand_task.priority,
        task_path=trigger_expand_task.module_path,
        queue_name=trigger_expand_task.queue_name,
        run_after=trigger_expand_task.run_after,
        backend_name=backend.alias,
    )
    pre_save.send(sender=DBTaskResult, instance=task_row, raw=False, using=connection.alias)
    parameters = [
        *_insert_parameters(
            trigger,
            replaced=_TRIGGER_ORIGIN.column,
            replacement=[trigger.environment_id, trigger.workflow_identifier],
        ),
        *_insert_parameters(
            task_row,
            replaced=_TASK_ARGUMENTS.column,
            replacement=[_TASK_ARGUMENTS.get_db_prep_save(task_row.args_kwargs, connection)],
        ),
    ]
    # Inside a caller's transaction, a refused statement must leave it usable, as the ORM
    # path's atomic() does: a savepoint. On its own the statement is its own transaction.
    refusable = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with refusable, hot_statement_cursor() as cursor:
        cursor.execute(_trigger_and_task_sql(), parameters)
        (trigger.pk,) = cursor.fetchone()
    trigger._state.adding = False
    trigger._state.db = connection.alias
    task_row.args_kwargs["args"][1] = trigger.pk
    task_row._state.adding = False
    task_enqueued.send(type(backend), task_result=task_row.task_result)
    return True
