"""Writes that move an environment's default layout run one after the other: concurrent "Make
default", create-as-default and delete-the-default requests all succeed in order, or are
refused with a message, and the environment keeps exactly one default. Never a 500."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from branding import services
from branding.models import Layout
from branding.services import layout_create, layout_delete, layout_make_default, layout_update
from environments.scoping import environment_scope
from tests.changes.test_locking import WAIT, join, run_in_thread
from tests.factories import LayoutFactory

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=(
        "Needs PostgreSQL: SQLite lets one writer in at a time, so these requests cannot "
        "overlap there. Run with DATABASE_URL=postgres://… (the CI does)."
    ),
)

HTML = "<div>{{ content }}</div>"


def defaults(environment) -> list[str]:
    return sorted(
        Layout.unscoped_across_environments.filter(
            environment=environment, is_default=True
        ).values_list("name", flat=True)
    )


def layouts(environment, *names, default):
    return {
        name: LayoutFactory(
            environment=environment, name=name, identifier=name.lower(), is_default=name == default
        )
        for name in names
    }


class PauseAfterFirstCall:
    """Wraps a function: its first call runs, then signals ``held`` and waits for ``release``,
    so the caller's transaction stays open with what it has written and locked."""

    def __init__(self, function):
        self.function = function
        self.held = threading.Event()
        self.release = threading.Event()
        self._first = threading.Lock()

    def __call__(self, *args, **kwargs):
        result = self.function(*args, **kwargs)
        if self._first.acquire(blocking=False):
            self.held.set()
            assert self.release.wait(WAIT), "the test never released the paused service"
        return result


def in_scope(environment, work):
    def scoped():
        with environment_scope(environment):
            return work()

    return scoped


def wait_until_blocked_or_done(thread: threading.Thread) -> None:
    """Wait until ``thread`` waits for a row lock or has finished (it did not need to wait)."""
    deadline = time.monotonic() + WAIT
    while thread.is_alive() and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)


def race(first, second, paused) -> dict:
    """Run ``first`` until ``paused`` holds it inside its transaction, then ``second`` beside
    it; let ``first`` finish once ``second`` waits for it (or has finished)."""
    outcomes: dict = {}
    first_thread = run_in_thread(first, outcomes, "first")
    try:
        assert paused.held.wait(WAIT), "the first request never reached its writes"
        second_thread = run_in_thread(second, outcomes, "second")
        wait_until_blocked_or_done(second_thread)
    finally:
        paused.release.set()
        join(first_thread)
    join(second_thread)
    refused = {key: outcome for key, outcome in outcomes.items() if isinstance(outcome, Exception)}
    assert not refused, refused
    return outcomes


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_make_default_requests_both_succeed_in_order(tenant, other_tenant, monkeypatch):
    made = layouts(tenant.development, "Receipt", "Plain", "Bold", default="Receipt")
    layouts(other_tenant.development, "Receipt", "Plain", default="Receipt")
    paused = PauseAfterFirstCall(services._make_only_default)
    monkeypatch.setattr(services, "_make_only_default", paused)
    environment, actor = tenant.development, tenant.editor.user

    outcomes = race(
        in_scope(environment, lambda: layout_make_default(layout=made["Plain"], actor=actor)),
        in_scope(environment, lambda: layout_make_default(layout=made["Bold"], actor=actor)),
        paused,
    )

    assert outcomes["first"].name == "Plain"
    assert outcomes["second"].name == "Bold"
    assert defaults(tenant.development) == ["Bold"]
    assert defaults(other_tenant.development) == ["Receipt"]


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_layout_created_as_default_during_a_make_default_succeeds_after_it(tenant, monkeypatch):
    made = layouts(tenant.development, "Receipt", "Plain", default="Receipt")
    paused = PauseAfterFirstCall(services._make_only_default)
    monkeypatch.setattr(services, "_make_only_default", paused)
    environment, actor = tenant.development, tenant.editor.user

    outcomes = race(
        in_scope(environment, lambda: layout_make_default(layout=made["Plain"], actor=actor)),
        in_scope(
            environment,
            lambda: layout_create(
                environment=environment,
                actor=actor,
                name="Bold",
                identifier="bold",
                html=HTML,
                is_default=True,
            ),
        ),
        paused,
    )

    assert outcomes["first"].name == "Plain"
    assert outcomes["second"].name == "Bold"
    assert defaults(tenant.development) == ["Bold"]


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_deleting_the_last_layout_during_a_create_leaves_the_new_one_the_default(
    tenant, monkeypatch
):
    made = layouts(tenant.development, "Receipt", default="Receipt")
    # The delete has checked that no other layout exists, and is about to delete its row.
    paused = PauseAfterFirstCall(lambda: None)
    delete = Layout.delete

    def delete_after_pause(layout, *args, **kwargs):
        paused()
        return delete(layout, *args, **kwargs)

    monkeypatch.setattr(Layout, "delete", delete_after_pause)
    environment, actor = tenant.development, tenant.editor.user

    outcomes = race(
        in_scope(environment, lambda: layout_delete(layout=made["Receipt"], actor=actor)),
        in_scope(
            environment,
            lambda: layout_create(
                environment=environment,
                actor=actor,
                name="Plain",
                identifier="plain",
                html=HTML,
                is_default=False,
            ),
        ),
        paused,
    )

    assert outcomes["second"].name == "Plain"
    # Not left without a default: the create saw the delete and made its layout the default.
    assert defaults(tenant.development) == ["Plain"]


# What the locks must not miss on any database: a layout loaded before another request changed
# it is read again once the lock is held.


def test_make_default_of_a_layout_deleted_meanwhile_is_a_message_not_a_500(
    client, login, tenant, monkeypatch
):
    made = layouts(tenant.development, "Receipt", "Plain", default="Receipt")

    def loaded_then_deleted(*, pk):
        layout = Layout.objects.get(pk=pk)
        Layout.unscoped_across_environments.filter(pk=pk).delete()  # by another request
        return layout

    monkeypatch.setattr("branding.views.layout_get", loaded_then_deleted)
    login(tenant.editor.user)
    response = client.post(tenant.url(tenant.development, f"layouts/{made['Plain'].pk}/default/"))
    assert response.status_code == 409
    assert "“Plain” was deleted meanwhile." in response.content.decode()
    assert defaults(tenant.development) == ["Receipt"]


def test_saving_a_layout_that_became_the_default_meanwhile_keeps_it_the_default(tenant):
    made = layouts(tenant.development, "Receipt", "Plain", default="Receipt")
    loaded = Layout.unscoped_across_environments.get(pk=made["Plain"].pk)  # not the default
    with environment_scope(tenant.development):
        layout_make_default(layout=made["Plain"], actor=tenant.admin.user)
        with pytest.raises(ValidationError, match="Make another layout the default instead"):
            layout_update(
                layout=loaded,
                name="Plain",
                identifier="plain",
                html=HTML,
                is_default=False,
                actor=tenant.editor.user,
            )
    assert defaults(tenant.development) == ["Plain"]


def test_deleting_a_layout_that_became_the_default_meanwhile_is_refused(tenant):
    made = layouts(tenant.development, "Receipt", "Plain", default="Receipt")
    loaded = Layout.unscoped_across_environments.get(pk=made["Plain"].pk)  # not the default
    with environment_scope(tenant.development):
        layout_make_default(layout=made["Plain"], actor=tenant.admin.user)
        with pytest.raises(ValidationError, match="“Plain” is the default layout"):
            layout_delete(layout=loaded, actor=tenant.editor.user)
    assert defaults(tenant.development) == ["Plain"]


def test_saving_a_layout_deleted_meanwhile_does_not_bring_it_back(tenant):
    made = layouts(tenant.development, "Receipt", "Plain", default="Receipt")
    loaded = Layout.unscoped_across_environments.get(pk=made["Plain"].pk)
    Layout.unscoped_across_environments.filter(pk=loaded.pk).delete()
    with (
        environment_scope(tenant.development),
        pytest.raises(ValidationError, match="“Plain” was deleted meanwhile"),
    ):
        layout_update(
            layout=loaded,
            name="Plain again",
            identifier="plain",
            html=HTML,
            is_default=False,
            actor=tenant.editor.user,
        )
    assert not Layout.unscoped_across_environments.filter(pk=loaded.pk).exists()


def test_deleting_a_layout_twice_is_no_error(tenant):
    made = layouts(tenant.development, "Receipt", "Plain", default="Receipt")
    loaded = Layout.unscoped_across_environments.get(pk=made["Plain"].pk)
    with environment_scope(tenant.development):
        layout_delete(layout=made["Plain"], actor=tenant.editor.user)
        layout_delete(layout=loaded, actor=tenant.editor.user)  # a second click, say
    assert defaults(tenant.development) == ["Receipt"]
    assert list(Layout.unscoped_across_environments.values_list("name", flat=True)) == ["Receipt"]
