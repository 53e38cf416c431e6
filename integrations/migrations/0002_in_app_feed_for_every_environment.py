"""Every environment has Herald's in-app feed integration (provider ``novu``), active and
primary for in-app. New environments get it when they are made (onboarding); this gives it to
the environments that existed before integrations did."""

import string
import uuid

from django.db import migrations
from django.utils import timezone
from django.utils.crypto import get_random_string


def _identifier() -> str:
    return "novu-" + get_random_string(6, string.ascii_lowercase + string.digits)


def add_in_app_feed(apps, schema_editor):
    # Base managers: maintenance across every environment, never the scoped one.
    Environment = apps.get_model("environments", "Environment")
    Integration = apps.get_model("integrations", "Integration")
    having = set(
        Integration._base_manager.filter(provider_id="novu").values_list("environment_id", flat=True)
    )
    now = timezone.now()
    Integration._base_manager.bulk_create(
        [
            Integration(
                environment_id=environment_id,
                public_id=uuid.uuid4(),
                channel="in_app",
                provider_id="novu",
                name="Herald in-app feed",
                identifier=_identifier(),
                active=True,
                primary=True,
                created_at=now,
                updated_at=now,
            )
            for environment_id in Environment._base_manager.values_list("pk", flat=True).iterator()
            if environment_id not in having
        ],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
    ]

    operations = [migrations.RunPython(add_in_app_feed, migrations.RunPython.noop)]
