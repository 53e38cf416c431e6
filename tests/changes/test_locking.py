"""What the promotion locks block and what they do not, on PostgreSQL's real row locks.

Each test holds one service inside its transaction (after its locks are taken) by pausing a
step it calls, starts a second piece of work beside it, then lets the first one finish.
"""

import contextlib
import threading
import time

import pytest
from django.db import DatabaseError, close_old_connections, connection, transaction

from changes import services
from changes.diff import ChangeSet
from changes.models import Promotion, PromotionKind
from changes.services import (
    PromotionRefused,
    change_discard,
    changes_apply,
    changes_promote_all,
    environment_insert,
)
from environments.models import ApiKey, Environment
from tests.changes.conftest import rehash
from tests.factories import ApiKeyFactory
from workflows.models import Workflow

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=(
        "Needs PostgreSQL: SQLite has no row locks (one writer at a time), so it cannot show "
        "which writes a promotion blocks. Run with DATABASE_URL=postgres://… (the CI does)."
    ),
)

WAIT = 10  # seconds; a thread still stuck after this is a failure, not a slow machine


class PauseOnce:
    """Wraps a function of ``changes.services``: its first call signals ``held`` and waits for
    ``release`` before running, so the caller's transaction stays open with its locks taken."""

    def __init__(self, function):
        self.function = function
        self.held = threading.Event()
        self.release = threading.Event()
        self._first = threading.Lock()

    def __call__(self, *args, **kwargs):
        if self._first.acquire(blocking=False):
            self.held.set()
            assert self.release.wait(WAIT), "the test never released the paused service"
        return self.function(*args, **kwargs)


def run_in_thread(work, outcomes: dict, key: str) -> threading.Thread:
    """Run ``work`` on its own connection; its result or exception lands in ``outcomes[key]``."""

    def target():
        try:
            outcomes[key] = work()
        except Exception as error:
            outcomes[key] = error
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=target, name=key)
    thread.start()
    return thread


def wait_until_blocked_on_a_lock(count: int = 1) -> None:
    """Wait until ``count`` other sessions of the test database wait for a row lock."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.05)
    raise AssertionError("the second session never waited for the first one's locks")


def join(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.join(timeout=WAIT * 2)
        assert not thread.is_alive(), f"{thread.name} is still running: a lock was never released"


def pending(source, target):
    return ChangeSet.compute(source=source, target=target).changes


def workflow_name(environment, origin_id):
    return Workflow.unscoped_across_environments.get(
        environment=environment, origin_id=origin_id
    ).name


@pytest.mark.django_db(transaction=True)
def test_a_discard_and_an_apply_of_the_same_change_run_one_after_the_other(
    tenant, content, other_tenant, other_content, monkeypatch
):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant, other_tenant)
    [change] = pending(tenant.development, tenant.production)
    # Both services meet right before recording their promotion, the step that references
    # both environments: if each held a lock the other's insert needs, this is where they
    # would deadlock. Serialised, the first one waits here alone and carries on.
    meeting = threading.Barrier(2)
    record = services._record

    def record_after_meeting(**kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            meeting.wait(timeout=1.5)
        return record(**kwargs)

    monkeypatch.setattr(services, "_record", record_after_meeting)
    start = threading.Barrier(2)
    outcomes: dict = {}

    def apply():
        start.wait(timeout=WAIT)
        return changes_apply(
            source=tenant.development,
            selection=[(change.change_id, change.fingerprint)],
            actor=tenant.editor.user,
        )

    def discard():
        start.wait(timeout=WAIT)
        return change_discard(
            source=tenant.development,
            change_id=change.change_id,
            fingerprint=change.fingerprint,
            actor=tenant.editor.user,
        )

    join(run_in_thread(apply, outcomes, "apply"), run_in_thread(discard, outcomes, "discard"))

    assert not any(isinstance(outcome, DatabaseError) for outcome in outcomes.values()), outcomes
    recorded = Promotion.objects.filter(kind__in=[PromotionKind.APPLY, PromotionKind.DISCARD])
    [first] = recorded  # exactly one of the two wrote; the other found nothing left to do
    if first.kind == PromotionKind.APPLY:
        assert workflow_name(tenant.production, content.welcome.origin_id) == "Hello"
        assert isinstance(outcomes["discard"], PromotionRefused)
        assert "no longer pending" in str(outcomes["discard"])
    else:
        assert workflow_name(tenant.development, content.welcome.origin_id) == "Welcome"
        assert outcomes["apply"].promotion is None
        assert outcomes["apply"].already_applied == [change.change_id]
    assert pending(tenant.development, tenant.production) == []
    assert workflow_name(other_tenant.production, other_content.welcome.origin_id) == "Welcome"


@pytest.mark.django_db(transaction=True)
def test_a_promotion_in_progress_does_not_block_api_keys_in_its_environments(
    tenant, content, other_tenant, monkeypatch
):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant, other_tenant)
    paused = PauseOnce(services._execute)
    monkeypatch.setattr(services, "_execute", paused)
    outcomes: dict = {}
    promotion = run_in_thread(
        lambda: changes_promote_all(source=tenant.development, actor=tenant.editor.user),
        outcomes,
        "promote",
    )
    try:
        assert paused.held.wait(WAIT), "the promotion never reached its writes"
        # The promotion holds its locks now. Inserting a row that references Production or
        # Development (an API key, runtime data) must not wait for it.
        for environment in (tenant.production, tenant.development, other_tenant.production):
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '1s'")
                ApiKeyFactory(environment=environment, name="Inserted during a promotion")
    finally:
        paused.release.set()
        join(promotion)

    assert outcomes["promote"].promotion.target == tenant.production
    assert workflow_name(tenant.production, content.welcome.origin_id) == "Hello"
    inserted = ApiKey.unscoped_across_environments.filter(name="Inserted during a promotion")
    assert inserted.count() == 3


@pytest.mark.django_db(transaction=True)
def test_an_apply_racing_an_environment_insert_never_skips_the_new_environment(
    tenant, content, other_tenant, other_content, monkeypatch
):
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Hello")
    rehash(tenant, other_tenant)
    [change] = pending(tenant.development, tenant.production)
    # The insert pauses at its last step: Staging exists and is linked, not yet committed.
    paused = PauseOnce(services.api_key_issue)
    monkeypatch.setattr(services, "api_key_issue", paused)
    outcomes: dict = {}
    insert = run_in_thread(
        lambda: environment_insert(
            upstream=tenant.development, name="Staging", actor=tenant.admin.user
        ),
        outcomes,
        "insert",
    )
    try:
        assert paused.held.wait(WAIT), "the insert never reached its last step"
        apply = run_in_thread(
            lambda: changes_apply(
                source=tenant.development,
                selection=[(change.change_id, change.fingerprint)],
                actor=tenant.editor.user,
            ),
            outcomes,
            "apply",
        )
        wait_until_blocked_on_a_lock()
    finally:
        paused.release.set()
        join(insert)
    join(apply)

    staging = outcomes["insert"].environment
    tenant.production.refresh_from_db()
    assert tenant.production.upstream == staging
    # Production still has what it had: the change went to Staging (or was refused).
    assert workflow_name(tenant.production, content.welcome.origin_id) == "Welcome"
    assert not Promotion.objects.filter(target=tenant.production, kind=PromotionKind.APPLY)
    if isinstance(outcomes["apply"], Exception):
        assert isinstance(outcomes["apply"], PromotionRefused), outcomes["apply"]
        assert workflow_name(staging, content.welcome.origin_id) == "Welcome"
    else:
        assert outcomes["apply"].promotion.target == staging
        assert workflow_name(staging, content.welcome.origin_id) == "Hello"
    assert workflow_name(other_tenant.production, other_content.welcome.origin_id) == "Welcome"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_inserts_of_the_same_name_refuse_the_second(
    tenant, content, other_tenant, monkeypatch
):
    paused = PauseOnce(services.api_key_issue)
    monkeypatch.setattr(services, "api_key_issue", paused)
    outcomes: dict = {}

    def insert():
        return environment_insert(
            upstream=tenant.development, name="Staging", actor=tenant.admin.user
        )

    first = run_in_thread(insert, outcomes, "first")
    try:
        assert paused.held.wait(WAIT), "the first insert never reached its last step"
        second = run_in_thread(insert, outcomes, "second")
        wait_until_blocked_on_a_lock()
    finally:
        paused.release.set()
        join(first)
    join(second)

    assert outcomes["first"].environment.name == "Staging"
    assert isinstance(outcomes["second"], PromotionRefused), outcomes["second"]
    assert "already has an environment named Staging" in str(outcomes["second"])
    names = Environment.objects.filter(organization=tenant.organization).values_list(
        "name", flat=True
    )
    assert sorted(names) == ["Development", "Production", "Staging"]
    assert Environment.objects.filter(organization=other_tenant.organization).count() == 2
