from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from changes.documents import content_hashes_check, hash_hex


class Command(BaseCommand):
    help = (
        "Recompute the content hash of every promotable row and compare it with the stored one. "
        "--verify exits non-zero when any differs; --fix stores the recomputed hashes."
    )

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument(
            "--verify", action="store_true", help="Report wrong hashes; change nothing."
        )
        mode.add_argument(
            "--fix", action="store_true", help="Store the right hash where it differs."
        )

    def handle(self, *args, verify=False, fix=False, **options):
        with transaction.atomic():
            mismatches = content_hashes_check(fix=fix)
        for mismatch in mismatches:
            self.stdout.write(
                f"{mismatch.type_key} {mismatch.pk} “{mismatch.name}” (environment "
                f"{mismatch.environment_id}): stored {hash_hex(mismatch.stored)}, "
                f"document {hash_hex(mismatch.computed)}"
            )
        if fix:
            self.stdout.write(f"Fixed {len(mismatches)} content hash(es).")
            return
        if mismatches:
            raise CommandError(f"{len(mismatches)} content hash(es) do not match their documents.")
        self.stdout.write("Every content hash matches its document.")
