import time

from django.core.management.base import BaseCommand

from activity.recovery import work_recover


class Command(BaseCommand):
    help = (
        "Put pipeline tasks that failed, or whose worker died, back in the queue (a bounded "
        "number of times), and fail jobs interrupted while sending. Workers also do this as "
        "they finish tasks; run this from cron, or with --every, so it happens when idle too."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="Keep running, sweeping every this many seconds (default: sweep once).",
        )

    def handle(self, *, every, **options):
        while True:
            report = work_recover()
            self.stdout.write(
                f"{report.requeued} tasks enqueued again, {report.abandoned} given up, "
                f"{report.interrupted} interrupted jobs failed."
            )
            if not every:
                return
            time.sleep(every)
