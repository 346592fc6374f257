"""The reader's own library for scripts, with a personal token (Authorization: Bearer pt_...):

    GET    /api/me/for-you                          papers new in a period, ranked by the reader's interests
    GET    /api/me/collections                      their collections
    GET    /api/me/collections/{slug}               one collection with its papers
    POST   /api/me/collections/{slug}/papers        add a paper ({"paper": "<arXiv id>"})
    DELETE /api/me/collections/{slug}/papers/{id}   remove one

Reads do not spend the token's write allowance (PAPERTIDE_TOKEN_RATE); adding and removing do.
"""

from typing import Literal

from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch
from django.utils import timezone
from ninja import Path, Query, Router, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer
from pydantic import Field

from papertide.accounts.models import ApiToken
from papertide.catalog.ids import InvalidArxivId, parse_arxiv_id
from papertide.catalog.models import CodeLink, Paper
from papertide.library import recommend
from papertide.library.models import Collection, Entry, Interest

from .errors import answers
from .params import ID_CHARS, ID_DESCRIPTION, MAX_ID, SLUG, SLUG_CHARS, JsonBody
from .serializers import PaperOut, iso, paper_json
from .writes import TokenAuth

PERIODS = recommend.PERIODS


class ReadTokenAuth(HttpBearer):
    """The same personal tokens as the writes (TokenAuth), without spending the write allowance."""

    def authenticate(self, request, token):
        found = ApiToken.user_for(token)
        if found is None:
            return None
        request.user = found.user
        return found


router = Router(tags=["library"])


def _papers():
    """Papers as the other list endpoints give them (paper_json): with votes and code links."""
    return Paper.objects.with_votes().prefetch_related(
        Prefetch("code_links", queryset=CodeLink.objects.order_by("position"))
    )


def _collection(user, slug: str) -> Collection:
    """One of the reader's collections; their reading list is made on first use. Anyone else's: 404."""
    found = Collection.objects.of(user).filter(slug=slug).first()
    if found is None and slug == "reading-list":
        found = Collection.reading_list(user)
    if found is None:
        raise HttpError(404, f"you have no collection {slug!r}")
    return found


def _paper_id(text: str) -> str:
    try:
        return parse_arxiv_id(text).id
    except InvalidArxivId as exc:
        raise HttpError(400, str(exc)) from None


# A collection named in a path: its slug, "reading-list" for the reading list.
SlugPath = Path(..., max_length=SLUG_CHARS, pattern=SLUG, description="the collection's slug")


class CollectionOut(Schema):
    slug: str
    name: str
    description: str
    public: bool
    readingList: bool = Field(description="whether this is the reader's reading list")
    papers: int = Field(description="how many papers it holds")
    changedAt: str | None = Field(description="when its papers or details last changed (ISO 8601, UTC)")


class Saved(Schema):
    paper: PaperOut
    title: str
    addedAt: str | None = Field(description="when it was added (ISO 8601, UTC)")


class CollectionWithPapers(CollectionOut):
    items: list[Saved] = Field(description="its papers, the latest added first")


class InterestRef(Schema):
    id: int
    name: str


class PaperRef(Schema):
    id: str = Field(description="the arXiv id")
    title: str


class ForYou(Schema):
    paper: PaperOut
    title: str
    publishedAt: str | None
    interest: InterestRef = Field(description="the interest of the reader's that picked it")
    match: float = Field(description="how well it matches the interest, 0 to 1")
    why: list[PaperRef] = Field(description="the interest's papers closest to it")


class Added(Schema):
    collection: str
    paper: str = Field(description="the arXiv id")
    added: bool = Field(description="false when the paper was there already")
    papers: int = Field(description="how many papers the collection holds now")


class Removed(Schema):
    collection: str
    paper: str = Field(description="the arXiv id")
    removed: bool
    papers: int = Field(description="how many papers the collection holds now")


def collection_json(collection: Collection, papers: int) -> dict:
    return {
        "slug": collection.slug,
        "name": collection.name,
        "description": collection.description,
        "public": collection.public,
        "readingList": collection.is_reading_list,
        "papers": papers,
        "changedAt": iso(collection.changed_at),
    }


class ForYouParams(Schema):
    period: Literal["day", "week", "month"] = Field(
        "week", description="papers new in the last day, week or month"
    )
    interest: int | None = Field(None, ge=1, le=MAX_ID, description="only this interest of yours (its id)")
    limit: int = Field(50, ge=1, le=100)


@router.get(
    "/me/for-you",
    auth=ReadTokenAuth(),
    summary="Papers for you, with why (token)",
    **answers(list[ForYou], 400, 401, 404),
)
def for_you(request, params: Query[ForYouParams]):
    only = None
    if params.interest is not None:
        if not Interest.objects.filter(owner=request.user, pk=params.interest).exists():
            raise HttpError(404, f"you have no interest {params.interest}")
        only = [params.interest]
    end = timezone.now()
    picked = recommend.for_you(request.user, end - PERIODS[params.period], end, only, limit=params.limit)
    items = []
    for rec in recommend.attach_papers(picked, _papers()):
        assert rec.paper is not None  # attach_papers keeps those it found
        data = paper_json(rec.paper)
        items.append(
            {
                "paper": data,
                "title": data["title"],
                "publishedAt": data["publishedAt"],
                "interest": {"id": rec.interest.pk, "name": rec.interest.name},
                "match": round(rec.match, 4),
                "why": [{"id": p.arxiv_id, "title": p.title_display} for p in rec.near_papers],
            }
        )
    return items


@router.get(
    "/me/collections",
    auth=ReadTokenAuth(),
    summary="Your collections (token)",
    **answers(list[CollectionOut], 401),
)
def collections(request):
    Collection.reading_list(request.user)  # every reader has one
    mine = (
        Collection.objects.of(request.user)
        .annotate(count=Count("entries"))
        .order_by("-is_reading_list", "name")
    )
    return [collection_json(c, c.count) for c in mine]


@router.get(
    "/me/collections/{slug}",
    auth=ReadTokenAuth(),
    summary="One of your collections (token)",
    **answers(CollectionWithPapers, 400, 401, 404),
)
def collection(request, slug: str = SlugPath):
    found = _collection(request.user, slug)
    entries = list(Entry.objects.filter(collection=found).values_list("paper_id", "added_at"))
    papers = _papers().in_bulk([paper_id for paper_id, _ in entries])
    items = []
    for paper_id, added_at in entries:
        data = paper_json(papers[paper_id])
        items.append({"paper": data, "title": data["title"], "addedAt": iso(added_at)})
    return {**collection_json(found, len(items)), "items": items}


class AddBody(JsonBody):
    paper: str = Field(..., max_length=ID_CHARS, description=ID_DESCRIPTION)


@router.post(
    "/me/collections/{slug}/papers",
    auth=TokenAuth(),
    summary="Add a paper (token)",
    **answers(Added, 400, 401, 404, 429),
)
def add_paper(request, body: AddBody, slug: str = SlugPath):
    found = _collection(request.user, slug)
    arxiv_id = _paper_id(body.paper)
    paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
    if paper is None:
        raise HttpError(404, f"{arxiv_id} is not in this catalog")
    added = False
    try:
        with transaction.atomic():
            _, added = Entry.objects.get_or_create(collection=found, paper=paper)
    except IntegrityError:  # the same paper added at the same moment by another request
        added = False
    if added:
        found.touch()
    count = Entry.objects.filter(collection=found).count()
    return {"collection": found.slug, "paper": arxiv_id, "added": added, "papers": count}


@router.delete(
    "/me/collections/{slug}/papers/{path:arxiv_id}",
    auth=TokenAuth(),
    summary="Remove a paper (token)",
    **answers(Removed, 400, 401, 404, 429),
)
def remove_paper(
    request,
    slug: str = SlugPath,
    arxiv_id: str = Path(..., max_length=ID_CHARS, description=ID_DESCRIPTION),
):
    found = _collection(request.user, slug)
    arxiv_id = _paper_id(arxiv_id)
    removed, _ = Entry.objects.filter(collection=found, paper__arxiv_id=arxiv_id).delete()
    if not removed:
        raise HttpError(404, f"{arxiv_id} is not in {found.slug!r}")
    found.touch()
    count = Entry.objects.filter(collection=found).count()
    return {"collection": found.slug, "paper": arxiv_id, "removed": True, "papers": count}
