"""Throttles count in a cache that every web process shares, and no increment gets lost."""

import threading
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection


def test_counts_live_in_the_database_where_every_process_sees_them(db):
    key = f"shared-{uuid.uuid4()}"
    cache.add(key, 1, 60)
    table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        assert cursor.fetchone()[0] >= 1
    # A fresh cache object, as another process would build it, reads the same count.
    assert caches.create_connection("default").incr(key) == 2
    assert cache.get(key) == 2


def test_an_expired_or_missing_count_cannot_be_incremented(db):
    with pytest.raises(ValueError, match="not found"):
        cache.incr(f"missing-{uuid.uuid4()}")
    key = f"expired-{uuid.uuid4()}"
    cache.set(key, 1, -1)
    with pytest.raises(ValueError, match="not found"):
        cache.incr(key)


@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_all_count():
    key = f"burst-{uuid.uuid4()}"
    cache.add(key, 0, 300)
    threads_count, increments = 6, 15
    start = threading.Barrier(threads_count)
    failures = []

    def count():
        from django.db import connections

        try:
            start.wait()
            own_cache = caches.create_connection("default")
            for _ in range(increments):
                own_cache.incr(key)
        except Exception as error:  # reported below, with the thread's own error
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=count) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert failures == []
        assert cache.get(key) == threads_count * increments
    finally:
        cache.delete(key)


@pytest.mark.django_db(transaction=True)
def test_migrate_creates_the_cache_table_on_a_fresh_database():
    """`make run` and deployments only run `migrate`; nothing else creates the table."""
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    table = settings.CACHES["default"]["LOCATION"]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")
    try:
        assert table not in connection.introspection.table_names()
        executor = MigrationExecutor(connection)
        executor.migrate([("onboarding", None)])
        executor.loader.build_graph()
        executor.migrate([("onboarding", "0001_shared_cache_table")])
        assert table in connection.introspection.table_names()
    finally:
        call_command("createcachetable", verbosity=0)
