"""The daily housekeeping job: rows that only grow and that nobody needs any more."""

from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session

from papertide.accounts.models import RateBucket
from papertide.search.embedding import forget_expired_claims

from .models import WorkerHeartbeat

# A heartbeat that old is a worker that is gone (stopped or moved): kept a while for the operator's view.
HEARTBEAT_KEPT = timedelta(days=7)


def housekeeping_job(*, now: datetime, should_stop: Callable[[], bool], write: Callable[[str], None]) -> str:
    buckets = RateBucket.prune(now)  # full again: the same as no row at all
    sessions = (
        Session.objects.filter(expire_date__lt=now).count()
        if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
        else 0
    )
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    heartbeats = WorkerHeartbeat.objects.filter(seen_at__lt=now - HEARTBEAT_KEPT).delete()[0]
    claims = forget_expired_claims(now)
    return (
        f"pruned {buckets:,} refilled rate-limit buckets, {sessions:,} expired sessions, "
        f"{heartbeats:,} old worker heartbeats, {claims:,} expired embedding claims"
    )
