"""Create the database cache table (CACHES in settings), so that `migrate` alone prepares a
fresh database: `make run`, tests and deployments need no extra `createcachetable` step.

Here because the sign-up throttle is the first thing that needs a cache shared by every web
process. `createcachetable` skips tables that exist and caches that are not in the database
(CACHE_URL pointing at redis or memcached). After renaming the table in CACHE_URL, run
`manage.py createcachetable` once.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = []

    operations = [
        # Not reversed: the table holds only expiring counters and may serve other caches.
        migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=False),
    ]
