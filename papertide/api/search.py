"""GET /api/papers/search: Hugging Face's endpoint of that name, with papertide's own parameters."""

from datetime import date
from typing import Literal

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from papertide.catalog.ids import InvalidArxivId, parse_arxiv_id
from papertide.catalog.models import CodeLink, Paper
from papertide.search import engine

from .errors import answers
from .params import ID_CHARS, ID_DESCRIPTION, NO_NUL, Day
from .serializers import PaperOut, paper_json

router = Router(tags=["search"])


class SearchParams(Schema):
    q: str = Field(
        ...,
        min_length=1,
        max_length=engine.MAX_QUERY_CHARS,
        pattern=NO_NUL,
        description="free text with at least one word; hybrid keyword and semantic search",
    )
    limit: int = Field(20, ge=1, le=100)
    category: str = Field(
        "", max_length=32, pattern=NO_NUL, description="arXiv category, primary or cross-listed"
    )
    since: Day | None = Field(None, alias="from", description="first listing day, YYYY-MM-DD")
    until: Day | None = Field(None, description="last listing day, YYYY-MM-DD")
    has_code: bool = Field(False, description="only papers with a code link")
    sort: Literal["relevance", "date"] = "relevance"
    mode: Literal["hybrid", "keyword", "semantic"] = "hybrid"


class Listed(Schema):
    """What every list of papers gives for each (Hugging Face's shape)."""

    paper: PaperOut
    title: str
    publishedAt: str | None
    numComments: int = Field(description="always 0: comments are not served by the API")


class Found(Listed):
    score: float = Field(description="the fused score the results are ranked by")
    keywordScore: float = Field(description="bm25, scaled to [0, 1] among the candidates")
    semanticScore: float = Field(description="cosine similarity, scaled to [0, 1] among the candidates")


class Similar(Listed):
    similarity: float = Field(description="cosine similarity of the two papers' embeddings")


def papers_by_id(ids: list[int]) -> dict[int, Paper]:
    """The papers of these ids, with their votes and code links, for paper_json."""
    papers = (
        Paper.objects.filter(pk__in=ids)
        .with_votes()
        .prefetch_related(Prefetch("code_links", queryset=CodeLink.objects.order_by("position")))
    )
    return {p.pk: p for p in papers}


def entry(paper: Paper, hit: engine.Hit | None = None, similarity: float | None = None) -> dict:
    data = paper_json(paper)
    item = {"paper": data, "title": data["title"], "publishedAt": data["publishedAt"], "numComments": 0}
    if hit is not None:
        item["score"] = round(hit.score, 4)
        item["keywordScore"] = round(hit.keyword, 4)
        item["semanticScore"] = round(hit.semantic, 4)
    if similarity is not None:
        item["similarity"] = round(similarity, 4)
    return item


@router.get("/papers/search", summary="Search papers (Hugging Face compatible)", **answers(list[Found], 400))
def search(request, params: Query[SearchParams]):
    filters = engine.Filters(params.category.strip(), params.since, params.until, params.has_code)
    results = engine.search(params.q, limit=params.limit, filters=filters, mode=params.mode)
    papers = papers_by_id([h.paper_id for h in results.hits])
    items = [(papers[h.paper_id], h) for h in results.hits if h.paper_id in papers]
    if params.sort == "date":
        items.sort(key=lambda item: (item[0].listed_on or date.min, item[0].arxiv_id), reverse=True)
    return [entry(paper, hit) for paper, hit in items]


@router.get(
    "/papers/{path:arxiv_id}/similar",
    summary="Papers similar to one paper",
    **answers(list[Similar], 400, 404),
)
def similar(
    request,
    arxiv_id: str = Path(..., max_length=ID_CHARS, description=ID_DESCRIPTION),
    limit: int = Query(5, ge=1, le=50),
):
    try:
        arxiv_id = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId as exc:
        raise HttpError(400, str(exc)) from None
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    nearest = engine.similar(paper.pk, limit)
    papers = papers_by_id([i for i, _ in nearest])
    return [entry(papers[i], similarity=s) for i, s in nearest if i in papers]
