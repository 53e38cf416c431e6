import json
import zlib
from hashlib import sha256

from django.db import migrations, models


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def compress_documents(apps, schema_editor):
    """History keeps both documents compressed, and the hash of the one written (what a revert
    compares the entity with)."""
    PromotionItem = apps.get_model("changes", "PromotionItem")
    batch = []
    for item in PromotionItem.objects.order_by("pk").iterator(chunk_size=500):
        if item.document is not None:
            text = _canonical(item.document)
            item.document_data = zlib.compress(text.encode(), 1)
            item.content_hash = int.from_bytes(sha256(text.encode()).digest()[:8], "big", signed=True)
        if item.prior_document is not None:
            item.prior_document_data = zlib.compress(_canonical(item.prior_document).encode(), 1)
        batch.append(item)
        if len(batch) == 500:
            PromotionItem.objects.bulk_update(
                batch, ["document_data", "prior_document_data", "content_hash"]
            )
            batch = []
    if batch:
        PromotionItem.objects.bulk_update(
            batch, ["document_data", "prior_document_data", "content_hash"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0002_promotion_actor_name_api_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="promotionitem",
            name="content_hash",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="promotionitem",
            name="document_data",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="promotionitem",
            name="prior_document_data",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.RunPython(compress_documents, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(
            model_name="promotionitem",
            name="document",
        ),
        migrations.RemoveField(
            model_name="promotionitem",
            name="prior_document",
        ),
    ]
