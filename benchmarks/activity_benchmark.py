"""Benchmark of the Activity list at scale, beside Django admin's changelist of the same table.

Seeds ``--count`` notifications (default 1,000,000) into one environment with PostgreSQL's COPY:
one trigger each, an in-app step and message each, an email step and message for every fourth,
and their execution logs, spread over 60 days, for 10,000 subscribers and 20 workflows. Then it
requests, through the whole middleware stack (Django's test client, logged in), 5 times each
(``--runs``):

- the Activity list's first page, its 1,000th page (by its keyset cursor), and its first page
  filtered by subscriber and by workflow, and the overview with its chart;
- admin's changelist of Notification (benchmark-only, in ``benchmarks/admin_urls.py``): its
  first page, its 1,000th page and its status filter;

and prints min / median / max in ms of the wall time, the median of the CPU time and each page's
SQL queries, then the plans (``EXPLAIN (ANALYZE, BUFFERS)``) of the Activity list's queries.

It works in the database of DATABASE_URL, which it migrates and reuses: the seed is kept, and
made again only with ``--reseed`` or another ``--count``. Use a database of its own:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/herald_activity_bench \\
        .venv/bin/python benchmarks/activity_benchmark.py --count 1000000
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.admin_settings"

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Membership, Organization, Role, User  # noqa: E402
from activity.models import ExecutionLog, Job, Message, Notification, Trigger  # noqa: E402
from activity.selectors import NOTIFICATIONS_PER_PAGE, cursor_of  # noqa: E402
from environments.models import Environment  # noqa: E402
from subscribers.models import Subscriber  # noqa: E402
from workflows.models import Workflow, WorkflowGroup  # noqa: E402

SUBSCRIBERS = 10_000
WORKFLOWS = 20
DAYS = 60
RUNS = 5
ACTIVITY_TABLES = [Trigger, Notification, Job, Message, ExecutionLog]


def _columns(model) -> list[str]:
    return [field.column for field in model._meta.concrete_fields]


def _copy(cursor, model, rows) -> int:
    columns = _columns(model)
    written = 0
    with cursor.copy(f'COPY "{model._meta.db_table}" ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])
            written += 1
    return written


def _uuid(kind: int, number: int) -> uuid.UUID:
    return uuid.UUID(int=(kind << 96) | number)


def seed(count: int) -> Environment:
    print(f"Seeding {count:,} notifications…", flush=True)
    started = time.perf_counter()
    user = User.objects.create_superuser(email="bench@example.com", password="bench", name="Bench")
    organization = Organization.objects.create(name="Bench", slug="bench")
    Membership.objects.create(organization=organization, user=user, role=Role.ADMIN)
    environment = Environment.objects.create(
        organization=organization, name="Development", slug="development"
    )
    group = WorkflowGroup.unscoped_across_environments.create(
        environment=environment, name="General"
    )
    workflows = Workflow.unscoped_across_environments.bulk_create(
        Workflow(
            environment=environment, name=f"Workflow {n}", identifier=f"workflow-{n}", group=group
        )
        for n in range(WORKFLOWS)
    )
    Subscriber.unscoped_across_environments.bulk_create(
        (
            Subscriber(
                environment=environment,
                subscriber_id=f"sub-{n:05}",
                email=f"sub-{n:05}@example.com",
            )
            for n in range(SUBSCRIBERS)
        ),
        batch_size=2000,
    )
    subscriber_pks = list(
        Subscriber.unscoped_across_environments.filter(environment=environment)
        .order_by("subscriber_id")
        .values_list("pk", flat=True)
    )
    env = environment.pk
    now = timezone.now()
    start = now - datetime.timedelta(days=DAYS)
    step = datetime.timedelta(days=DAYS) / count
    empty = "{}"
    payload = json.dumps({"order": {"id": 1042, "status": "shipped"}})
    statuses = ["completed"] * 45 + ["failed"] * 4 + ["pending"]

    def moment(number):
        return start + step * number

    def triggers():
        for n in range(count):
            workflow = workflows[n % WORKFLOWS]
            yield {
                "id": n + 1,
                "environment_id": env,
                "public_id": _uuid(1, n),
                "transaction_id": f"tx-{n}",
                "kind": "event",
                "workflow_origin_id": workflow.origin_id,
                "workflow_identifier": workflow.identifier,
                "recipients": "[]",
                "payload": payload,
                "overrides": empty,
                "actor": None,
                "api_key_id": None,
                "status": "processed",
                "created_at": moment(n),
                "processed_at": moment(n),
            }

    def notifications():
        for n in range(count):
            workflow = workflows[n % WORKFLOWS]
            yield {
                "id": n + 1,
                "environment_id": env,
                "public_id": _uuid(2, n),
                "trigger_id": n + 1,
                "subscriber_id": subscriber_pks[n % SUBSCRIBERS],
                "workflow_origin_id": workflow.origin_id,
                "workflow_identifier": workflow.identifier,
                "workflow_name": workflow.name,
                "channels": '["in_app", "email"]' if n % 4 == 0 else '["in_app"]',
                "status": statuses[n % len(statuses)],
                "created_at": moment(n),
                "finished_at": moment(n),
            }

    def steps(n):
        """(job id, channel) of notification ``n``: ids 2n+1 (in-app) and 2n+2 (email)."""
        yield 2 * n + 1, "in_app"
        if n % 4 == 0:
            yield 2 * n + 2, "email"

    def jobs():
        for n in range(count):
            for job, channel in steps(n):
                yield {
                    "id": job,
                    "environment_id": env,
                    "public_id": _uuid(3, job),
                    "notification_id": n + 1,
                    "step_origin_id": _uuid(4, job % 2),
                    "step_name": channel,
                    "channel": channel,
                    "position": 0 if channel == "in_app" else 1,
                    "status": "completed",
                    "attempts": 1,
                    "provider_id": "",
                    "created_at": moment(n),
                    "updated_at": moment(n),
                }

    def messages():
        for n in range(count):
            workflow = workflows[n % WORKFLOWS]
            for job, channel in steps(n):
                in_app = channel == "in_app"
                yield {
                    "id": job,
                    "environment_id": env,
                    "public_id": _uuid(5, job),
                    "notification_id": n + 1,
                    "job_id": job,
                    "subscriber_id": subscriber_pks[n % SUBSCRIBERS],
                    "channel": channel,
                    "workflow_origin_id": workflow.origin_id,
                    "workflow_identifier": workflow.identifier,
                    "feed_origin_id": None,
                    "feed_identifier": "",
                    "subject": "" if in_app else "Your order",
                    "content": "Your order 1042 shipped."
                    if in_app
                    else "<p>Your order 1042 shipped.</p>",
                    "cta": empty,
                    "payload": payload if in_app else empty,
                    "status": "error" if n % 50 == 7 else "sent",
                    "provider_id": "",
                    "error_text": "",
                    "seen": n % 3 == 0,
                    "read": n % 6 == 0,
                    "last_seen_at": None,
                    "last_read_at": None,
                    "created_at": moment(n),
                    "updated_at": moment(n),
                }

    def logs():
        number = 0
        for n in range(count):
            number += 1
            yield {
                "id": number,
                "environment_id": env,
                "public_id": _uuid(6, number),
                "trigger_id": n + 1,
                "notification_id": None,
                "job_public_id": None,
                "message_public_id": None,
                "stage": "trigger_received",
                "channel": "trigger",
                "status": "Success",
                "source": "Internal",
                "detail": "Trigger received",
                "raw": None,
                "provider_id": "",
                "is_retry": False,
                "created_at": moment(n),
            }
            for job, channel in steps(n):
                number += 1
                yield {
                    "id": number,
                    "environment_id": env,
                    "public_id": _uuid(6, number),
                    "trigger_id": n + 1,
                    "notification_id": n + 1,
                    "job_public_id": _uuid(3, job),
                    "message_public_id": _uuid(5, job),
                    "stage": "message_sent",
                    "channel": channel,
                    "status": "Success",
                    "source": "Internal",
                    "detail": f"{channel} sent",
                    "raw": None,
                    "provider_id": "",
                    "is_retry": False,
                    "created_at": moment(n),
                }

    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        # Consistent by construction: skip the foreign-key triggers while loading.
        cursor.execute("SET session_replication_role = replica")
        for model, rows in (
            (Trigger, triggers()),
            (Notification, notifications()),
            (Job, jobs()),
            (Message, messages()),
            (ExecutionLog, logs()),
        ):
            table_started = time.perf_counter()
            written = _copy(cursor, model, rows)
            seconds = time.perf_counter() - table_started
            print(f"  {model.__name__}: {written:,} rows in {seconds:.0f} s", flush=True)
        cursor.execute("SET session_replication_role = DEFAULT")
        for model in ACTIVITY_TABLES:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'(SELECT max(id) FROM "{table}"))'
            )
    with connection.cursor() as cursor:
        for model in [*ACTIVITY_TABLES, Subscriber]:
            cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
    print(f"Seeded in {time.perf_counter() - started:.0f} s", flush=True)
    return environment


def _seeded(count: int) -> Environment | None:
    environment = Environment.objects.filter(organization__slug="bench", slug="development").first()
    if environment is None:
        return None
    seeded = Notification.unscoped_across_environments.filter(environment=environment).count()
    return environment if seeded == count else None


def _reset():
    """Empty the benchmark's own database (DATABASE_URL must name one of its own)."""
    call_command("flush", interactive=False, verbosity=0)


def measure(client: Client, url: str, *, runs: int = RUNS) -> tuple[list[float], list[float], int]:
    """Wall and CPU milliseconds of each run, and the page's SQL queries. The CPU time is this
    process's alone (the Python work of the page), so it moves little with the machine's load;
    the wall time adds the database's answers and any wait for a core."""
    client.get(url)  # warm: the first request pays for imports and caches of this process
    timings, cpu_timings, queries = [], [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            cpu_timings.append((time.process_time() - cpu_started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured)
    return timings, cpu_timings, queries


def explain(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if '"activity_' not in sql:
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plans.append(sql + "\n" + "\n".join(row[0] for row in cursor.fetchall()))
    return plans


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--reseed", action="store_true", help="seed again even if the seed fits")
    parser.add_argument("--runs", type=int, default=RUNS, help="requests per page (after one)")
    parser.add_argument("--plans", default="", help="write the EXPLAIN ANALYZE plans to this file")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL: set DATABASE_URL to a database of its own.")
    call_command("migrate", verbosity=0)
    environment = None if args.reseed else _seeded(args.count)
    if environment is None:
        _reset()
        environment = seed(args.count)

    client = Client()
    client.force_login(User.objects.get(email="bench@example.com"))
    base = "/bench/development/"
    ordered = Notification.unscoped_across_environments.filter(environment=environment).order_by(
        "-created_at", "-id"
    )
    # Where page 1,000 starts: found once here (with OFFSET), then reached by its cursor.
    deepest = min(999 * NOTIFICATIONS_PER_PAGE, args.count - NOTIFICATIONS_PER_PAGE)
    row = ordered[deepest - 1]
    subscriber = Subscriber.unscoped_across_environments.get(
        environment=environment, subscriber_id="sub-00042"
    )
    workflow = Workflow.unscoped_across_environments.filter(environment=environment).order_by(
        "identifier"
    )[3]
    pages = [
        ("Activity, first page", f"{base}activity/"),
        ("Activity, page 1,000", f"{base}activity/?after={cursor_of(row)}"),
        ("Activity, by subscriber", f"{base}activity/?subscriber={subscriber.subscriber_id}"),
        ("Activity, by workflow", f"{base}activity/?workflow={workflow.origin_id}"),
        ("Activity, by workflow, page 1,000", None),
        ("Overview with the chart", base),
        ("admin changelist, first page", "/bench-admin/activity/notification/"),
        (
            "admin changelist, page 1,000",
            f"/bench-admin/activity/notification/?p={deepest // NOTIFICATIONS_PER_PAGE}",
        ),
        ("admin changelist, by status", "/bench-admin/activity/notification/?status__exact=failed"),
    ]
    by_workflow = ordered.filter(workflow_origin_id=workflow.origin_id)
    if by_workflow.count() > 1000 * NOTIFICATIONS_PER_PAGE:
        deep = by_workflow[999 * NOTIFICATIONS_PER_PAGE - 1]
        pages[4] = (
            pages[4][0],
            f"{base}activity/?workflow={workflow.origin_id}&after={cursor_of(deep)}",
        )
    pages = [(name, url) for name, url in pages if url]

    print(
        f"\n{args.count:,} notifications; {args.runs} runs each, ms (min / median / max of the "
        "wall time, median of the CPU time), SQL queries\n"
    )
    print("| page | min | median | max | CPU median | queries |\n|---|---:|---:|---:|---:|---:|")
    for name, url in pages:
        timings, cpu_timings, queries = measure(client, url, runs=args.runs)
        print(
            f"| {name} | {min(timings):.1f} | {statistics.median(timings):.1f} | "
            f"{max(timings):.1f} | {statistics.median(cpu_timings):.1f} | {queries} |",
            flush=True,
        )
    if args.plans:
        with open(args.plans, "w") as plans:
            for name, url in pages[:5]:
                plans.write(f"## {name}: {url}\n\n")
                for plan in explain(client, url):
                    plans.write(plan + "\n\n")
        print(f"\nPlans written to {args.plans}")


if __name__ == "__main__":
    main()
