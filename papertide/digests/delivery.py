"""Sending digests exactly once: plan the outbox, claim rows, compose, send through SMTP, record.

1. plan(): one outbox row (Digest) per subscription and period, made by bulk insert that ignores rows
   already there; the unique (subscription, due_on) constraint makes a second planner or a rerun a no-op.
2. claim(): a batch of due rows goes from pending to sending under this worker's claim token by a
   conditional UPDATE (WHERE state = pending), so two workers never hold the same row; on PostgreSQL the
   candidate rows are picked with FOR UPDATE SKIP LOCKED, so workers do not even wait for each other.
3. Each message goes out on one SMTP connection; right after the server accepts it (250), one
   transaction marks the row sent (only while this worker still holds the claim) and records the papers
   as delivered to that reader, who never receives them again.

Failures: a 4xx reply or a dropped connection is temporary: the row goes back to pending and is retried
with doubling delays (PAPERTIDE_DIGEST_RETRY_SECONDS, then 2x, 4x, ...) up to PAPERTIDE_DIGEST_MAX_ATTEMPTS
tries. A 5xx reply is permanent: the row is marked failed with the server's words, and after
PAPERTIDE_DIGEST_MAX_BOUNCES permanent failures in a row the subscription is paused.

A worker that dies leaves its claimed rows in "sending"; after PAPERTIDE_DIGEST_LEASE_SECONDS any worker
puts them back to pending (recover()). The one window that can repeat a message is a worker dying after
the SMTP server accepted a message and before the sent mark commits: a few milliseconds per message. A
repeat then carries the same Message-ID, which many mail clients use to hide duplicates (docs/digests.md).
"""

import logging
import smtplib
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Max, OuterRef, Prefetch, Subquery
from django.urls import reverse
from django.utils import timezone

from papertide import emails
from papertide.library.models import Interest

from . import schedule, tokens
from .compose import Period, compose, recommendations
from .models import Delivered, Digest, Subscription

log = logging.getLogger("papertide.digests")
KEEP_PERIODS = 8  # periods kept in memory during a run (subscribers in other time zones and frequencies)


@dataclass
class Report:
    planned: int = 0
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"planned {self.planned:,}, sent {self.sent:,}, skipped {self.skipped:,} (empty), "
            f"retrying {self.retried:,}, failed {self.failed:,}, recovered {self.recovered:,}"
        )


def plan(now: datetime) -> int:
    """Make the outbox rows of every digest due by now; returns how many were new."""
    last_end = dict(
        Digest.objects.values("subscription")
        .annotate(end=Max("period_end"))
        .values_list("subscription", "end")
    )
    rows = []
    for subscription in Subscription.objects.filter(state=Subscription.ACTIVE, confirmed_at__isnull=False):
        due = schedule.latest_due(subscription, now, last_end.get(subscription.pk))
        if due is not None:
            rows.append(
                Digest(
                    subscription=subscription,
                    due_on=due.due_on,
                    due_at=due.due_at,
                    period_start=due.period_start,
                    period_end=due.period_end,
                    next_attempt_at=due.due_at,
                )
            )
    before = Digest.objects.count()
    Digest.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return Digest.objects.count() - before


def recover(now: datetime) -> int:
    """Rows left in "sending" by a worker that died: back to pending once their lease has run out."""
    expired = now - timedelta(seconds=settings.PAPERTIDE_DIGEST_LEASE_SECONDS)
    return Digest.objects.filter(state=Digest.SENDING, claimed_at__lt=expired).update(
        state=Digest.PENDING, claimed_by="", claimed_at=None
    )


def claim(worker: str, now: datetime, limit: int) -> list[Digest]:
    """Take up to `limit` due rows for this worker. Only rows this worker's conditional update moved are
    returned, whoever else is claiming at the same time."""
    with transaction.atomic():
        candidates = Digest.objects.filter(state=Digest.PENDING, next_attempt_at__lte=now).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        Digest.objects.filter(id__in=ids, state=Digest.PENDING).update(
            state=Digest.SENDING, claimed_by=worker, claimed_at=now
        )
    return list(
        Digest.objects.filter(claimed_by=worker, state=Digest.SENDING)
        .select_related("subscription")
        .prefetch_related(  # one query each for the batch, not one per digest
            "subscription__searches",
            Prefetch(
                "subscription__user__interests",
                queryset=Interest.objects.filter(in_digest=True, weights__isnull=False).defer("weights"),
                to_attr="digest_interests",
            ),
        )
        .order_by("id")
    )


def _mine(digest: Digest, worker: str):
    return Digest.objects.filter(pk=digest.pk, claimed_by=worker, state=Digest.SENDING)


def link(name: str, subscription: Subscription, purpose: str, request=None) -> str:
    """An absolute signed link: from the request when there is one, else from PAPERTIDE_SITE_URL."""
    path = reverse(name, args=[tokens.make(subscription, purpose)])
    return request.build_absolute_uri(path) if request else settings.PAPERTIDE_SITE_URL.rstrip("/") + path


def message_for(digest: Digest, sections, period: Period) -> EmailMultiAlternatives:
    subscription = digest.subscription
    blocks = period.blocks([e.paper_id for s in sections for e in s.entries])
    context = {
        "site_url": settings.PAPERTIDE_SITE_URL.rstrip("/"),
        "digest": digest,
        "count": sum(len(s.entries) for s in sections),
        "sections": [
            (s.title, [(blocks[e.paper_id], e.why) for e in s.entries if e.paper_id in blocks], s.link)
            for s in sections
        ],
        "manage": link("digest-manage", subscription, "manage"),
    }
    host = urlsplit(settings.PAPERTIDE_SITE_URL).hostname or "localhost"
    return emails.build(
        "digest",
        subscription.email,
        context,
        unsubscribe=link("digest-unsubscribe", subscription, "unsubscribe"),
        headers={
            # The same row always gets the same Message-ID: a repeat after a crash is recognisable.
            "Message-ID": f"<digest-{digest.pk}-{digest.due_on:%Y%m%d}@{host}>",
            "List-Id": f"{settings.SITE_NAME} digest <digest.{host}>",
            "Auto-Submitted": "auto-generated",
        },
    )


def _smtp_code(exc: Exception) -> int | None:
    """The SMTP reply code of a failure, or None for a dropped or refused connection."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return min(codes) if codes else None
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code
    return None


def _failed(digest: Digest, worker: str, exc: Exception, now: datetime, report: Report) -> None:
    code = _smtp_code(exc)
    error = f"{type(exc).__name__}: {exc}"[:1000]
    permanent = code is not None and code >= 500
    attempts = digest.attempts + 1
    with transaction.atomic():
        if permanent or attempts >= settings.PAPERTIDE_DIGEST_MAX_ATTEMPTS:
            if _mine(digest, worker).update(state=Digest.FAILED, attempts=attempts, last_error=error):
                report.failed += 1
            if permanent:
                Subscription.objects.filter(pk=digest.subscription_id).record_bounce(error)
        else:
            delay = settings.PAPERTIDE_DIGEST_RETRY_SECONDS * 2 ** (attempts - 1)
            if _mine(digest, worker).update(
                state=Digest.PENDING,
                attempts=attempts,
                last_error=error,
                claimed_by="",
                claimed_at=None,
                next_attempt_at=now + timedelta(seconds=delay),
            ):
                report.retried += 1
    log.warning("digest %s to %s: %s", digest.pk, digest.subscription.email, error)


def _close(mailer) -> None:
    try:
        mailer.close()
    except (smtplib.SMTPException, OSError):
        pass
    mailer.connection = None


def previous_due_at(digests: list[Digest]) -> dict[int, datetime]:
    """For each digest, the send time of its subscription's digest before it, where there is one (one query
    for the batch): where its window of new papers starts."""
    latest = (
        Digest.objects.filter(subscription=OuterRef("subscription"), due_on__lt=OuterRef("due_on"))
        .order_by("-due_on")
        .values("due_at")[:1]
    )
    return dict(
        Digest.objects.filter(pk__in=[d.pk for d in digests])
        .annotate(previous=Subquery(latest))
        .exclude(previous=None)
        .values_list("pk", "previous")
    )


def send_batch(digests: list[Digest], worker: str, now: datetime, report: Report, periods: dict) -> None:
    mailer = get_connection(fail_silently=False)
    previous = previous_due_at(digests)
    try:
        for digest in digests:
            subscription = digest.subscription
            since, until = schedule.new_papers_window(
                subscription, digest.period_start, digest.due_at, previous.get(digest.pk)
            )
            key = (digest.period_start, digest.period_end, since, until)
            if key not in periods:
                if len(periods) >= KEEP_PERIODS:
                    periods.clear()  # keep memory flat
                periods[key] = Period(digest.period_start, digest.period_end, now, since, until)
            period = periods[key]
            searches = list(subscription.searches.all())
            # The account's interests in the digest, prefetched by claim() (an address alone has none).
            interests = getattr(subscription.user, "digest_interests", [])
            for_you = recommendations(subscription.user, interests, since, until) if interests else []
            candidates = {t.entry.paper_id for t in period.trending()[: subscription.top_n * 4]}
            candidates.update(m.paper_id for search in searches for m in period.matches(search))
            candidates.update(rec.paper_id for _, recs in for_you for rec in recs)
            received = set(
                Delivered.objects.filter(subscription=subscription, paper_id__in=candidates).values_list(
                    "paper_id", flat=True
                )
            )
            sections = compose(period, subscription.top_n, searches, received, for_you)
            papers = [e.paper_id for s in sections for e in s.entries]
            if not papers and settings.PAPERTIDE_DIGEST_SKIP_EMPTY:
                if _mine(digest, worker).update(state=Digest.SKIPPED):
                    report.skipped += 1
                continue
            message = message_for(digest, sections, period)
            try:
                mailer.send_messages([message])
            except (smtplib.SMTPException, OSError) as exc:  # OSError: refused, dropped, timed out
                _close(mailer)  # the next message opens a fresh connection
                _failed(digest, worker, exc, now, report)
                continue
            with transaction.atomic():
                if _mine(digest, worker).update(
                    state=Digest.SENT,
                    sent_at=timezone.now(),
                    attempts=digest.attempts + 1,
                    papers=len(papers),
                    message_id=message.extra_headers["Message-ID"],
                    last_error="",
                ):
                    Delivered.objects.bulk_create(
                        [Delivered(subscription=subscription, paper_id=p, digest=digest) for p in papers],
                        ignore_conflicts=True,
                    )
                    if subscription.bounces:
                        Subscription.objects.filter(pk=subscription.pk).clear_bounces()
                    report.sent += 1
                else:  # another worker took the row over after our lease ran out: say so, loudly
                    log.error("digest %s was sent after its claim expired; it may be sent twice", digest.pk)
    finally:
        _close(mailer)


def send_due(
    now: datetime | None = None, batch: int | None = None, should_stop=None, progress=None
) -> Report:
    """Plan what is due, then send until nothing due is left (or should_stop() says so)."""
    now = now or timezone.now()
    started = time.monotonic()

    def clock() -> datetime:  # claims carry the time they were made, so a long run's leases stay fresh
        return now + timedelta(seconds=time.monotonic() - started)

    report = Report(planned=plan(now), recovered=recover(now))
    worker = f"{socket.gethostname()[:40]}-{uuid.uuid4().hex[:12]}"
    periods: dict = {}
    while not (should_stop and should_stop()):
        digests = claim(worker, clock(), batch or settings.PAPERTIDE_DIGEST_BATCH)
        if not digests:
            break
        send_batch(digests, worker, clock(), report, periods)
        if progress:
            progress(len(digests))
    return report
