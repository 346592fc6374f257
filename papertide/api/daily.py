"""GET /api/daily_papers and GET /api/papers/{id}: Hugging Face's shapes, read by huggingface_hub."""

from datetime import UTC, datetime, time
from typing import Literal

from django.conf import settings
from django.db.models import Count, Max, Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from papertide.catalog.ids import InvalidArxivId, parse_arxiv_id
from papertide.catalog.models import CodeLink, Paper
from papertide.community import periods, services, trending
from papertide.community.models import DailyEntry

from .serializers import iso, paper_json
from .writes import TokenAuth

router = Router(tags=["daily papers"])


class DailyParams(Schema):
    date: str | None = Field(None, description="a day, YYYY-MM-DD (default: the latest day with papers)")
    week: str | None = Field(None, description="an ISO week, YYYY-Www")
    month: str | None = Field(None, description="a month, YYYY-MM")
    submitter: str | None = Field(None, max_length=150, description="user name of the submitter")
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
        latest = DailyEntry.objects.aggregate(day=Max("day"))["day"]
        return periods.day(latest) if latest else None
    try:
        return periods.parse(*chosen[0])
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None


def _entries(period: periods.Period, submitter: str | None):
    entries = (
        DailyEntry.objects.filter(day__range=(period.start, period.end))
        .select_related("paper", "submitted_by")
        .annotate(local_votes=Count("paper__votes"))
        .prefetch_related(Prefetch("paper__code_links", queryset=CodeLink.objects.order_by("position")))
    )
    if submitter:
        entries = entries.filter(submitted_by__username=submitter)
    return list(entries)


def entry_json(entry: DailyEntry) -> dict:
    paper = entry.paper
    paper.imported_upvotes = entry.imported_upvotes
    data = paper_json(paper)
    data["upvotes"] = entry.local_votes + entry.imported_upvotes
    submitted = iso(datetime.combine(entry.day, time.min, tzinfo=UTC))
    item = {"paper": data, "publishedAt": submitted, "title": data["title"], "summary": data["summary"]}
    item["numComments"] = 0
    item["submitter"] = entry.submitted_by.username if entry.submitted_by else None
    item["source"] = entry.source
    return item


@router.get("/daily_papers", summary="The daily list (Hugging Face compatible)")
def daily_papers(request, params: Query[DailyParams]):
    period = _period(params)
    if period is None:
        return []
    entries = _entries(period, params.submitter)
    if params.sort == "trending":
        now, gravity = timezone.now(), settings.PAPERTIDE_TRENDING_GRAVITY

        def rank(entry):
            coded = any(link.kind in CodeLink.CODE_KINDS for link in entry.paper.code_links.all())
            votes = entry.local_votes + entry.imported_upvotes
            return -trending.score(
                votes, trending.code_bonus(coded), trending.age_days(entry.day, now), gravity
            )

        entries.sort(key=lambda e: (rank(e), e.paper.arxiv_id))
    else:
        entries.sort(
            key=lambda e: (-e.day.toordinal(), -(e.local_votes + e.imported_upvotes), e.paper.arxiv_id)
        )
    page = entries[params.p * params.limit : (params.p + 1) * params.limit]
    return [entry_json(entry) for entry in page]


@router.get("/papers/{path:arxiv_id}", summary="One paper (Hugging Face compatible)")
def paper_info(request, arxiv_id: str):
    try:
        arxiv_id = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId as exc:
        raise HttpError(400, str(exc)) from None
    paper = get_object_or_404(
        Paper.objects.annotate(
            imported_upvotes=Max("daily_entries__imported_upvotes"), local_votes=Count("votes", distinct=True)
        ).prefetch_related(Prefetch("code_links", queryset=CodeLink.objects.order_by("position"))),
        arxiv_id=arxiv_id,
    )
    data = paper_json(paper)
    data["upvotes"] = (paper.imported_upvotes or 0) + paper.local_votes
    return data


class Submission(Schema):
    paper: str = Field(..., max_length=200, description="an arXiv id or URL")


# Beside the GET of the same path: one router holds both methods of /daily_papers.
@router.post("/daily_papers", auth=TokenAuth(), summary="Submit a paper to today's list (token)")
def submit(request, body: Submission):
    try:
        entry = services.submit(request.user, body.paper)
    except services.Refused as exc:
        raise HttpError(400, str(exc)) from None
    return {"paper": entry.paper.arxiv_id, "day": entry.day.isoformat(), "submitter": request.user.username}
