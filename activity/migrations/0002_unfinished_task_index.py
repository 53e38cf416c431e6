from django.db import migrations

# The recovery sweep (activity.recovery) looks for pipeline tasks that failed or whose worker
# died, and marks each one it handles. This partial index holds only those rows, so the sweep
# reads a handful of index entries however many finished tasks the table keeps. The table is
# django-tasks-db's; the index is Herald's and goes with this migration.
INDEX = "activity_unhandled_task"
TABLE = "django_tasks_database_dbtaskresult"


class Migration(migrations.Migration):
    dependencies = [
        ("activity", "0001_initial"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                f"CREATE INDEX {INDEX} ON {TABLE} (started_at) "
                "WHERE status IN ('RUNNING', 'FAILED') AND return_value IS NULL"
            ),
            reverse_sql=f"DROP INDEX {INDEX}",
        ),
    ]
