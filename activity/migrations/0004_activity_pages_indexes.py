"""Indexes the Activity pages need beyond those declared in activity/models.py.

The chart counts the triggers of the last days (today's, with the past days cached): without an
index on (environment, created_at) that is a scan of the whole trigger table. On PostgreSQL the
index carries the status too, so the count by day and status reads the index alone.

Created with SQL that Django's model state does not track, so models.py stays as it is; when
the models declare it (``Index(fields=["environment", "created_at"], include=["status"],
name="trigger_by_day")``), replace this migration with that declaration.
"""

from django.db import migrations

INDEX = "trigger_by_day"


def create(apps, schema_editor):
    include = " INCLUDE (status)" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON activity_trigger (environment_id, created_at)"
        + include
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("activity", "0003_big_tables_without_environment_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
