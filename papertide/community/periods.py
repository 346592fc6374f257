"""Periods of the daily list: a day, an ISO week or a month, with the ones before and after."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

# How each kind of period is written (2024-04-05, 2024-W14, 2024-04): parse() holds a slug to these, and the
# API's schema shows them as its parameters' patterns. ASCII digits only, as JSON Schema reads \d.
PATTERNS = {
    "day": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "week": r"^[0-9]{4}-W[0-9]{2}$",
    "month": r"^[0-9]{4}-[0-9]{2}$",
}


@dataclass(frozen=True)
class Period:
    kind: str  # day, week or month
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.start.strftime("%-d %B %Y")
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"week {week} of {year} ({self.start:%-d %b} to {self.end:%-d %b})"
        return self.start.strftime("%B %Y")

    @property
    def slug(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return self.start.strftime("%Y-%m")

    @property
    def url(self) -> str:
        from django.urls import reverse

        return reverse(f"daily-{self.kind}", args=[self.slug])

    def as_kind(self, kind: str) -> "Period":
        """The day, week or month that holds this period's first day."""
        return {"day": day, "week": week_of, "month": month_of}[kind](self.start)

    def shifted(self, step: int) -> "Period":
        if self.kind == "day":
            return day(self.start + timedelta(days=step))
        if self.kind == "week":
            return week_of(self.start + timedelta(weeks=step))
        month = self.start.month - 1 + step
        return month_of(date(self.start.year + month // 12, month % 12 + 1, 1))


def day(value: date) -> Period:
    return Period("day", value, value)


def week_of(value: date) -> Period:
    start = value - timedelta(days=value.weekday())
    return Period("week", start, start + timedelta(days=6))


def month_of(value: date) -> Period:
    start = value.replace(day=1)
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return Period("month", start, following - timedelta(days=1))


def parse(kind: str, text: str) -> Period:
    """A period from its slug (2024-04-05, 2024-W14, 2024-04); ValueError says what is wrong."""
    try:
        if kind not in PATTERNS or not re.fullmatch(PATTERNS[kind], text):
            raise ValueError(text)
        if kind == "day":
            return day(date.fromisoformat(text))
        if kind == "week":
            year, week = text.split("-W")
            return week_of(date.fromisocalendar(int(year), int(week), 1))
        if kind == "month":
            year, month = text.split("-")
            return month_of(date(int(year), int(month), 1))
    except (ValueError, OverflowError):  # OverflowError: a week that would end after 9999-12-31
        pass
    examples = {"day": "2024-04-05", "week": "2024-W14", "month": "2024-04"}
    raise ValueError(f"{text!r} is not a {kind} (expected e.g. {examples.get(kind, '2024-04-05')})")
