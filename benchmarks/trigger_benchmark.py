"""Benchmark of triggers: how fast Herald acknowledges them, and how fast workers deliver them.

1. Seeds a throwaway database (``test_<name>`` of DATABASE_URL, created and dropped here): an
   organization whose Production has an API key, a workflow with one in-app step, and
   subscribers.
2. Starts gunicorn (2 sync workers) on 127.0.0.1 with Herald and, beside it, a floor: a bare
   view that parses the same JSON body and inserts one row (``benchmarks/trigger_urls.py``).
3. Sends ``--requests`` triggers (one subscriber each) with ``--concurrency`` clients, then as
   many requests to the floor, and prints accepted requests per second and p50/p99
   acknowledgement latency of each, and the ratio Herald/floor.
4. Starts ``--workers`` ``db_worker`` processes (unless ``--no-drain``) and times how long they
   take to drain the queue the triggers left, as messages per second.

Everything stays on loopback, bounded in count (``--requests``) and time (``--max-seconds`` per
phase). Run it from the repository root, on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/herald_bench \\
        .venv/bin/python benchmarks/trigger_benchmark.py --requests 2000 --concurrency 8
"""

import argparse
import contextlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import Organization  # noqa: E402
from activity.models import Message, Trigger  # noqa: E402
from benchmarks.trigger_urls import FLOOR_TABLE  # noqa: E402
from environments.models import Environment  # noqa: E402
from environments.services import api_key_issue  # noqa: E402
from subscribers.models import Subscriber  # noqa: E402
from workflows.models import Channel, Step, Workflow, WorkflowGroup  # noqa: E402

HOST = "127.0.0.1"
SUBSCRIBERS = 1_000


def seed() -> str:
    """The bench organization's Production, its workflow and subscribers; returns a key."""
    organization = Organization.objects.create(name="Bench", slug="bench")
    development = Environment.objects.create(
        organization=organization, name="Development", slug="development"
    )
    production = Environment.objects.create(
        organization=organization, name="Production", slug="production", upstream=development
    )
    group = WorkflowGroup.unscoped_across_environments.create(
        environment=production, name="General"
    )
    workflow = Workflow.unscoped_across_environments.create(
        environment=production, name="Order shipped", identifier="order-shipped", group=group
    )
    Step.unscoped_across_environments.create(
        environment=production,
        workflow=workflow,
        channel=Channel.IN_APP,
        name="In-app",
        body="Hi {{ subscriber.firstName }}, order {{ payload.order.id }} has shipped.",
        cta_url="https://shop.example/orders/{{ payload.order.id }}",
    )
    Subscriber.unscoped_across_environments.bulk_create(
        [
            Subscriber(environment=production, subscriber_id=f"s{n}", first_name=f"Name{n}")
            for n in range(SUBSCRIBERS)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {FLOOR_TABLE} (id bigserial PRIMARY KEY, body jsonb NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
    return api_key_issue(environment=production, name="Bench", created_by=None).secret


def database_url(name: str) -> str:
    database = settings.DATABASES["default"]
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    port = database.get("PORT") or 5432
    return f"postgres://{database['USER']}{password}@{database['HOST'] or HOST}:{port}/{name}"


def process_environment(database: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url(database),
        "DJANGO_SETTINGS_MODULE": "benchmarks.trigger_settings",
        "DEBUG": "false",
        "ALLOWED_HOSTS": HOST,
        # Each worker keeps one PostgreSQL backend through the run, whose CPU time is measured.
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        # The benchmark measures the server, not the rate limit.
        "API_RATE_LIMIT_PER_MINUTE": "100000000",
        "API_RATE_LIMIT_BURST": "100000000",
        "ACTIVITY_RECOVERY_SECONDS": "0",
    }


def gunicorn(database: str, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"{HOST}:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=process_environment(database),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            request("GET", port, "/v1/environments/me", None, {})
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start within 30 s")


def request(method: str, port: int, path: str, body, headers: dict) -> tuple[int, float]:
    started = time.perf_counter()
    client = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        client.request(method, path, body=body, headers=headers)
        response = client.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        client.close()


def load(
    *, port: int, path: str, secret: str, count: int, concurrency: int, max_seconds: float
) -> dict:
    """Send ``count`` triggers from ``concurrency`` threads; stop early at ``max_seconds``."""
    headers = {"Content-Type": "application/json", "Authorization": f"ApiKey {secret}"}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    next_number = iter(range(count))
    lock = threading.Lock()
    stop_at = time.monotonic() + max_seconds

    def client():
        while time.monotonic() < stop_at:
            with lock:
                number = next(next_number, None)
            if number is None:
                return
            body = json.dumps(
                {
                    "name": "order-shipped",
                    "to": f"s{number % SUBSCRIBERS}",
                    "payload": {"order": {"id": number}},
                }
            )
            status, seconds = request("POST", port, path, body, headers)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201:
                    latencies.append(seconds)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(client)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "accepted": len(latencies),
        "statuses": statuses,
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("nan"),
    }


def drain(database: str, workers: int, max_seconds: float) -> dict:
    """Start ``workers`` db_worker processes in batch mode; time until the queue is empty."""
    before = Message.unscoped_across_environments.count()
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--batch",
                "--no-reload",
                "--no-startup-delay",
                "--queue-name",
                "*",
                "--verbosity",
                "0",
            ],
            cwd=ROOT,
            env=process_environment(database),
        )
        for _ in range(workers)
    ]
    try:
        for process in processes:
            process.wait(timeout=max(1.0, max_seconds - (time.perf_counter() - started)))
    except subprocess.TimeoutExpired:
        print(f"  (drain stopped after {max_seconds:.0f} s)")
    finally:
        for process in processes:
            process.kill()
    elapsed = time.perf_counter() - started
    messages = Message.unscoped_across_environments.count() - before
    return {"messages": messages, "seconds": elapsed, "per_second": messages / elapsed}


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_processes(server: subprocess.Popen, database: str) -> tuple[list[int], list[int]]:
    """gunicorn's workers, and the PostgreSQL backends serving them (by database name)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        backends = [pid for (pid,) in cursor.fetchall()]
    return [int(pid) for pid in children], backends


def cpu_of(pids: list[int]) -> dict[int, float]:
    seconds = {}
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):  # a backend that went away
            seconds[pid] = _cpu_seconds(pid)
    return seconds


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


def measured(server, database: str, **load_arguments) -> dict:
    """``load`` with the CPU time that gunicorn's workers and their PostgreSQL backends spent
    on it: a measure of each request's cost that other load on the machine moves far less
    than the rates."""
    workers, backends = server_processes(server, database)
    before = cpu_of(workers), cpu_of(backends)
    result = load(**load_arguments)
    after = cpu_of(workers), cpu_of(backends)
    requests = max(1, sum(result["statuses"].values()))
    result["python_ms"] = _spent(before[0], after[0]) / requests * 1000
    result["postgres_ms"] = _spent(before[1], after[1]) / requests * 1000
    return result


def report(name: str, result: dict) -> None:
    print(
        f"  {name:<7} {result['accepted']:>6} accepted  {result['per_second']:>7.1f} /s  "
        f"p50 {result['p50_ms']:>6.1f} ms  p99 {result['p99_ms']:>6.1f} ms  "
        f"statuses {result['statuses']}\n"
        f"          CPU per request: gunicorn {result['python_ms']:.2f} ms, "
        f"PostgreSQL {result['postgres_ms']:.2f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument(
        "--no-drain", action="store_true", help="Measure the acknowledgements only."
    )
    arguments = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Run it on PostgreSQL: set DATABASE_URL=postgres://…")
    if not 1 <= arguments.requests <= 100_000 or not 1 <= arguments.concurrency <= 64:
        raise SystemExit("Keep --requests within 1..100000 and --concurrency within 1..64.")

    original = settings.DATABASES["default"]["NAME"]
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    server = None
    try:
        secret = seed()
        server = gunicorn(database, arguments.port)
        common = {
            "port": arguments.port,
            "secret": secret,
            "concurrency": arguments.concurrency,
            "max_seconds": arguments.max_seconds,
        }
        warm_up = max(50, arguments.requests // 20)
        load(path="/v1/events/trigger", count=warm_up, **common)
        load(path="/benchmark/floor", count=warm_up, **common)
        herald = measured(
            server, database, path="/v1/events/trigger", count=arguments.requests, **common
        )
        floor = measured(
            server, database, path="/benchmark/floor", count=arguments.requests, **common
        )
        server.terminate()
        server.wait(timeout=30)
        server = None

        print(
            f"\nTriggers on loopback: gunicorn 2 workers, {arguments.concurrency} clients, "
            f"{arguments.requests} requests each (after {warm_up} to warm up), "
            f"PostgreSQL {connection.cursor().connection.info.server_version}"
        )
        report("Herald", herald)
        report("floor", floor)
        print(f"  ratio Herald/floor: {herald['per_second'] / floor['per_second']:.2f}")
        herald_cpu = herald["python_ms"] + herald["postgres_ms"]
        floor_cpu = floor["python_ms"] + floor["postgres_ms"]
        print(f"  server CPU per request, floor/Herald: {floor_cpu / herald_cpu:.2f}")

        if arguments.no_drain:
            return
        queued = Trigger.unscoped_across_environments.count()
        drained = drain(database, arguments.workers, arguments.max_seconds * 5)
        print(
            f"\nDrain: {arguments.workers} db_worker processes, {queued} triggers queued: "
            f"{drained['messages']} messages in {drained['seconds']:.1f} s = "
            f"{drained['per_second']:.1f} messages/s"
        )
    finally:
        if server is not None:
            server.kill()
        connection.creation.destroy_test_db(original, verbosity=0)


if __name__ == "__main__":
    main()
