from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from activity.retention import activity_prune


class Command(BaseCommand):
    help = (
        "Delete activity (triggers, notifications, jobs, messages, execution logs) older than "
        "ACTIVITY_RETENTION_DAYS, in small batches that never lock a table. Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep this many days instead of ACTIVITY_RETENTION_DAYS.",
        )
        parser.add_argument("--batch-size", type=int, default=5_000, help="Rows per statement.")
        parser.add_argument(
            "--pause", type=float, default=0.0, help="Seconds to wait between statements."
        )

    def handle(self, *, days, batch_size, pause, **options):
        days = settings.ACTIVITY_RETENTION_DAYS if days is None else days
        if days < 1 or batch_size < 1 or pause < 0:
            raise CommandError("--days and --batch-size must be at least 1, --pause at least 0.")
        cutoff = timezone.now() - timedelta(days=days)
        self.stdout.write(f"Deleting activity created before {cutoff:%Y-%m-%d %H:%M} UTC.")
        activity_prune(
            older_than=cutoff,
            batch_size=batch_size,
            pause=pause,
            progress=lambda name, count: self.stdout.write(f"  {name}: {count} deleted"),
        )
