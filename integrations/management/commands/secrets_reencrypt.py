"""Re-encrypt every stored secret under the newest key of FIELD_ENCRYPTION_KEYS: integration
credentials and environments' client-side HMAC secrets.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), deploy,
run this command, then remove the old keys. Safe to run again; each row is rewritten in its
own short transaction, so it can run while Herald serves.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from environments.models import Environment
from environments.secrets import EncryptionKeysMissing, SecretUnreadable, secret_token_rotate
from integrations.models import Integration

BATCH_SIZE = 200


class Command(BaseCommand):
    help = "Re-encrypt all stored secrets under the newest FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        # Maintenance across every environment: the unscoped managers, on purpose.
        holders = [
            ("integration credentials", Integration.unscoped_across_environments,
             "credentials_ciphertext"),
            ("environment HMAC secrets", Environment.objects, "client_hmac_secret"),
        ]  # fmt: skip
        unreadable = []
        for label, manager, field in holders:
            rewritten = 0
            rows = manager.exclude(**{field: ""})
            last_pk = 0
            while batch := list(
                rows.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]
            ):
                last_pk = batch[-1]
                for pk in batch:
                    try:
                        rewritten += self._rotate(manager, field, pk)
                    except SecretUnreadable:
                        unreadable.append(f"{manager.model._meta.verbose_name} {pk}")
                    except EncryptionKeysMissing as missing:
                        raise CommandError(str(missing)) from missing
            self.stdout.write(f"Re-encrypted {rewritten} {label}.")
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} secret(s) that none of the keys decrypt "
                f"({', '.join(unreadable)}): put their key back in FIELD_ENCRYPTION_KEYS and run "
                "this again, or enter them anew."
            )

    @staticmethod
    @transaction.atomic
    def _rotate(manager, field: str, pk: int) -> int:
        row = manager.select_for_update().filter(pk=pk).first()
        if row is None or not getattr(row, field):
            return 0
        setattr(row, field, secret_token_rotate(getattr(row, field)))
        row.save(update_fields=[field])
        return 1
