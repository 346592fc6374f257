"""papertide digest send|status: send the digests that are due (for cron), or count the outbox."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone
from tqdm import tqdm

from papertide.digests import delivery
from papertide.digests.models import Digest


class Command(BaseCommand):
    help = (
        "Send the e-mail digests that are due (safe to run from cron and beside workers), or show the outbox."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["send", "status"])
        parser.add_argument(
            "--now", help="act as if it were this time (ISO 8601), e.g. to resend a missed run"
        )
        parser.add_argument("--batch-size", type=int, help="rows claimed at a time (PAPERTIDE_DIGEST_BATCH)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, action, now, batch_size, no_progress, **options):
        if now:
            try:
                now = datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(
                    f"--now must be an ISO 8601 time such as 2026-11-27T08:00+01:00, not {now!r}"
                ) from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        if action == "status":
            counts = dict(Digest.objects.values_list("state").annotate(n=Count("id")))
            self.stdout.write(", ".join(f"{state} {counts.get(state, 0):,}" for state, _ in Digest.STATES))
            return
        bar = tqdm(unit=" digests", disable=no_progress, desc="sending")
        try:
            report = delivery.send_due(now=now, batch=batch_size, progress=bar.update)
        finally:
            bar.close()
        self.stdout.write(str(report))
