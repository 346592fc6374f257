"""When a subscription's digest is due, and which announcement days it covers.

A digest is due at the subscriber's local hour on a send day: every day, Monday to Friday, or Mondays
(weekly). It covers the announcement days since the previous send day, up to the day before: a weekday
digest on Monday covers Friday to Sunday, a weekly one the seven days before. When the sender was stopped
for a while, the next digest also covers the days it missed (up to CATCH_UP_DAYS), so a gap is never
silent; it does not send one digest per missed day.

Its new papers are those the catalog first saw from the previous digest's send time up to this one's
(new_papers_window): a paper harvested late, after the digest of its announcement day went out, is in the
next digest, and the windows of one subscriber's digests follow each other without gap or overlap, so each
new paper is considered once.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .models import Subscription

CATCH_UP_DAYS = 7


@dataclass(frozen=True)
class Due:
    due_on: date  # the subscriber's local send day
    due_at: datetime
    period_start: date
    period_end: date


def send_day(subscription: Subscription, now: datetime) -> date:
    """The latest send day whose hour has come, in the subscriber's time zone."""
    local = now.astimezone(subscription.zone)
    day = local.date() if local.hour >= subscription.hour else local.date() - timedelta(days=1)
    if subscription.frequency == Subscription.WEEKDAYS:
        while day.weekday() >= 5:
            day -= timedelta(days=1)
    elif subscription.frequency == Subscription.WEEKLY:
        day -= timedelta(days=day.weekday())
    return day


def normal_start(subscription: Subscription, day: date) -> date:
    if subscription.frequency == Subscription.WEEKLY:
        return day - timedelta(days=7)
    if subscription.frequency == Subscription.WEEKDAYS and day.weekday() == 0:
        return day - timedelta(days=3)
    return day - timedelta(days=1)


def latest_due(subscription: Subscription, now: datetime, last_end: date | None = None) -> Due | None:
    """The digest due by now, or None before the first send time after the address was confirmed.
    last_end: the last day covered by the subscription's previous digest, if any."""
    if not subscription.receives:
        return None
    day = send_day(subscription, now)
    due_at = datetime.combine(day, time(subscription.hour), tzinfo=subscription.zone)
    if subscription.confirmed_at is None or due_at < subscription.confirmed_at:
        return None  # nothing for before they subscribed
    start, end = normal_start(subscription, day), day - timedelta(days=1)
    if last_end is not None:
        if last_end >= end:
            return None  # this period (or a later one) is already planned
        start = max(min(start, last_end + timedelta(days=1)), end - timedelta(days=CATCH_UP_DAYS - 1))
    return Due(day, due_at, start, end)


def new_papers_window(
    subscription: Subscription, period_start: date, due_at: datetime, previous_due_at: datetime | None
) -> tuple[datetime, datetime]:
    """From the send time of the subscription's previous digest (without one: the send time on the
    period's first day, which is the previous send day) to this digest's send time."""
    if previous_due_at is None:
        previous_due_at = datetime.combine(period_start, time(subscription.hour), tzinfo=subscription.zone)
    return previous_due_at, due_at
