import pytest
from django.core.cache import cache
from django.db import transaction
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from environments.scoping import environment_scope
from tests.api_clients import ApiClient, api_client_for
from tests.factories import StepFactory, WorkflowFactory
from workflows.models import Channel


@pytest.fixture(autouse=True)
def fresh_rate_limits(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def widgets(client):
    """The Django test client speaking to /v1/widgets, as a client app does."""

    class Widgets:
        def start(self, environment, subscriber_id="ada", **fields):
            response = self.send(
                "post",
                "/session/initialize",
                {
                    "applicationIdentifier": environment.application_identifier,
                    "subscriberId": subscriber_id,
                    **fields,
                },
            )
            assert response.status_code == 201, response.content
            return response.json()["data"]["token"]

        def get(self, path, token=None, headers=None, **params):
            return client.get(f"/v1/widgets{path}", params, headers=self._headers(token, headers))

        def send(self, method, path, body=None, token=None, headers=None):
            return getattr(client, method)(
                f"/v1/widgets{path}",
                body if body is not None else {},
                content_type="application/json",
                headers=self._headers(token, headers),
            )

        @staticmethod
        def _headers(token, headers):
            return {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}

    return Widgets()


@pytest.fixture(autouse=True)
def no_background_recovery(settings):
    """Recovery runs when a test calls it, not after whichever task happens to finish."""
    settings.ACTIVITY_RECOVERY_SECONDS = 0


def key_client_for(environment) -> ApiClient:
    return api_client_for(environment)


@pytest.fixture
def key_client():
    return key_client_for


def in_process_worker(worker_id: str = "test-worker") -> Worker:
    """django-tasks-db's worker, to run tasks in this process and transaction."""
    return Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def run_tasks(limit: int = 10_000) -> int:
    """Run every task that is due, as ``db_worker`` would, in this process and transaction.
    Returns how many ran; a task that failed fails the test with its traceback."""
    worker = in_process_worker()
    ran = 0
    for _ in range(limit):
        with transaction.atomic():
            task_row = DBTaskResult.objects.ready().select_for_update(skip_locked=True).first()
            if task_row is None:
                break
            task_row.claim(worker.worker_id)
        worker.run_task(task_row)
        task_row.refresh_from_db()
        assert task_row.status == "SUCCESSFUL", task_row.traceback
        ran += 1
    return ran


@pytest.fixture
def drain():
    return run_tasks


def in_app_workflow(environment, *, identifier="order-shipped", body=None, **fields):
    workflow = WorkflowFactory(environment=environment, identifier=identifier, **fields)
    StepFactory(
        workflow=workflow,
        channel=Channel.IN_APP,
        name="In-app",
        body=body or "Hi {{ subscriber.firstName }}, order {{ payload.order.id }} shipped.",
        cta_url="https://shop.example/orders/{{ payload.order.id }}",
    )
    return workflow


def scoped(environment):
    return environment_scope(environment)
