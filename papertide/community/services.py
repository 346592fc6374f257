"""Submissions to the daily list and upvotes: the rules, each refusal with its reason."""

from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from papertide.catalog.ids import InvalidArxivId, parse_arxiv_id
from papertide.catalog.models import Paper
from papertide.catalog.services import ingest
from papertide.catalog.sources.arxiv_api import ArxivAPI

from .models import DailyEntry, Vote


class Refused(ValueError):
    """A submission or vote that the rules do not allow; the message says why."""


def find_or_fetch(text: str) -> Paper:
    """The paper an id or URL names, fetched from the arXiv API when the catalog lacks it."""
    try:
        arxiv_id = parse_arxiv_id(text).id
    except InvalidArxivId as exc:
        raise Refused(str(exc)) from None
    paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
    if paper is None:
        stats, _ = ingest(ArxivAPI().lookup([arxiv_id]), "arxiv-api", f"submission {arxiv_id}")
        if stats.error:
            raise Refused(
                f"arXiv could not be asked about {arxiv_id} just now ({stats.error_short}); try again later"
            )
        paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
        if paper is None:
            raise Refused(f"arXiv has no paper {arxiv_id}")
    return paper


def submit(user, text: str, today: date | None = None) -> DailyEntry:
    today = today or timezone.localdate()
    cap = settings.PAPERTIDE_SUBMIT_DAILY_CAP
    if DailyEntry.objects.filter(submitted_by=user, day=today).count() >= cap:
        raise Refused(f"you have submitted {cap} papers today, the most one person may; come back tomorrow")
    paper = find_or_fetch(text)
    published = paper.published.date() if paper.published else paper.listed_on
    max_age = settings.PAPERTIDE_SUBMIT_MAX_AGE_DAYS
    if published and (today - published).days > max_age:
        raise Refused(
            f"{paper.arxiv_id} appeared on {published:%-d %B %Y}, {(today - published).days} days ago; "
            f"the daily list takes papers up to {max_age} days old"
        )
    existing = DailyEntry.objects.filter(paper=paper, day=today).select_related("submitted_by").first()
    if existing:
        by = f" by {existing.submitted_by.username}" if existing.submitted_by else ""
        raise Refused(f"{paper.arxiv_id} is in today's list already (submitted{by}): upvote it instead")
    try:
        with transaction.atomic():
            return DailyEntry.objects.create(paper=paper, day=today, submitted_by=user)
    except IntegrityError:  # someone submitted it in the same instant
        raise Refused(f"{paper.arxiv_id} is in today's list already: upvote it instead") from None


def set_vote(user, paper: Paper, up: bool) -> None:
    """Upvote (up=True) or withdraw the upvote: idempotent, so a repeated click changes nothing."""
    if up:
        try:
            with transaction.atomic():
                Vote.objects.create(user=user, paper=paper)
        except IntegrityError:
            pass  # voted already
    else:
        Vote.objects.filter(user=user, paper=paper).delete()


def voted_among(user, paper_ids: list[int]) -> set[int]:
    """Which of these papers the user upvotes (none for a visitor): one query, for a list's buttons."""
    if not user.is_authenticated or not paper_ids:
        return set()
    return set(Vote.objects.filter(user=user, paper_id__in=paper_ids).values_list("paper_id", flat=True))


def add_comment(user, paper: Paper, body: str, parent_id: int | None = None):
    from .models import Comment

    body = (body or "").strip()
    if not body:
        raise Refused("the comment is empty")
    if len(body) > 10_000:
        raise Refused(f"the comment has {len(body):,} characters; at most 10,000")
    parent = None
    if parent_id is not None:
        parent = Comment.objects.filter(pk=parent_id, paper=paper).first()
        if parent is None:
            raise Refused("the comment you reply to is not on this paper")
        if parent.parent_id is not None:
            parent = parent.parent  # replies stay one level deep: a reply to a reply joins its thread
    return Comment.objects.create(user=user, paper=paper, body=body, parent=parent)
