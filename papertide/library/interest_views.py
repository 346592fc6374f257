"""Interests and the for-you page: make an interest (from a collection, a few words or a few papers),
tune it, rate papers for it, sharpen it; and the period's new papers ranked by the reader's interests.

Pages only score with the stored weights (recommend.rank); training happens here on a write (making an
interest, a rating: recommend.train takes well under 100 ms) and in the worker's `interests` job.
Someone else's interest is a 404 everywhere: get_object_or_404 with owner=request.user.
"""

from collections.abc import Set as AbstractSet

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, re_path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from papertide.catalog.ids import URL_ID, InvalidArxivId, parse_arxiv_id
from papertide.catalog.models import Paper
from papertide.catalog.shortcuts import get_paper
from papertide.search.engine import SearchError

from . import navigation, recommend
from .forms import CollectionChoiceForm, InterestPapersForm, InterestSettingsForm, InterestWordsForm
from .models import Collection, Entry, Interest, Rating

# The for-you page's periods: new papers (first seen by the catalog) in the window that ends now.
PERIODS = recommend.PERIODS
DEFAULT_PERIOD = "week"
FOR_YOU_ROWS = 50
# Sharpen asks about this many papers at once; from the month's new papers, or, when the month holds too
# few the interest has not seen, from the catalog's most recent SHARPEN_FALLBACK papers.
SHARPEN_ROWS = 5
SHARPEN_FALLBACK = 2000


def _bad(request, message: str, status: int = 400):
    """A clear 4xx: JSON for the page's script, a short page otherwise."""
    if navigation.wants_json(request):
        return JsonResponse({"error": message}, status=status)
    return render(request, "library/bad_request.html", {"error": message}, status=status)


def _own_interest(request, pk: int) -> Interest:
    return get_object_or_404(Interest, pk=pk, owner=request.user)


# --- the for-you page ----------------------------------------------------------------------------------


@require_GET
@login_required
def for_you(request):
    period = request.GET.get("period", DEFAULT_PERIOD)
    if period not in PERIODS:
        return _bad(request, f"unknown period {period[:20]!r}: choose day, week or month")
    interests = list(Interest.objects.filter(owner=request.user))
    chosen = None
    if request.GET.get("interest"):
        try:
            chosen_id = int(request.GET["interest"])
        except ValueError:
            return _bad(request, "interest must be the number of one of your interests")
        chosen = next((i for i in interests if i.pk == chosen_id), None)
        if chosen is None:
            return _own_interest(request, chosen_id)  # someone else's or none: 404
    scope = [chosen] if chosen else interests
    trained = [i for i in scope if i.weights]
    recommendations: list[recommend.Recommendation] = []
    if trained:
        end = timezone.now()
        recommendations = recommend.attach_papers(
            recommend.for_you(
                request.user,
                end - PERIODS[period],
                end,
                interest_ids=[i.pk for i in trained],
                limit=FOR_YOU_ROWS,
            ),
            papers=recommend.paper_rows(),
        )
    if not interests:
        state = "no-interests"
    elif not trained:
        state = "untrained"
    elif not recommendations:
        state = "nothing-new"
    else:
        state = "ranked"
    periods = list(PERIODS)
    longer = periods[periods.index(period) + 1] if period != periods[-1] else None
    context = {
        "interests": interests,
        "chosen": chosen,
        "period": period,
        "periods": periods,
        "longer": longer,
        "ran_out": state == "ranked" and len(recommendations) < FOR_YOU_ROWS,
        "recommendations": recommendations,
        "state": state,
        "untrained": [i for i in scope if not i.weights],
        "rows": FOR_YOU_ROWS,
    }
    return render(request, "library/for_you.html", context)


# --- the interests page and making an interest ---------------------------------------------------------


def _interests_page(request, status: int = 200, **forms):
    interests = (
        Interest.objects.filter(owner=request.user)
        .select_related("collection")
        .annotate(rating_count=Count("ratings"))
    )
    bound = forms.get("settings_form")  # the one that failed, with its errors
    context = {
        "interests": [
            (
                i,
                bound
                if bound and bound.instance.pk == i.pk
                else InterestSettingsForm(instance=i, prefix=f"i{i.pk}"),
            )
            for i in interests
        ],
        "collections": Collection.objects.of(request.user).filter(interest__isnull=True),
        "words_form": forms.get("words_form") or InterestWordsForm(),
        "papers_form": forms.get("papers_form") or InterestPapersForm(),
        "collection_error": forms.get("collection_error", ""),
    }
    return render(request, "library/interests.html", context, status=status)


@require_GET
@login_required
def interests(request):
    return _interests_page(request)


def _made(request, interest: Interest):
    """Train the new interest at once and say how it went."""
    if recommend.train(interest):
        messages.success(request, f"Interest “{interest.name}” made from {interest.positives} papers.")
    else:
        messages.info(
            request,
            f"Interest “{interest.name}” made; its papers are still being embedded, so it learns when "
            "the worker has their vectors.",
        )
    return redirect(reverse("for-you") + f"?interest={interest.pk}")


@require_POST
@login_required
def from_collection(request):
    # `collection` from this app's pages; `slug` accepted too, for a button on a collection's own page.
    form = CollectionChoiceForm(
        {"collection": request.POST.get("collection") or request.POST.get("slug", "")}
    )
    if not form.is_valid():
        return _interests_page(request, 400, collection_error="choose one of your collections")
    collection = get_object_or_404(Collection, owner=request.user, slug=form.cleaned_data["collection"])
    if Interest.objects.filter(collection=collection).exists():
        return _interests_page(request, 400, collection_error=f"“{collection.name}” is an interest already")
    try:
        with transaction.atomic():
            interest = Interest.objects.create(
                owner=request.user, name=collection.name, collection=collection
            )
    except IntegrityError:  # the same form sent twice at once: the other one made it
        return _interests_page(request, 400, collection_error=f"“{collection.name}” is an interest already")
    return _made(request, interest)


@require_POST
@login_required
def from_words(request):
    form = InterestWordsForm(request.POST)
    if not form.is_valid():
        return _interests_page(request, 400, words_form=form)
    words = form.cleaned_data["words"]
    try:
        seeds = recommend.seeds_from_words(words)
    except SearchError as exc:
        form.add_error("words", str(exc))
        return _interests_page(request, 400, words_form=form)
    if not seeds:
        form.add_error("words", f"the search for “{words}” found nothing: try other words")
        return _interests_page(request, 400, words_form=form)
    interest = Interest.objects.create(
        owner=request.user, name=form.interest_name(), query=words, seeds=seeds
    )
    return _made(request, interest)


@require_POST
@login_required
def from_papers(request):
    form = InterestPapersForm(request.POST)
    if not form.is_valid():
        return _interests_page(request, 400, papers_form=form)
    name = form.cleaned_data["name"]
    # The papers become a collection named after the interest: the reader sees and edits them there.
    with transaction.atomic():
        collection = Collection.create(request.user, name)
        Entry.objects.bulk_create(Entry(collection=collection, paper=p) for p in form.cleaned_data["papers"])
        interest = Interest.objects.create(owner=request.user, name=name, collection=collection)
    return _made(request, interest)


@require_POST
@login_required
def edit(request, pk: int):
    interest = _own_interest(request, pk)
    form = InterestSettingsForm(request.POST, instance=interest, prefix=f"i{interest.pk}")
    if not form.is_valid():
        return _interests_page(request, 400, settings_form=form)
    form.save()
    messages.success(request, f"Interest “{interest.name}” saved.")
    return redirect("interests")


@require_POST
@login_required
def delete(request, pk: int):
    interest = _own_interest(request, pk)
    interest.delete()  # its ratings go with it; its collection, if any, stays
    messages.success(request, f"Interest “{interest.name}” deleted.")
    return redirect("interests")


# --- ratings -------------------------------------------------------------------------------------------


def _state(interest: Interest, paper: Paper, value: int) -> dict:
    return {
        "interest": interest.pk,
        "paper": paper.arxiv_id,
        "value": value,
        "positives": interest.positives,
        "negatives": interest.negatives,
        "ratings": Rating.objects.filter(interest=interest).count(),
        "trained": bool(interest.weights),
        "trained_at": interest.trained_at.isoformat() if interest.trained_at else None,
    }


@require_POST
@login_required
def rate(request, pk: int, arxiv_id: str):
    """value=1 "more like this", -1 "less like this", 0 undo. The interest retrains at once, so that the
    next page (or the next sharpen question) already knows."""
    interest = _own_interest(request, pk)
    paper = get_paper(arxiv_id)
    try:
        value = int(request.POST.get("value", ""))
    except ValueError:
        value = None
    if value not in (Rating.MORE, Rating.LESS, 0):
        return _bad(request, "value must be 1 (more like this), -1 (less like this) or 0 (undo)")
    if value:
        Rating.objects.update_or_create(
            interest=interest, paper=paper, defaults={"user": request.user, "value": value}
        )
    else:
        Rating.objects.filter(interest=interest, paper=paper).delete()
    interest.changed()
    recommend.train(interest)
    if navigation.wants_json(request):
        return JsonResponse(_state(interest, paper, value))
    return redirect(navigation.back(request, reverse("for-you")))


# --- sharpen -------------------------------------------------------------------------------------------


def _unsure(
    interest: Interest, count: int, skip: AbstractSet[int] = frozenset()
) -> list[recommend.Recommendation]:
    """The papers the interest is least sure of: among the month's new papers, or the catalog's most
    recent ones when the month holds too few it has not seen (a quiet month, a new instance)."""
    now = timezone.now()
    month = Paper.objects.new_between(now - PERIODS["month"], now).order_by("-id")
    candidates = [i for i in month.values_list("id", flat=True)[: recommend.MAX_CANDIDATES] if i not in skip]
    found = recommend.uncertain(interest, candidates, count=count)
    if len(found) < count:
        recent = Paper.objects.order_by("-id").values_list("id", flat=True)[:SHARPEN_FALLBACK]
        found = recommend.uncertain(interest, [i for i in recent if i not in skip], count=count)
    return recommend.attach_papers(found, papers=recommend.paper_rows())


@require_GET
@login_required
def sharpen(request, pk: int):
    interest = _own_interest(request, pk)
    context = {
        "interest": interest,
        "recommendations": _unsure(interest, SHARPEN_ROWS),
        "ratings": Rating.objects.filter(interest=interest).count(),
    }
    return render(request, "library/sharpen.html", context)


@require_GET
@login_required
def sharpen_next(request, pk: int):
    """The next question as an HTML fragment (one row), for the sharpen page's script: the most uncertain
    paper not rated and not among `shown` (the arXiv ids still on the page). 204 when none is left."""
    interest = _own_interest(request, pk)
    shown = set()
    for word in request.GET.get("shown", "").split(","):
        if word.strip():
            try:
                shown.add(parse_arxiv_id(word).id)
            except InvalidArxivId as exc:
                return _bad(request, str(exc))
    skip = set(Paper.objects.filter(arxiv_id__in=shown).values_list("id", flat=True)) if shown else set()
    found = _unsure(interest, 1, skip)
    if not found:
        return HttpResponse(status=204)
    html = render_to_string(
        "library/sharpen_row.html",
        {"rec": found[0], "interest": interest, "next": reverse("interest-sharpen", args=[interest.pk])},
        request=request,
    )
    return HttpResponse(html)


urlpatterns = [
    path("for-you/", for_you, name="for-you"),
    path("for-you/interests/", interests, name="interests"),
    path("for-you/interests/from-collection/", from_collection, name="interest-from-collection"),
    path("for-you/interests/from-words/", from_words, name="interest-from-words"),
    path("for-you/interests/from-papers/", from_papers, name="interest-from-papers"),
    path("for-you/interests/<int:pk>/edit/", edit, name="interest-edit"),
    path("for-you/interests/<int:pk>/delete/", delete, name="interest-delete"),
    path("for-you/interests/<int:pk>/sharpen/", sharpen, name="interest-sharpen"),
    path("for-you/interests/<int:pk>/sharpen/next/", sharpen_next, name="interest-sharpen-next"),
    re_path(rf"^for-you/interests/(?P<pk>\d+)/rate/{URL_ID}/$", rate, name="interest-rate"),
]
