"""Trending: upvotes and their momentum decayed by age, plus the momentum of the paper's code.

    score = (votes + upvotes gained + star weight × log(1 + stars gained) + code bonus)
            / (1 + age in days) ** gravity

votes: upvotes cast here plus those imported from Hugging Face (Paper.objects.with_votes(), the count
every page shows); upvotes gained: the Hugging Face upvotes the paper gained in the last
PAPERTIDE_TRENDING_UPVOTE_DAYS days (its upvote series, community.upvotes), so a paper still climbing
rises; stars gained: the stars its GitHub repository gained in the last PAPERTIDE_STAR_VELOCITY_DAYS days
(catalog.github, the hottest of its repositories), logarithmic since gains span orders of magnitude,
weighted by PAPERTIDE_TRENDING_STAR_WEIGHT; a loss of either counts as no gain (catalog.series holds the
rule of a gain); code bonus: PAPERTIDE_TRENDING_CODE_BONUS when the paper links to code (GitHub, another
code host or Hugging Face), else 0; age: days since the paper entered the daily list (its latest entry in
the window); gravity: PAPERTIDE_TRENDING_GRAVITY. Papers of the last PAPERTIDE_TRENDING_DAYS days take
part. Every number is shown on the trending page, so each position can be checked by hand.
"""

import math
import time as clock
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from papertide.caches import ProcessCache
from papertide.catalog.github import paper_star_gains
from papertide.catalog.models import CodeLink

from .changes import CACHE_SECONDS, community_state
from .models import DailyEntry
from .upvotes import upvote_gains

CODE_KINDS = CodeLink.CODE_KINDS


def age_days(day, now: datetime) -> float:
    """Days since the start of the day a paper entered the daily list."""
    return max((now - datetime.combine(day, time.min, tzinfo=now.tzinfo)).total_seconds() / 86400, 0.0)


def code_bonus(has_code: bool) -> float:
    return settings.PAPERTIDE_TRENDING_CODE_BONUS if has_code else 0.0


def star_term(stars_gained: int) -> float:
    """What a repository's recent stars add: the weight times log(1 + stars gained), a loss as none."""
    return settings.PAPERTIDE_TRENDING_STAR_WEIGHT * math.log1p(max(stars_gained, 0))


def score(
    votes: int, bonus: float, age: float, gravity: float, upvotes_gained: int = 0, stars: float = 0.0
) -> float:
    """The formula above; `stars` is the star term (star_term of the stars gained)."""
    return (votes + max(upvotes_gained, 0) + stars + bonus) / (1 + age) ** gravity


class Momentum(NamedTuple):
    upvotes_gained: int
    stars_gained: int

    @property
    def stars(self) -> float:
        return star_term(self.stars_gained)


def momentum(paper_ids: Iterable[int], now: datetime) -> dict[int, Momentum]:
    """Each paper's recent Hugging Face upvotes and its repository's recent stars: two queries."""
    ids = list(paper_ids)
    upvotes = upvote_gains(ids, now, settings.PAPERTIDE_TRENDING_UPVOTE_DAYS)
    stars = paper_star_gains(ids, now, settings.PAPERTIDE_STAR_VELOCITY_DAYS)
    return {i: Momentum(max(upvotes.get(i, 0), 0), max(stars.get(i, 0), 0)) for i in ids}


@dataclass
class Trend:
    entry: DailyEntry
    local_votes: int
    imported_votes: int
    code_bonus: float
    age_days: float
    gravity: float
    upvotes_gained: int = 0
    stars_gained: int = 0

    @property
    def paper(self):
        return self.entry.paper

    @property
    def votes(self) -> int:
        return self.local_votes + self.imported_votes

    @property
    def star_term(self) -> float:
        return star_term(self.stars_gained)

    @property
    def score(self) -> float:
        return score(
            self.votes, self.code_bonus, self.age_days, self.gravity, self.upvotes_gained, self.star_term
        )


class Ranked(NamedTuple):
    """One paper's place in the ranking, from plain rows: building 753 model objects cost 30 ms a page."""

    score: float
    votes: int
    arxiv_id: str
    entry_id: int
    paper_id: int
    local_votes: int
    imported_votes: int
    code_bonus: float
    age_days: float
    upvotes_gained: int
    stars_gained: int


class Ranking(NamedTuple):
    """The whole ranking and its generation: a number that changes whenever the ranking is recomputed,
    so that a page rendered from it can be kept until then (see the trending page's fragment cache).
    `as_of` is set when nothing entered the daily list in the window up to now: the ranking is then the
    one at the end of the daily list's latest day (an instance fed from files, or a quiet one, shows what
    was trending when it last heard, rather than nothing)."""

    generation: int
    ranked: list[Ranked]
    as_of: date | None = None


# One value, (what it was computed from, the ranking), kept CACHE_SECONDS by the wall clock: the decay
# depends on it, and tests that travel in time move it. One key, so a new state replaces the old one.
_ranking = ProcessCache("trending ranking", ttl=CACHE_SECONDS, clock=clock.time)


def _scores(now: datetime, since=None, until=None) -> list[Ranked]:
    """Every paper listed from since to until (default: the trending window up to now), best first. A
    paper's votes are the same on each of its entries, so its best entry is its latest: the one kept."""
    since = since or (now - timedelta(days=settings.PAPERTIDE_TRENDING_DAYS)).date()
    has_code = CodeLink.objects.filter(paper=OuterRef("paper"), kind__in=CODE_KINDS)
    rows = (
        DailyEntry.objects.between(since, until or now.date())
        .with_votes()
        .annotate(has_code=Exists(has_code))
        .values_list("id", "paper_id", "paper__arxiv_id", "day", "local_votes", "imported_votes", "has_code")
    )
    gravity = settings.PAPERTIDE_TRENDING_GRAVITY
    rows = list(rows)
    moving = momentum([row[1] for row in rows], now)
    ranked = []
    for entry_id, paper_id, arxiv_id, day, local, imported, coded in rows:
        age, code = age_days(day, now), code_bonus(coded)
        votes = local + imported
        gained = moving[paper_id]
        value = score(votes, code, age, gravity, gained.upvotes_gained, gained.stars)
        ranked.append(Ranked(value, votes, arxiv_id, entry_id, paper_id, local, imported, code, age, *gained))
    return sorted(ranked, key=lambda r: (-r.score, -r.votes, r.arxiv_id))


def ranking() -> Ranking:
    """The ranking, kept per process for CACHE_SECONDS while no vote, entry or code link changes: a new
    vote shows at once, the clock's decay within seconds."""
    now = timezone.now()
    state = (
        community_state(),
        settings.PAPERTIDE_TRENDING_DAYS,
        settings.PAPERTIDE_TRENDING_GRAVITY,
        settings.PAPERTIDE_TRENDING_CODE_BONUS,
        settings.PAPERTIDE_TRENDING_STAR_WEIGHT,
        settings.PAPERTIDE_TRENDING_UPVOTE_DAYS,
        settings.PAPERTIDE_STAR_VELOCITY_DAYS,
        now.date(),
    )
    ranked, as_of = _ranking.current("ranking", state, lambda: _current(now))
    return Ranking(_ranking.generation, ranked, as_of)


def _current(now: datetime) -> tuple[list[Ranked], date | None]:
    """The ranking now; or, when nothing was listed in the window, as of the end of the latest day listed."""
    ranked = _scores(now)
    if ranked:
        return ranked, None
    latest = DailyEntry.objects.latest_day()
    if latest is None or latest >= now.date():
        return ranked, None
    then = datetime.combine(latest + timedelta(days=1), time.min, tzinfo=now.tzinfo)
    return _scores(then), latest


def trending_between(since, until, now: datetime, limit: int) -> list[Trend]:
    """The top papers of the daily lists of a period (a digest's), scored as of now."""
    return trends_of(_scores(now, since, until)[:limit])


def trends_of(top: list[Ranked]) -> list[Trend]:
    """The breakdowns of these ranked papers, with their entries and papers: one query."""
    entries = DailyEntry.objects.select_related("paper", "submitted_by").in_bulk([r.entry_id for r in top])
    gravity = settings.PAPERTIDE_TRENDING_GRAVITY
    trends = []
    for row in top:
        entry = entries.get(row.entry_id)
        if entry is not None:
            # As DailyEntry.objects.with_votes() has them, for whatever shows the entry (the feeds).
            entry.local_votes, entry.imported_votes = row.local_votes, row.imported_votes
            entry.upvotes = row.votes
            trends.append(
                Trend(
                    entry,
                    row.local_votes,
                    row.imported_votes,
                    row.code_bonus,
                    row.age_days,
                    gravity,
                    row.upvotes_gained,
                    row.stars_gained,
                )
            )
    return trends


def trending(limit: int = 50) -> list[Trend]:
    """The top papers with their breakdowns."""
    return trends_of(ranking().ranked[:limit])
