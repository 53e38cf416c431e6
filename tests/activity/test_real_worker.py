"""The real worker: ``manage.py db_worker`` processes, two side by side, against the test
database. Each trigger is delivered once, whichever worker takes which task."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from activity.models import Job, Message, Notification
from tests.activity.conftest import in_app_workflow, scoped

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Needs PostgreSQL (as CI runs it): the workers are other processes taking tasks "
        "side by side with SELECT … FOR UPDATE SKIP LOCKED, which SQLite does not have.",
    ),
]

WORKER_SECONDS = 120


def database_url() -> str:
    database = settings.DATABASES["default"]
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    port = database.get("PORT") or 5432
    return (
        f"postgres://{database['USER']}{password}@{database['HOST'] or 'localhost'}:{port}/"
        f"{database['NAME']}"
    )


def start_worker(worker_id: str) -> subprocess.Popen:
    environment = {**os.environ, "DATABASE_URL": database_url(), "ACTIVITY_RECOVERY_SECONDS": "0"}
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "--queue-name",
            "*",
            "--worker-id",
            worker_id,
        ],
        cwd=Path(settings.BASE_DIR),
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_db_workers_deliver_every_trigger_once(tenant, key_client):
    in_app_workflow(tenant.development)
    api = key_client(tenant.development)
    for index in range(20):
        response = api.trigger(
            "order-shipped",
            [f"a{index}", f"b{index}", f"c{index}"],
            payload={"order": {"id": index}},
        )
        assert response.status_code == 201

    workers = [start_worker("worker-1"), start_worker("worker-2")]
    try:
        outputs = [worker.communicate(timeout=WORKER_SECONDS)[0] for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    assert [worker.returncode for worker in workers] == [0, 0], outputs

    with scoped(tenant.development):
        assert Notification.objects.count() == 60
        assert set(Notification.objects.values_list("status", flat=True)) == {"completed"}
        assert set(Job.objects.values_list("status", flat=True)) == {"completed"}
        assert Message.objects.count() == 60
        assert Message.objects.filter(content="Hi , order 7 shipped.").count() == 3
    # Both workers took tasks, and none was run twice.
    ran = "\n".join(outputs)
    assert "worker_id=worker-1" in ran and "worker_id=worker-2" in ran
    # A trigger to a few subscribers is one task: expanded, then delivered, by one worker.
    assert ran.count("state=SUCCESSFUL") == 20
    assert "state=FAILED" not in ran
