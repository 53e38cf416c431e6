"""Benchmark of the Changes page and Promote all.

Seeds an organization whose Development has ``--count`` workflows of 3 to 5 steps, all of them
pending (a fifth created, the rest updated), then prints:

- the Changes page render time (the full request through the middleware) and its SQL queries;
- the Promote all time for every pending change (one transaction) and its SQL queries.

It runs in a throwaway database (``test_<name>`` of DATABASE_URL, created and dropped here), so
it never touches real data. Run it from the repository root, on PostgreSQL for real figures:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/herald \
        .venv/bin/python benchmarks/changes_benchmark.py --count 1000
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)

from accounts.models import Membership, Organization, Role, User  # noqa: E402
from environments.models import Environment  # noqa: E402
from workflows.models import Channel, Step, Workflow, WorkflowGroup  # noqa: E402

BODY = (
    "<h1>Hello {{ subscriber.firstName }}</h1>\n"
    "<p>Your order {{ payload.order.id }} is on its way.</p>\n"
    "<p>It should arrive on {{ payload.order.eta }}.</p>\n"
    "<p>Thanks for shopping with us.</p>"
)


def seed(count: int):
    user = User.objects.create_user(email="bench@example.com", password="x", name="Bench")
    organization = Organization.objects.create(name="Bench", slug="bench")
    Membership.objects.create(organization=organization, user=user, role=Role.ADMIN)
    development = Environment.objects.create(
        organization=organization, name="Development", slug="development"
    )
    production = Environment.objects.create(
        organization=organization, name="Production", slug="production", upstream=development
    )
    group_origin = uuid.uuid4()
    groups = {
        environment.pk: WorkflowGroup.unscoped_across_environments.create(
            environment=environment, name="General", origin_id=group_origin
        )
        for environment in (development, production)
    }
    created_only = count // 5  # the rest exist in Production and were edited since
    for environment in (development, production):
        workflows = []
        for number in range(count):
            if environment == production and number < created_only:
                continue
            workflows.append(
                Workflow(
                    environment=environment,
                    origin_id=uuid.UUID(int=number + 1),
                    name=f"Workflow {number}",
                    identifier=f"workflow-{number}",
                    group=groups[environment.pk],
                    updated_by=user,
                )
            )
        Workflow.unscoped_across_environments.bulk_create(workflows, batch_size=1000)
        pks = dict(
            Workflow.unscoped_across_environments.filter(environment=environment).values_list(
                "origin_id", "pk"
            )
        )
        steps = []
        for workflow in workflows:
            number = workflow.origin_id.int - 1
            for position in range(3 + number % 3):
                edited = environment == development and position == 1
                steps.append(
                    Step(
                        environment=environment,
                        origin_id=uuid.UUID(int=(number + 1) * 10 + position),
                        workflow_id=pks[workflow.origin_id],
                        position=position,
                        channel=Channel.EMAIL,
                        name=f"Step {position}",
                        subject=("Shipped: {{ payload.order.id }}" if edited else "Shipped"),
                        body=BODY + ("\n<p>See you soon.</p>" if edited else ""),
                    )
                )
        Step.unscoped_across_environments.bulk_create(steps, batch_size=2000)
    return user, organization, development


def measure(count: int, repeats: int) -> dict:
    from changes.diff import ChangeSet
    from changes.services import changes_promote_all

    user, organization, development = seed(count)
    pending = len(ChangeSet.compute(source=development, target=development.get_downstream()))
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    url = f"/{organization.slug}/{development.slug}/changes/"
    client.get(url)  # warm caches (templates, Liquid analysis) as a running server would have
    times = []
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as page_queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as promote_queries:
        started = time.perf_counter()
        result = changes_promote_all(source=development, actor=user)
        promote_seconds = time.perf_counter() - started
    left = len(ChangeSet.compute(source=development, target=development.get_downstream()))
    return {
        "pending": pending,
        "page_ms": statistics.median(times) * 1000,
        "page_queries": len(page_queries),
        "promote_s": promote_seconds,
        "promote_queries": len(promote_queries),
        "promoted": result.promotion.change_count,
        "left": left,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="pending changes to seed")
    parser.add_argument("--repeats", type=int, default=5, help="page renders to take the median of")
    arguments = parser.parse_args()

    setup_test_environment()
    settings.DEBUG = False
    # The benchmark measures the app, not the password hasher or the manifest storage.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        figures = measure(arguments.count, arguments.repeats)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    print(f"database:               {connection.vendor}")
    print(f"pending changes:        {figures['pending']}")
    print(f"Changes page render:    {figures['page_ms']:.0f} ms (median of {arguments.repeats})")
    print(f"Changes page queries:   {figures['page_queries']}")
    print(f"Promote all:            {figures['promote_s']:.2f} s ({figures['promoted']} changes)")
    print(f"Promote all queries:    {figures['promote_queries']}")
    print(f"pending after promote:  {figures['left']}")


if __name__ == "__main__":
    main()
