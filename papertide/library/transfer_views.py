"""Export and import: a collection as BibTeX, RIS or CSL-JSON (the owner's any, anyone's public one), and a
BibTeX file imported into a collection (a form, then a report entry by entry). docs/library.md, "Export
and import"."""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path, re_path
from django.views.decorators.http import require_GET, require_http_methods

from . import transfer
from .models import MAX_COLLECTION_NAME, Collection

FORMAT = r"(?P<fmt>bib|ris|json)"


def _download(collection: Collection, fmt: str) -> HttpResponse:
    response = HttpResponse(transfer.export(collection, fmt), content_type=transfer.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{collection.slug}.{fmt}"'
    return response


@login_required
@require_GET
def export_mine(request, slug: str, fmt: str):
    collection = Collection.objects.of(request.user).filter(slug=slug).first()
    if collection is None and slug == "reading-list":
        collection = Collection.reading_list(request.user)
    if collection is None:
        raise Http404("You have no collection of that name.")
    return _download(collection, fmt)


@require_GET
def export_public(request, username: str, slug: str, fmt: str):
    """A public collection, for anyone; a private one only for its owner (for anyone else: 404)."""
    collection = Collection.objects.filter(owner__username=username, slug=slug).first()
    if collection is None or not (collection.public or collection.owner_id == request.user.pk):
        raise Http404("No public collection of that name.")
    if not collection.owner.is_active and collection.owner_id != request.user.pk:
        raise Http404("No public collection of that name.")
    return _download(collection, fmt)


class ImportForm(forms.Form):
    file = forms.FileField(label="BibTeX file (.bib)")
    collection = forms.ChoiceField(label="Into", required=False)
    name = forms.CharField(label="or a new collection named", max_length=MAX_COLLECTION_NAME, required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        mine = list(Collection.objects.of(user).values_list("slug", "name"))
        if not any(slug == "reading-list" for slug, _ in mine):
            mine.insert(0, ("reading-list", Collection.READING_LIST))
        self.fields["collection"].choices = [("", "a new collection")] + mine

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.PAPERTIDE_BIBTEX_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"This file has {upload.size:,} bytes; at most {limit:,} can be imported at once "
                "(PAPERTIDE_BIBTEX_MAX_BYTES). Split it and import the parts.",
                code="too_big",
            )
        return upload

    def clean(self):
        data = super().clean()
        if not data.get("collection") and not (data.get("name") or "").strip():
            raise forms.ValidationError("Choose one of your collections, or name a new one.")
        return data

    def target(self) -> Collection:
        slug = self.cleaned_data["collection"]
        if not slug:
            return Collection.create(self.user, self.cleaned_data["name"])
        if slug == "reading-list":
            return Collection.reading_list(self.user)
        return Collection.objects.of(self.user).get(slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def import_bibtex(request):
    """GET: the form. POST: read the file, fetch what the catalog lacks from arXiv, show the report. A file
    the size limit refuses is 413, one that cannot be read 400; in both nothing is imported."""
    posted = request.method == "POST"
    form = ImportForm(request.user, request.POST if posted else None, request.FILES if posted else None)
    status = 200
    if posted:
        if form.is_valid():
            data = form.cleaned_data["file"].read()
            try:
                parsed = transfer.read_bibtex(data)  # refused before a collection is made for it
            except transfer.ImportRefused as exc:
                form.add_error("file", str(exc))
            else:
                report = transfer.import_entries(form.target(), parsed)
                return render(request, "library/import_report.html", {"report": report})
        too_big = any(e.code == "too_big" for e in form.errors.as_data().get("file", []))
        status = 413 if too_big else 400
    limit = settings.PAPERTIDE_BIBTEX_MAX_BYTES
    return render(request, "library/import.html", {"form": form, "limit": limit}, status=status)


urlpatterns = [
    # Two path segments, so that no collection's own page (library/<slug>/) can take it.
    path("library/import/bibtex/", import_bibtex, name="library-import"),
    re_path(rf"^library/(?P<slug>[-\w]+)/export\.{FORMAT}$", export_mine, name="library-export"),
    re_path(
        rf"^u/(?P<username>[\w.@+-]+)/(?P<slug>[-\w]+)/export\.{FORMAT}$",
        export_public,
        name="library-export-public",
    ),
]
