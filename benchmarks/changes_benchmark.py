"""Benchmark of the Changes engine at scale.

Seeds two organizations in a throwaway database (``test_<name>`` of DATABASE_URL, created and
dropped here; it never touches real data):

- **Large**: ``--count`` pending changes (default 10,000) plus ``--unchanged`` identical
  workflows (default 2,000). Every kind is present: workflows created, deleted, updated (a
  step's subject and body edited, renamed with a new identifier, steps reordered, moved to a
  new group with an email step on a new layout), and groups, feeds and layouts created and
  deleted, the brand updated. Created workflows use a new feed; deleted ones a deleted group
  and layout, so deletes carry references too.
- **Small**: the same mix at a tenth of the size, for the query counts.

Then, through the full middleware stack (Django's test client, the real URLs), it measures
``--repeats`` runs (default 5) of each row and prints min / median / max:

- the sidebar badge (``changes/count/``), fired by every page;
- the Changes page, first and last page, next to the workflows list (a plain paginated page)
  first and last page;
- Apply of one change by htmx, whose one response also carries the badge and the toolbar;
- Promote all of every change, next to the floor: ``bulk_create`` of the same rows; and its
  peak Python memory (tracemalloc, in a run of its own: tracing slows Python down).

Apply and Promote all run in a transaction rolled back after each run, so every run starts
from the same state. Query counts are printed for both sizes. ``--explain`` prints PostgreSQL's
``EXPLAIN ANALYZE`` of the counting and paging queries at the large size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/herald_engine_bench \\
        .venv/bin/python benchmarks/changes_benchmark.py

It is bounded: about three minutes on two cores at the default size.
"""

import argparse
import os
import statistics
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)

from accounts.models import Membership, Organization, Role, User  # noqa: E402
from branding.models import Brand, Layout  # noqa: E402
from changes.diff import ChangeSet  # noqa: E402
from changes.documents import content_stamp, environment_content_hashes_refresh  # noqa: E402
from changes.models import ChangeFacts  # noqa: E402
from changes.services import changes_promote_all  # noqa: E402
from environments.models import Environment  # noqa: E402
from workflows.models import Channel, Feed, Step, Workflow, WorkflowGroup  # noqa: E402

LAYOUT_HTML = "<html>\n<body>\n{{ content }}\n</body>\n</html>"
UPDATE_KINDS = ("edited", "renamed", "reordered", "referenced")


def body(number: int, *, edited: bool = False) -> str:
    text = (
        f"<h1>Hello {{{{ subscriber.firstName }}}}</h1>\n"
        f"<p>Your order {{{{ payload.order.id }}}} (batch {number}) is on its way.</p>\n"
        f"<p>It should arrive on {{{{ payload.order.eta }}}}.</p>\n"
        "<p>Thanks for shopping with us.</p>"
    )
    return text + ("\n<p>See you soon, {{ payload.customer.name }}.</p>" if edited else "")


class Seeder:
    """One organization with Development and Production and the mix of changes above."""

    def __init__(self, *, slug: str, count: int, unchanged: int, user: User, reuse=False):
        self.count = count
        self.unchanged = unchanged
        self.user = user
        if reuse:
            self.organization = Organization.objects.get(slug=slug)
            self.development = self.organization.environments.get(slug="development")
            self.production = self.organization.environments.get(slug="production")
        else:
            self.organization = Organization.objects.create(name=slug.title(), slug=slug)
            Membership.objects.create(organization=self.organization, user=user, role=Role.ADMIN)
            self.development = Environment.objects.create(
                organization=self.organization, name="Development", slug="development"
            )
            self.production = Environment.objects.create(
                organization=self.organization,
                name="Production",
                slug="production",
                upstream=self.development,
            )
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, slug)

    def origin(self, *parts) -> uuid.UUID:
        return uuid.uuid5(self.namespace, "/".join(str(part) for part in parts))

    def _both(self, model, *, only=None, **values):
        rows = {}
        for environment in (self.development, self.production):
            if only is not None and environment != only:
                continue
            rows[environment.pk] = model.unscoped_across_environments.create(
                environment=environment, updated_by=self.user, **values
            )
        return rows

    def seed(self) -> None:
        dev, prod = self.development, self.production
        origin = self.origin
        general = self._both(WorkflowGroup, name="General", origin_id=origin("group", "general"))
        new_group = self._both(
            WorkflowGroup, only=dev, name="Growth", origin_id=origin("group", "growth")
        )
        legacy = self._both(
            WorkflowGroup, only=prod, name="Legacy", origin_id=origin("group", "legacy")
        )
        updates = self._both(
            Feed, name="Updates", identifier="updates", origin_id=origin("feed", "updates")
        )
        news = self._both(
            Feed, only=dev, name="News", identifier="news", origin_id=origin("feed", "news")
        )
        default = self._both(
            Layout,
            name="Default",
            identifier="default",
            html=LAYOUT_HTML,
            is_default=True,
            origin_id=origin("layout", "default"),
        )
        fresh = self._both(
            Layout,
            only=dev,
            name="Fresh",
            identifier="fresh",
            html=LAYOUT_HTML.replace("<body>", "<body class='fresh'>"),
            origin_id=origin("layout", "fresh"),
        )
        old = self._both(
            Layout,
            only=prod,
            name="Old",
            identifier="old",
            html=LAYOUT_HTML,
            origin_id=origin("layout", "old"),
        )
        for environment, colour in ((dev, "#7c3aed"), (prod, "#4f46e5")):
            Brand.unscoped_across_environments.create(
                environment=environment,
                origin_id=origin("brand"),
                primary_color=colour,
                updated_by=self.user,
            )
        # Six changes above (a group, a feed and a layout created; a group and a layout
        # deleted; the brand updated): the rest are workflows.
        workflow_changes = self.count - 6
        created = workflow_changes // 5
        deleted = workflow_changes // 10
        updated = workflow_changes - created - deleted
        plan = (
            [("created", n) for n in range(created)]
            + [("deleted", n) for n in range(deleted)]
            + [(UPDATE_KINDS[n % 4], n) for n in range(updated)]
            + [("unchanged", n) for n in range(self.unchanged)]
        )
        for environment in (dev, prod):
            is_dev = environment == dev
            workflows, specs = [], []
            for kind, number in plan:
                if (kind == "created" and not is_dev) or (kind == "deleted" and is_dev):
                    continue
                key = f"{kind}-{number}"
                renamed = kind == "renamed" and is_dev
                group = general
                if kind == "deleted":
                    group = legacy
                elif kind == "referenced" and is_dev:
                    group = new_group
                workflows.append(
                    Workflow(
                        environment=environment,
                        origin_id=origin("workflow", key),
                        name=f"{'Renamed ' if renamed else ''}Workflow {key}",
                        identifier=f"{'renamed-' if renamed else ''}workflow-{key}",
                        group=group[environment.pk],
                        updated_by=self.user,
                    )
                )
                specs.append((kind, number, key))
            Workflow.unscoped_across_environments.bulk_create(workflows, batch_size=1000)
            steps = []
            for workflow, (kind, number, key) in zip(workflows, specs, strict=True):
                count = 3 + number % 3
                positions = list(range(count))
                if kind == "reordered" and is_dev:
                    positions[0], positions[1] = positions[1], positions[0]
                for index in range(count):
                    email = index == 0
                    layout = default
                    if kind == "deleted":
                        layout = old
                    elif kind == "referenced" and is_dev:
                        layout = fresh
                    feed = news if kind == "created" else updates
                    edited = kind == "edited" and is_dev and email
                    steps.append(
                        Step(
                            environment=environment,
                            origin_id=origin("step", key, index),
                            workflow_id=workflow.pk,
                            position=positions[index],
                            channel=Channel.EMAIL if email else Channel.IN_APP,
                            name=f"Step {index}",
                            subject=(
                                ("Shipped: {{ payload.order.id }}" if edited else "Shipped")
                                if email
                                else ""
                            ),
                            body=body(number, edited=edited),
                            layout=layout[environment.pk] if email else None,
                            feed=None if email else feed[environment.pk],
                        )
                    )
            Step.unscoped_across_environments.bulk_create(steps, batch_size=2000)
        environment_content_hashes_refresh(environments=[dev, prod])


def timed(function, repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return seconds


def queries_of(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


class Rollback(Exception):
    pass


def rolled_back(function):
    """Run ``function`` in a transaction that is rolled back: the next run starts the same."""

    def run():
        try:
            with transaction.atomic():
                function()
                raise Rollback
        except Rollback:
            pass

    return run


class Bench:
    def __init__(self, seeder: Seeder):
        self.seeder = seeder
        self.client = Client()
        self.client.force_login(seeder.user, backend="django.contrib.auth.backends.ModelBackend")
        organization = seeder.organization.slug
        self.base = f"/{organization}/development/"

    def get(self, path: str, **headers):
        response = self.client.get(self.base + path, **headers)
        assert response.status_code == 200, (path, response.status_code)
        return response

    def last_page(self, path: str, per_page: int, total: int) -> str:
        return f"{path}?page={max(1, -(-total // per_page))}"

    def apply_one(self):
        # The first change of the first page: what an operator applies first.
        change_set = ChangeSet(source=self.seeder.development, target=self.seeder.production)
        [change] = change_set.page()[0:1]

        def apply():
            response = self.client.post(
                self.base + "changes/apply/",
                {"change_id": change.change_id, "fingerprint": change.fingerprint},
                HTTP_HX_REQUEST="true",
            )
            assert response.status_code == 200, response.status_code
            html = response.content.decode()
            assert 'id="changes-count"' in html and 'id="changes-toolbar"' in html

        return apply

    def promote_all(self):
        changes_promote_all(source=self.seeder.development, actor=self.seeder.user)

    def floor(self):
        """bulk_create of the rows Promote all writes (Development's changed content), into a
        scratch environment, with the same batch sizes: the cost of the inserts alone."""
        seeder = self.seeder
        change_set = ChangeSet(source=seeder.development, target=seeder.production)
        scratch, _ = Environment.objects.get_or_create(
            organization=seeder.organization, name="Scratch", slug="scratch"
        )
        workflow_pks = list(change_set.sets(_type("workflow")).changed.values_list("pk", flat=True))
        groups = {
            group.origin_id: WorkflowGroup(
                environment=scratch, origin_id=group.origin_id, name=group.name
            )
            for group in WorkflowGroup.unscoped_across_environments.filter(
                environment=seeder.development
            )
        }
        workflows = list(
            Workflow.unscoped_across_environments.filter(pk__in=workflow_pks).select_related(
                "group"
            )
        )
        steps = list(Step.unscoped_across_environments.filter(workflow_id__in=workflow_pks))
        for workflow in workflows:
            workflow.group_origin = workflow.group.origin_id
        return scratch, groups, workflows, steps

    def floor_run(self, scratch, groups, workflows, steps):
        def run():
            WorkflowGroup.unscoped_across_environments.bulk_create(
                [WorkflowGroup(**_fields(group)) for group in groups.values()]
            )
            by_origin = dict(
                WorkflowGroup.unscoped_across_environments.filter(environment=scratch).values_list(
                    "origin_id", "pk"
                )
            )
            copies = Workflow.unscoped_across_environments.bulk_create(
                [
                    _copy(workflow, scratch, group_id=by_origin[workflow.group_origin])
                    for workflow in workflows
                ],
                batch_size=1000,
            )
            new_pk = {old.pk: new.pk for old, new in zip(workflows, copies, strict=True)}
            Step.unscoped_across_environments.bulk_create(
                [_copy(step, scratch, workflow_id=new_pk[step.workflow_id]) for step in steps],
                batch_size=1000,
            )

        return run


def _type(key):
    from changes.registry import REGISTRY

    return REGISTRY[key]


def _fields(instance) -> dict:
    # A unique field (the public id) is each copy's own: the copy takes its default, as a
    # promoted copy does.
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if not field.primary_key and not field.unique
    }


def _copy(instance, environment, **overrides):
    values = _fields(instance)
    values.update(environment_id=environment.pk, **overrides)
    return type(instance)(**values)


def vacuum() -> None:
    """Reclaim what a rolled-back run left (dead rows), so every run starts alike."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def interleaved(functions: dict[str, callable], repeats: int, *, between=None) -> dict:
    """Run each function once per round, ``repeats`` rounds: measurements compared with each
    other (a page and the plain page, Promote all and its floor) see the same machine load."""
    seconds = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            started = time.perf_counter()
            function()
            seconds[name].append(time.perf_counter() - started)
            if between is not None:
                between()
    return seconds


def measure(seeder: Seeder, small: Seeder, repeats: int) -> list[tuple]:
    bench, small_bench = Bench(seeder), Bench(small)
    change_set = ChangeSet(source=seeder.development, target=seeder.production)
    pending = len(change_set)
    workflow_total = Workflow.unscoped_across_environments.filter(
        environment=seeder.development
    ).count()
    last_changes = bench.last_page("changes/", 25, pending)
    last_workflows = bench.last_page("workflows/", 20, workflow_total)
    # Warm up what a running server has warm: templates, URL resolvers, the Liquid cache.
    for path in ("changes/count/", "changes/", last_changes, "workflows/", last_workflows):
        bench.get(path)
        small_bench.get(path.split("?")[0])
    htmx = {"HTTP_HX_REQUEST": "true"}
    pages = {
        "Sidebar badge (changes/count/)": ("changes/count/", "changes/count/", htmx),
        "Changes page, first page": ("changes/", "changes/", {}),
        "Changes page, last page": (last_changes, "changes/", {}),
        "Workflows list, first page (plain)": ("workflows/", "workflows/", {}),
        "Workflows list, last page (plain)": (last_workflows, "workflows/", {}),
    }

    def badge_after_write(bench):
        # A write stamps Development (as every write path does): the badge counts again.
        def run():
            content_stamp(environment_ids=[bench.seeder.development.pk])
            bench.get("changes/count/", **htmx)

        return run

    def page_first_view(bench):
        # Nobody has opened the page since these changes were made: the rows' facts are
        # worked out from their documents and stored (``changes/facts.py``). Rolled back, so
        # every run starts with none stored; the run includes deleting them.
        def run():
            ChangeFacts.objects.filter(source=bench.seeder.development).delete()
            bench.get("changes/")

        return rolled_back(run)

    after_write = "Sidebar badge, first after a write (counts)"
    first_view = "Changes page, first page, first view (facts worked out)"
    page_seconds = interleaved(
        {
            **{
                label: (lambda path=path, headers=headers: bench.get(path, **headers))
                for label, (path, _small, headers) in pages.items()
            },
            first_view: page_first_view(bench),
        },
        repeats,
    )
    rows = [
        (
            label,
            page_seconds[label],
            queries_of(lambda path=path, headers=headers: bench.get(path, **headers)),
            queries_of(lambda small=small, headers=headers: small_bench.get(small, **headers)),
        )
        for label, (path, small, headers) in pages.items()
    ]
    rows.insert(
        2,
        (
            first_view,
            page_seconds[first_view],
            queries_of(page_first_view(bench)),
            queries_of(page_first_view(small_bench)),
        ),
    )
    # On its own, after the pages: a write makes every next request that counts count again,
    # and the pages above are measured between writes, as an operator reviewing them reads.
    page_seconds[after_write] = timed(badge_after_write(bench), repeats)
    rows.insert(
        1,
        (
            after_write,
            page_seconds[after_write],
            queries_of(badge_after_write(bench)),
            queries_of(badge_after_write(small_bench)),
        ),
    )

    apply = rolled_back(bench.apply_one())
    apply_seconds = timed(apply, repeats)
    rows.append(
        (
            "Apply one change (htmx, with badge and toolbar)",
            apply_seconds,
            queries_of(apply),
            queries_of(rolled_back(small_bench.apply_one())),
        )
    )

    scratch, groups, workflows, steps = bench.floor()
    floor_rows = len(groups) + len(workflows) + len(steps)
    vacuum()
    heavy = interleaved(
        {
            "promote": rolled_back(bench.promote_all),
            "floor": rolled_back(bench.floor_run(scratch, groups, workflows, steps)),
        },
        repeats,
        between=vacuum,
    )
    rows.append(
        (
            "Promote all",
            heavy["promote"],
            queries_of(rolled_back(bench.promote_all)),
            queries_of(rolled_back(small_bench.promote_all)),
        )
    )
    rows.append((f"Floor: bulk_create of the same {floor_rows:,} rows", heavy["floor"], None, None))

    vacuum()
    tracemalloc.start()
    rolled_back(bench.promote_all)()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    median = {label: statistics.median(seconds) for label, seconds, *_rest in rows}
    ratios = {
        "first": median["Changes page, first page"] / median["Workflows list, first page (plain)"],
        "last": median["Changes page, last page"] / median["Workflows list, last page (plain)"],
        "promote": statistics.median(heavy["promote"]) / statistics.median(heavy["floor"]),
    }
    return rows, pending, peak, ratios


def _last_statement(function) -> tuple[str, list]:
    """The SQL and parameters of the last statement ``function`` runs, as it sent them (the
    page's query is bound on the server, so the logged SQL has no values in it)."""
    statements = []

    def record(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        function()
    return statements[-1]


def explain(seeder: Seeder) -> None:
    """EXPLAIN ANALYZE of the counting query and of the first and last page of rows."""
    change_set = ChangeSet(source=seeder.development, target=seeder.production)
    total = len(change_set)
    statements = [
        ("counts per type and action", _last_statement(change_set.counts)),
        (
            "sidebar badge (total)",
            _last_statement(
                lambda: ChangeSet(source=seeder.development, target=seeder.production).total
            ),
        ),
    ]
    for label, start in (("first page", 0), ("last page", max(0, total - 25))):
        statements.append(
            (
                f"page of rows, {label}",
                _last_statement(
                    lambda start=start: change_set.page_rows(type_key=None, offset=start, limit=25)
                ),
            )
        )
    workflows = Workflow.unscoped_across_environments.filter(environment=seeder.development)
    statements.append(
        (
            "workflows list, last page",
            _last_statement(lambda: list(workflows.order_by("name", "pk")[total - 20 : total])),
        )
    )
    with connection.cursor() as cursor:
        for label, (sql, params) in statements:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) " + sql, params)
            print(f"\n--- EXPLAIN ANALYZE: {label}")
            for (line,) in cursor.fetchall():
                print(line)


def milliseconds(seconds: list[float]) -> str:
    values = [value * 1000 for value in seconds]
    if statistics.median(values) >= 1000:
        return " / ".join(
            f"{value / 1000:.2f} s"
            for value in (min(values), statistics.median(values), max(values))
        )
    return (
        " / ".join(
            f"{value:.1f}" for value in (min(values), statistics.median(values), max(values))
        )
        + " ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="pending changes to seed")
    parser.add_argument("--unchanged", type=int, default=2_000, help="identical workflows")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each measurement")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE (PostgreSQL)")
    parser.add_argument(
        "--keepdb", action="store_true", help="keep the database, and reuse its seed next time"
    )
    arguments = parser.parse_args()

    setup_test_environment()
    settings.DEBUG = False
    # The benchmark measures the app, not the password hasher or the manifest storage.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.ALLOWED_HOSTS = ["testserver"]
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=arguments.keepdb)
    try:
        started = time.perf_counter()
        user = User.objects.filter(email="bench@example.com").first()
        reuse = user is not None
        if not reuse:
            user = User.objects.create_user(email="bench@example.com", password="x", name="B")
        large = Seeder(
            slug="large",
            count=arguments.count,
            unchanged=arguments.unchanged,
            user=user,
            reuse=reuse,
        )
        small = Seeder(
            slug="small",
            count=max(100, arguments.count // 10),
            unchanged=max(20, arguments.unchanged // 10),
            user=user,
            reuse=reuse,
        )
        if not reuse:
            large.seed()
            small.seed()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        seeded = time.perf_counter() - started
        if arguments.explain and connection.vendor == "postgresql":
            explain(large)  # on the freshly seeded, vacuumed tables, as the pages see them
        rows, pending, peak, ratios = measure(large, small, arguments.repeats)
    finally:
        if not arguments.keepdb:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    small_pending = max(100, arguments.count // 10)
    print(f"\ndatabase: {connection.vendor}; seeded in {seeded:.0f} s")
    print(
        f"large: {pending:,} pending changes + {arguments.unchanged:,} unchanged workflows; "
        f"small: {small_pending:,} pending changes (for the query counts)"
    )
    print(f"runs: {arguments.repeats}; times are min / median / max\n")
    print(
        f"| {'measurement':<50} | {'time (min / median / max)':<30} "
        f"| queries at {pending:,} | queries at {small_pending:,} |"
    )
    print("|" + "---|" * 4)
    for label, seconds, queries, small_queries in rows:
        queries = "" if queries is None else queries
        small_queries = "" if small_queries is None else small_queries
        print(f"| {label:<50} | {milliseconds(seconds):<30} | {queries} | {small_queries} |")
    print()
    print(f"Changes page / workflows list, first page: {ratios['first']:.2f} times")
    print(f"Changes page / workflows list, last page:  {ratios['last']:.2f} times")
    print(f"Promote all / bulk_create floor:           {ratios['promote']:.2f} times")
    print(f"Promote all, peak Python memory:           {peak / 1024 / 1024:.1f} MiB (tracemalloc)")


if __name__ == "__main__":
    main()
