"""Give Workflow, Step, WorkflowGroup and Feed a ``public_id``: the API's ``_id`` of a row.

Three steps, so that existing rows get distinct values: add the column nullable, give each row
its own UUID, then make it unique with its default for new rows.
"""

import uuid

from django.db import migrations, models

MODEL_NAMES = ("feed", "step", "workflow", "workflowgroup")
BATCH_SIZE = 1000


def give_each_row_its_own_public_id(apps, schema_editor):
    for model_name in MODEL_NAMES:
        model = apps.get_model("workflows", model_name)
        rows = model._base_manager.using(schema_editor.connection.alias)
        batch = []
        for row in rows.filter(public_id__isnull=True).only("pk").iterator(chunk_size=BATCH_SIZE):
            row.public_id = uuid.uuid4()
            batch.append(row)
            if len(batch) == BATCH_SIZE:
                rows.bulk_update(batch, ["public_id"])
                batch = []
        rows.bulk_update(batch, ["public_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0002_content_maximum_lengths"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name=model_name,
                name="public_id",
                field=models.UUIDField(editable=False, null=True),
            )
            for model_name in MODEL_NAMES
        ),
        migrations.RunPython(give_each_row_its_own_public_id, migrations.RunPython.noop),
        *(
            migrations.AlterField(
                model_name=model_name,
                name="public_id",
                field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
            )
            for model_name in MODEL_NAMES
        ),
    ]
