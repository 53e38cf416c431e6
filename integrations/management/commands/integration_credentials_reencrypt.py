"""Re-encrypt every integration's credentials under the newest key of FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), deploy,
run this command, then remove the old keys. Safe to run again; each row is rewritten in its
own short transaction, so it can run while Herald serves.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from integrations.encryption import (
    CredentialsKeyMissing,
    CredentialsUnreadable,
    credentials_token_rotate,
)
from integrations.models import Integration

BATCH_SIZE = 200


class Command(BaseCommand):
    help = "Re-encrypt all integration credentials under the newest FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        # Maintenance across every environment: the unscoped manager, on purpose.
        rows = Integration.unscoped_across_environments.exclude(credentials_ciphertext="")
        rewritten, unreadable = 0, []
        last_pk = 0
        while True:
            batch = list(
                rows.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]
            )
            if not batch:
                break
            last_pk = batch[-1]
            for pk in batch:
                try:
                    rewritten += self._rotate(pk)
                except CredentialsUnreadable:
                    unreadable.append(pk)
                except CredentialsKeyMissing as missing:
                    raise CommandError(str(missing)) from missing
        self.stdout.write(f"Re-encrypted the credentials of {rewritten} integration(s).")
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} integration(s) have credentials that none of the keys "
                f"decrypt (ids {', '.join(map(str, unreadable))}): put their key back in "
                "FIELD_ENCRYPTION_KEYS and run this again, or enter their credentials anew."
            )

    @staticmethod
    @transaction.atomic
    def _rotate(pk: int) -> int:
        integration = (
            Integration.unscoped_across_environments.select_for_update().filter(pk=pk).first()
        )
        if integration is None or not integration.credentials_ciphertext:
            return 0
        integration.credentials_ciphertext = credentials_token_rotate(
            integration.credentials_ciphertext
        )
        integration.save(update_fields=["credentials_ciphertext"])
        return 1
