"""GET /api/daily_papers and GET /api/papers/{id}: Hugging Face's shapes, read by huggingface_hub."""

from datetime import UTC, datetime, time
from typing import Literal

from django.conf import settings
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Path, Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from papertide.catalog.ids import InvalidArxivId, parse_arxiv_id
from papertide.catalog.models import CodeLink, Paper
from papertide.community import periods, services, trending
from papertide.community.models import DailyEntry

from .errors import answers
from .params import ID_CHARS, ID_DESCRIPTION, NO_NUL, JsonBody
from .serializers import PaperOut, iso, paper_json
from .writes import TokenAuth

router = Router(tags=["daily papers"])


class DailyParams(Schema):
    date: str | None = Field(
        None,
        pattern=periods.PATTERNS["day"],
        description="a day, YYYY-MM-DD (default: the latest day with papers); one of date, week, month",
    )
    week: str | None = Field(None, pattern=periods.PATTERNS["week"], description="an ISO week, YYYY-Www")
    month: str | None = Field(None, pattern=periods.PATTERNS["month"], description="a month, YYYY-MM")
    submitter: str | None = Field(
        None, max_length=150, pattern=NO_NUL, description="user name of the submitter"
    )
    sort: Literal["publishedAt", "trending"] = "publishedAt"
    p: int = Field(0, ge=0, le=10_000, description="page, from 0")
    limit: int = Field(50, ge=1, le=100)


def _period(params: DailyParams) -> periods.Period | None:
    chosen = [
        (kind, value)
        for kind, value in (("day", params.date), ("week", params.week), ("month", params.month))
        if value
    ]
    if len(chosen) > 1:
        raise HttpError(400, "give one of date, week and month")
    if not chosen:
        latest = DailyEntry.objects.latest_day()
        return periods.day(latest) if latest else None
    try:
        return periods.parse(*chosen[0])
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None


def _entries(period: periods.Period, submitter: str | None, sort: str) -> list[DailyEntry]:
    """The period's entries, one per paper, with their votes: newest day first, each day ranked as on the
    daily page (publishedAt), or by trending score as of now."""
    entries = DailyEntry.objects.all()
    if submitter:
        entries = entries.filter(submitted_by__username=submitter)
    ranked = list(
        entries.between(period.start, period.end)
        .ranked(newest_day_first=True)
        .select_related("paper", "submitted_by")
        .prefetch_related(Prefetch("paper__code_links", queryset=CodeLink.objects.order_by("position")))
    )
    if sort == "trending":
        now, gravity = timezone.now(), settings.PAPERTIDE_TRENDING_GRAVITY
        moving = trending.momentum([entry.paper_id for entry in ranked], now)

        def rank(entry):
            coded = any(link.kind in CodeLink.CODE_KINDS for link in entry.paper.code_links.all())
            age = trending.age_days(entry.day, now)
            gained = moving[entry.paper_id]
            bonus = trending.code_bonus(coded)
            return -trending.score(entry.upvotes, bonus, age, gravity, gained.upvotes_gained, gained.stars)

        ranked.sort(key=lambda e: (rank(e), e.paper.arxiv_id))
    return ranked


class DailyItem(Schema):
    paper: PaperOut
    publishedAt: str = Field(description="the day the paper entered the list (ISO 8601, UTC midnight)")
    title: str
    summary: str
    numComments: int = Field(description="always 0: comments are not served by the API")
    submitter: str | None = Field(description="who submitted it; none for an imported entry")
    source: str = Field(description="where the entry came from: local or an imported daily list")


def entry_json(entry: DailyEntry) -> dict:
    """An entry in Hugging Face's shape; its paper's votes are the entry's (DailyEntry.with_votes())."""
    paper = entry.paper
    paper.upvotes = entry.upvotes
    data = paper_json(paper)
    submitted = iso(datetime.combine(entry.day, time.min, tzinfo=UTC))
    item = {"paper": data, "publishedAt": submitted, "title": data["title"], "summary": data["summary"]}
    item["numComments"] = 0
    item["submitter"] = entry.submitted_by.username if entry.submitted_by else None
    item["source"] = entry.source
    return item


@router.get(
    "/daily_papers", summary="The daily list (Hugging Face compatible)", **answers(list[DailyItem], 400)
)
def daily_papers(request, params: Query[DailyParams]):
    period = _period(params)
    if period is None:
        return []
    entries = _entries(period, params.submitter, params.sort)
    page = entries[params.p * params.limit : (params.p + 1) * params.limit]
    return [entry_json(entry) for entry in page]


@router.get(
    "/papers/{path:arxiv_id}", summary="One paper (Hugging Face compatible)", **answers(PaperOut, 400, 404)
)
def paper_info(request, arxiv_id: str = Path(..., max_length=ID_CHARS, description=ID_DESCRIPTION)):
    try:
        arxiv_id = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId as exc:
        raise HttpError(400, str(exc)) from None
    paper = get_object_or_404(
        Paper.objects.with_votes().prefetch_related(
            Prefetch("code_links", queryset=CodeLink.objects.order_by("position"))
        ),
        arxiv_id=arxiv_id,
    )
    return paper_json(paper)


class Submission(JsonBody):
    paper: str = Field(..., max_length=ID_CHARS, description=ID_DESCRIPTION)


class Submitted(Schema):
    paper: str = Field(description="the arXiv id")
    day: str = Field(description="today, YYYY-MM-DD")
    submitter: str


# Beside the GET of the same path: one router holds both methods of /daily_papers.
@router.post(
    "/daily_papers",
    auth=TokenAuth(),
    summary="Submit a paper to today's list (token)",
    **answers(Submitted, 400, 401, 429),
)
def submit(request, body: Submission):
    try:
        entry = services.submit(request.user, body.paper)
    except services.Refused as exc:
        raise HttpError(400, str(exc)) from None
    return {"paper": entry.paper.arxiv_id, "day": entry.day.isoformat(), "submitter": request.user.username}
