"""Saving papers, read marks and collections: the reader's library pages, and a public collection's page.

Every write is a POST. The one-click buttons (save, read) answer JSON to library.js and otherwise
redirect back to a `next` on this site; an anonymous click is sent to log in and back. Someone else's
collection, or a private one on the public address, is a 404: no page says that it exists.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, re_path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from papertide.accounts.throttle import throttled
from papertide.catalog.ids import URL_ID
from papertide.catalog.shortcuts import get_paper
from papertide.community.rows import row_papers

from . import feeds, navigation, recommend, saving
from .models import MAX_COLLECTION_NAME, Collection, Entry, Rating, ReadMark

RECENT = 3  # the last additions the library page shows under each collection
# An interest's collection page suggests the best few new papers of the last month for it.
SUGGESTED_ROWS = 5
SUGGESTED_PERIOD = recommend.PERIODS["month"]
ROW_COLUMNS = (  # what a collection's rows show of each paper
    "added_at",
    "collection_id",
    "paper__arxiv_id",
    "paper__title",
    "paper__title_clean",
    "paper__authors",
    "paper__primary_category",
    "paper__listed_on",
)


class CollectionForm(forms.ModelForm):
    class Meta:
        model = Collection
        fields = ["name", "description", "public"]
        labels = {"public": "Public: anyone can see it and follow its feed"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"name": {"required": "A collection needs a name."}}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("A collection needs a name.")
        return name


class CollectionChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class SaveToForm(forms.Form):
    """The collections a paper should be in (all the checked ones, no others), and a new one to make."""

    collections = CollectionChoice(queryset=Collection.objects.none(), to_field_name="slug", required=False)
    new = forms.CharField(max_length=MAX_COLLECTION_NAME, required=False, label="New collection")

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collections"].queryset = Collection.objects.of(user)


def _to_login(request, back: str, what: str):
    login = f"{reverse('login')}?{urlencode({'next': back})}"
    if navigation.wants_json(request):
        return JsonResponse({"error": f"log in to {what}", "login": login}, status=401)
    return redirect(login)


def _refuse(request, message: str, status: int = 400):
    if navigation.wants_json(request):
        return JsonResponse({"error": message}, status=status)
    return render(request, "library/refused.html", {"error": message}, status=status)


def _switch(request, name: str) -> bool | None:
    """A one-click button's wish: "1" (on) or "0" (off); None for anything else."""
    return {"1": True, "0": False}.get(request.POST.get(name, "1"))


@require_POST
@throttled("save")
def save(request, arxiv_id):
    """Save the paper to the reading list (saved=1) or take it out (saved=0)."""
    back = navigation.back(request)
    if not request.user.is_authenticated:
        return _to_login(request, back, "save papers")
    paper = get_paper(arxiv_id)
    wanted = _switch(request, "saved")
    if wanted is None:
        return _refuse(request, "saved must be 1 (save) or 0 (take out of the reading list)")
    reading_list = Collection.reading_list(request.user)
    if wanted:
        saving.add(reading_list, paper)
    else:
        saving.remove(reading_list, paper)
    if navigation.wants_json(request):
        return JsonResponse({"paper": paper.arxiv_id, "saved": wanted})
    return redirect(back)


@require_POST
def mark_read(request, arxiv_id):
    """Mark the paper as read (read=1) or unread (read=0)."""
    back = navigation.back(request)
    if not request.user.is_authenticated:
        return _to_login(request, back, "mark papers as read")
    paper = get_paper(arxiv_id)
    wanted = _switch(request, "read")
    if wanted is None:
        return _refuse(request, "read must be 1 (read) or 0 (unread)")
    saving.mark_read(request.user, paper, wanted)
    if navigation.wants_json(request):
        return JsonResponse({"paper": paper.arxiv_id, "read": wanted})
    return redirect(back)


@login_required
@throttled("save")
def save_to(request, arxiv_id):
    """Choose the collections a paper is in, and make a new one on the way. The paper page shows the same
    form inline; this page is for the "Save to…" link of list rows."""
    paper = get_paper(arxiv_id)
    back = navigation.back(request, paper.get_absolute_url())
    status = 200
    form = SaveToForm(request.user)
    if request.method == "POST":
        Collection.reading_list(request.user)  # made now if it was not: it is one of the choices
        form = SaveToForm(request.user, request.POST)
        if form.is_valid():
            chosen = list(form.cleaned_data["collections"])
            if form.cleaned_data["new"].strip():
                chosen.append(Collection.create(request.user, form.cleaned_data["new"]))
            saving.set_collections(request.user, paper, chosen)
            if navigation.wants_json(request):
                collections = saving.collections_with(request.user, paper)
                html = render_to_string(
                    "library/save_to_form.html",
                    {"paper": paper, "collections": collections, "next": back, "done": True},
                    request,
                )
                return JsonResponse(
                    {
                        "paper": paper.arxiv_id,
                        "saved": any(c.is_reading_list for c in chosen),
                        "collections": [c.slug for c in collections if c.has],
                        "html": html,
                    }
                )
            return redirect(back)
        if navigation.wants_json(request):
            return JsonResponse(
                {"error": " ".join(e for errors in form.errors.values() for e in errors)}, status=400
            )
        status = 400
    context = {
        "paper": paper,
        "collections": saving.collections_with(request.user, paper),
        "next": back,
        "form": form,
    }
    return render(request, "library/save_to.html", context, status=status)


def _read_ids(user, paper_ids) -> set[int]:
    return set(ReadMark.objects.filter(user=user, paper_id__in=paper_ids).values_list("paper_id", flat=True))


@login_required
def library(request):
    """The reader's collections, the reading list first, each with its size, how many of its papers the
    reader has read and its last additions; a form to make a new collection (POST here)."""
    form = CollectionForm()
    status = 200
    if request.method == "POST":
        form = CollectionForm(request.POST)
        if form.is_valid():
            Collection.reading_list(request.user)  # made first, so a collection called so gets another slug
            made = Collection.create(request.user, **form.cleaned_data)
            messages.success(request, f"Made the collection “{made.name}”.")
            return redirect("collection", made.slug)
        status = 400
    mine = ReadMark.objects.filter(user=request.user).values("paper_id")
    collections = list(
        Collection.objects.of(request.user)
        .annotate(
            size=Count("entries", distinct=True),
            read_count=Count("entries", filter=Q(entries__paper_id__in=mine), distinct=True),
        )
        .order_by("-is_reading_list", "name")  # Meta.ordering does not apply to a grouped query
    )
    if not any(c.is_reading_list for c in collections):  # shown before the first save makes it
        reading_list = saving.unsaved_reading_list(request.user)
        reading_list.size = reading_list.read_count = 0
        collections.insert(0, reading_list)
    # The last few additions of every collection in one query, not one per collection.
    recent: dict[int, list[Entry]] = {}
    latest = (
        Entry.objects.filter(collection__owner=request.user)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("collection_id")],
                order_by=[F("added_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=RECENT)
        .select_related("paper")
        .only(*ROW_COLUMNS)
        .order_by("collection_id", "rank")
    )
    for entry in latest:
        recent.setdefault(entry.collection_id, []).append(entry)
    for each in collections:
        each.recent = recent.get(each.pk, [])
    context = {
        "collections": collections,
        "read_total": ReadMark.objects.filter(user=request.user).count(),
        "form": form,
    }
    return render(request, "library/library.html", context, status=status)


def _entries_page(request, collection: Collection):
    if collection.pk is None:  # a reading list not made yet
        entries = Entry.objects.none()
    else:
        entries = Entry.objects.filter(collection=collection).only("added_at", "collection_id", "paper_id")
    page = Paginator(entries, settings.PAPERTIDE_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = row_papers(entry.paper_id for entry in page.object_list)  # the rows of every list
    for entry in page.object_list:
        entry.row = shown[entry.paper_id] if entry.paper_id in shown else entry.paper
    return page


def _mine(request, slug: str) -> Collection:
    """One of the reader's own collections, or 404 (someone else's is not found either). The reading
    list exists for every reader: before the first save, a GET shows it empty and a POST makes it."""
    found = Collection.objects.of(request.user).select_related("owner", "interest").filter(slug=slug).first()
    if found is None and slug == "reading-list":
        if request.method == "POST":
            return Collection.reading_list(request.user)
        return saving.unsaved_reading_list(request.user)
    if found is None:
        raise Http404("No such collection.")
    return found


@login_required
def collection(request, slug):
    """The owner's view: papers newest-added first, with authors, read state and a remove button."""
    found = _mine(request, slug)
    page = _entries_page(request, found)
    interest = getattr(found, "interest", None)
    suggested: list[recommend.Recommendation] = []
    if interest is not None:
        # The reader's ratings of this page's papers for the interest (one query), and the month's new
        # papers it ranks first: where "more like this" and "less like this" teach it.
        rated = dict(
            Rating.objects.filter(
                interest=interest, paper_id__in=[e.paper_id for e in page.object_list]
            ).values_list("paper_id", "value")
        )
        for entry in page.object_list:
            entry.rated = rated.get(entry.paper_id)
        if interest.weights:
            end = timezone.now()
            suggested = recommend.attach_papers(
                recommend.for_you(request.user, end - SUGGESTED_PERIOD, end, [interest.pk], SUGGESTED_ROWS),
                papers=recommend.paper_rows(),
            )
    context = {
        "collection": found,
        "interest": interest,
        "suggested": suggested,
        "page": page,
        "read": _read_ids(request.user, [e.paper_id for e in page.object_list]),
        "form": CollectionForm(instance=found),
    }
    return render(request, "library/collection.html", context)


@login_required
def edit_collection(request, slug):
    """Rename, describe, make public or private. The address (slug) stays as made, so links and feed
    subscriptions keep working after a rename."""
    found = _mine(request, slug)
    form = CollectionForm(instance=found)
    if request.method == "POST":
        form = CollectionForm(request.POST, instance=found)
        if form.is_valid():
            form.save()
            messages.success(request, "Saved the collection's settings.")
            return redirect("collection", found.slug)
    status = 400 if form.errors else 200
    return render(request, "library/edit.html", {"collection": found, "form": form}, status=status)


@login_required
def delete_collection(request, slug):
    """A page that asks first (GET); the POST deletes the collection, never its papers."""
    found = _mine(request, slug)
    if found.is_reading_list:
        return _refuse(request, "The reading list cannot be deleted; take papers out of it instead.")
    if request.method == "POST":
        found.delete()
        messages.success(request, f"Deleted the collection “{found.name}”.")
        return redirect("library")
    return render(request, "library/delete.html", {"collection": found})


@require_POST
@login_required
def remove_from_collection(request, slug):
    found = _mine(request, slug)
    try:
        paper = get_paper(request.POST.get("paper", ""))
    except Http404:
        return _refuse(request, "No such paper: give its arXiv id in the field “paper”.")
    saving.remove(found, paper)
    return redirect(navigation.back(request, reverse("collection", args=[found.slug])))


def _public(username: str, slug: str) -> Collection:
    return get_object_or_404(
        Collection.objects.public().select_related("owner"), owner__username=username, slug=slug
    )


def public_collection(request, username, slug):
    """A public collection, for anyone; a private one is a 404, for its owner too (theirs is /library/)."""
    found = _public(username, slug)
    return render(
        request, "library/public.html", {"collection": found, "page": _entries_page(request, found)}
    )


urlpatterns = [
    path("library/", library, name="library"),
    path("library/<slug:slug>/", collection, name="collection"),
    path("library/<slug:slug>/edit/", edit_collection, name="collection-edit"),
    path("library/<slug:slug>/delete/", delete_collection, name="collection-delete"),
    path("library/<slug:slug>/remove/", remove_from_collection, name="collection-remove"),
    path("u/<str:username>/<slug:slug>/", public_collection, name="public-collection"),
    path("u/<str:username>/<slug:slug>/feed/", feeds.CollectionFeed(), name="collection-feed"),
    re_path(rf"^papers/{URL_ID}/save/$", save, name="save"),
    re_path(rf"^papers/{URL_ID}/save-to/$", save_to, name="save-to"),
    re_path(rf"^papers/{URL_ID}/read/$", mark_read, name="mark-read"),
]
