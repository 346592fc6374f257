import time as clock

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from papertide.accounts.throttle import throttled
from papertide.caches import ProcessCache
from papertide.catalog.models import Paper
from papertide.catalog.shortcuts import get_paper

from . import periods, services
from .changes import CACHE_SECONDS, community_state
from .models import DailyEntry, Vote
from .rows import body_of, frame, frame_of, row_papers
from .trending import ranking, trends_of

TRENDING_ROWS = 50
DAILY_COLUMNS = (
    "day",
    "source",
    "paper__arxiv_id",
    "paper__title",
    "paper__title_clean",
    "submitted_by__username",
)


def daily(request, kind: str = "day", slug: str | None = None):
    """The daily list of a day, week or month. What every visitor sees alike (the period, each row's body)
    is kept per process while the community's state does not change (community.changes), as trending
    keeps its rows; only the buttons (the reader's own votes and saves) are made per request."""
    listing = _daily.current((kind, slug), community_state(comments=True), lambda: _daily_list(kind, slug))
    voted = services.voted_among(request.user, [paper.pk for paper, _ in listing["rows"]])
    return render(request, "community/daily.html", {**listing, "voted": voted})


def _daily_list(kind: str, slug: str | None) -> dict:
    """The page's context but the reader's votes: its period and its rows, each row's body rendered."""
    if slug is None:
        latest = DailyEntry.objects.latest_day()
        if latest is None:
            return {"rows": [], "period": None}
        period = periods.day(latest)
    else:
        try:
            period = periods.parse(kind, slug)
            period.shifted(-1), period.shifted(1)  # the navigation must exist too (not past year 9999)
        except (ValueError, OverflowError) as exc:
            raise Http404(str(exc)) from None
    # One entry per paper, most upvoted first; one query whatever the size. Only the columns the page
    # shows: on SQLite every column selected is also grouped by (for the votes), at a cost on each view.
    entries = list(
        DailyEntry.objects.between(period.start, period.end)
        .ranked()
        .select_related("paper", "submitted_by")
        .only(*DAILY_COLUMNS)
    )
    shown = row_papers(e.paper_id for e in entries)  # two queries more, whatever the size (rows.py)
    show_day = period.kind != "day"
    rows = [
        (
            frame_of(shown[entry.paper_id]),
            body_of(shown[entry.paper_id], daily=entry, show_day=show_day, upvote=True),
        )
        for entry in entries
        if entry.paper_id in shown
    ]
    return {
        "rows": rows,
        "period": period,
        "previous": period.shifted(-1),
        "next": period.shifted(1),
        "views": [period.as_kind(kind) for kind in ("day", "week", "month")],
    }


# (state, context) by (kind, slug): a bounded number, since a visitor chooses the day.
_daily = ProcessCache("rendered daily lists", ttl=CACHE_SECONDS, clock=clock.time, max_entries=64)


@login_required
@throttled("submit")
def submit(request):
    error = ""
    text = ""
    if request.method == "POST":
        text = request.POST.get("paper", "").strip()
        try:
            entry = services.submit(request.user, text)
        except services.Refused as exc:
            error = str(exc)
        else:
            return redirect(
                reverse("daily-day", args=[entry.day.isoformat()]) + f"#paper-{entry.paper.arxiv_id}"
            )
    return render(
        request, "community/submit.html", {"error": error, "text": text}, status=400 if error else 200
    )


@require_POST
@throttled("vote")
def upvote(request, arxiv_id):
    """Set (vote=1) or withdraw (vote=0) the user's upvote. JSON for the page's script, a redirect back
    otherwise; an anonymous click is sent to log in and back."""
    back = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    # Only back to this site: "//evil.example" starts with a slash too.
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    if not request.user.is_authenticated:
        login = f"{reverse('login')}?next={back}"
        if request.headers.get("Accept") == "application/json":
            return JsonResponse({"error": "log in to upvote", "login": login}, status=401)
        return redirect(login)
    paper = get_paper(arxiv_id)
    services.set_vote(request.user, paper, up=request.POST.get("vote", "1") != "0")
    if request.headers.get("Accept") == "application/json":
        counted = Paper.objects.with_votes().get(pk=paper.pk)
        voted = Vote.objects.filter(user=request.user, paper=paper).exists()
        return JsonResponse(
            {
                "upvotes": counted.upvotes,
                "votes": counted.local_votes,
                "imported": counted.imported_votes,
                "voted": voted,
            }
        )
    return redirect(back)


def trending_page(request):
    """Each paper's title and breakdown is rendered once per ranking generation in a process and reused
    by every request until the ranking changes; only the upvote buttons (the reader's own votes) are
    made per request."""
    current = ranking()
    top = current.ranked[:TRENDING_ROWS]
    generation, bodies = _rendered.peek("rows", (None, {}))
    if generation != current.generation:
        trends = trends_of(top)
        shown = row_papers(t.entry.paper_id for t in trends)
        bodies = {
            t.entry.pk: body_of(shown[t.entry.paper_id], trend=t, daily=t.entry, upvote=True)
            for t in trends
            if t.entry.paper_id in shown
        }
        _rendered.set("rows", (current.generation, bodies))
    voted = services.voted_among(request.user, [r.paper_id for r in top])
    # What the row's frame needs per request (its upvote button), from the ranking; its body is cached.
    rows = [
        (
            frame(row.arxiv_id, row.paper_id, row.votes, row.local_votes, row.imported_votes),
            bodies[row.entry_id],
        )
        for row in top
        if row.entry_id in bodies
    ]
    context = {"rows": rows, "voted": voted, "settings": settings, "as_of": current.as_of}
    return render(request, "community/trending.html", context)


# (ranking generation, row bodies by entry) under one key: a new ranking's rows replace the old ones.
_rendered = ProcessCache("rendered trending rows")


def _comment_or_404(pk):
    from .models import Comment

    return get_object_or_404(Comment.objects.select_related("paper"), pk=pk)


@require_POST
@login_required
@throttled("comment")
def comment(request, arxiv_id):
    paper = get_paper(arxiv_id)
    parent = request.POST.get("parent")
    try:
        made = services.add_comment(
            request.user, paper, request.POST.get("body", ""), int(parent) if parent else None
        )
    except (services.Refused, ValueError) as exc:
        return render(
            request, "community/comment_error.html", {"error": str(exc), "paper": paper}, status=400
        )
    return redirect(f"{paper.get_absolute_url()}#comment-{made.pk}")


@require_POST
@login_required
def edit_comment(request, pk):
    made = _comment_or_404(pk)
    if made.user_id != request.user.pk or made.deleted:
        return render(
            request,
            "community/comment_error.html",
            {"error": "you can edit your own comments only", "paper": made.paper},
            status=403,
        )
    body = request.POST.get("body", "").strip()
    if not body or len(body) > 10_000:
        return render(
            request,
            "community/comment_error.html",
            {"error": "a comment needs 1 to 10,000 characters", "paper": made.paper},
            status=400,
        )
    if not made.edit(body):  # deleted in the meantime
        return render(
            request,
            "community/comment_error.html",
            {"error": "this comment was deleted, so it cannot be edited", "paper": made.paper},
            status=409,
        )
    return redirect(f"{made.paper.get_absolute_url()}#comment-{made.pk}")


@require_POST
@login_required
def delete_comment(request, pk):
    made = _comment_or_404(pk)
    if made.user_id != request.user.pk:
        return render(
            request,
            "community/comment_error.html",
            {"error": "you can delete your own comments only", "paper": made.paper},
            status=403,
        )
    made.delete_by_author()
    return redirect(made.paper.get_absolute_url() + "#comments")


@require_POST
@login_required
@throttled("report")
def report_comment(request, pk):
    from .models import Report

    made = _comment_or_404(pk)
    reason = request.POST.get("reason", "").strip()[:500] or "no reason given"
    hidden = Report.file(made, request.user, reason)
    return render(request, "community/reported.html", {"paper": made.paper, "hidden": hidden})
