"""The papers of a list as its rows show them: one helper for every list of papers (newest, daily,
trending, search, collections, for-you, sharpen), so each row has the same fields, fetched the same way.

A row shows the title, the first authors, two lines of the abstract, the categories, the paper's code
link with its repository's GitHub stars, its votes (catalog.models.annotate_votes, here and on Hugging
Face apart), its comments (visible ones here, and Hugging Face's count where its daily list gave one,
apart). The row is built by the `paper_row` tag
(library/templatetags/rows.py).

Every list first finds which papers it shows (a page of ids), then asks `row_papers` for them: two
queries whatever the length (the papers with votes, comment counts and Hugging Face's count; their code
links with repositories). This lives in community, not catalog, because the comment count is community's
rule (Comment.objects.visible()).
"""

from collections.abc import Iterable
from types import SimpleNamespace

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from papertide.catalog.models import CodeLink, Paper

from .models import Comment

# Only the columns a row shows: on SQLite every column selected is also grouped by (for the votes).
ROW_COLUMNS = (
    "arxiv_id",
    "title",
    "title_clean",
    "abstract",
    "abstract_clean",
    "authors",
    "categories",
    "primary_category",
    "listed_on",
    "current_version",
)


def row_queryset(papers=None):
    """Papers (all, or this queryset of them) with what a row needs: `upvotes`, `local_votes`,
    `imported_votes` (with_votes), `comment_count` (visible comments here), `hub_comments` (Hugging Face's
    num_comments, None where its daily list never listed the paper), and `code_links` prefetched with
    their repositories (code kinds only, CodeLink.CODE_KINDS)."""
    papers = papers if papers is not None else Paper.objects.all()
    visible = (
        Comment.objects.visible()
        .filter(paper=OuterRef("pk"))
        .order_by()
        .values("paper")
        .annotate(n=Count("pk"))
        .values("n")
    )
    links = CodeLink.objects.filter(kind__in=CodeLink.CODE_KINDS).select_related("repository")
    return (
        papers.with_votes()
        .only(*ROW_COLUMNS)
        .annotate(
            comment_count=Coalesce(Subquery(visible, output_field=IntegerField()), Value(0)),
            # A join, not a subquery: one row a paper at most (one-to-one), and 0.8 ms less to build.
            hub_comments=F("hub__num_comments"),
        )
        .prefetch_related(Prefetch("code_links", queryset=links, to_attr="code_links_shown"))
    )


def row_papers(ids: Iterable[int]) -> dict[int, Paper]:
    """The papers of these ids as rows show them, by id: two queries, whatever the number."""
    ids = list(ids)
    if not ids:
        return {}
    return {paper.pk: paper for paper in row_queryset().filter(pk__in=ids)}


def in_order(ids: Iterable[int]) -> list[Paper]:
    """row_papers in the order of `ids` (a page of a list), leaving out any deleted meanwhile."""
    ids = list(ids)
    found = row_papers(ids)
    return [found[i] for i in ids if i in found]


def body_of(paper: Paper, **row) -> SafeString:
    """A row's body rendered alone (its buttons left out), for a list that keeps its rows per process
    while what they show holds (trending, the daily list, the newest papers): the `paper_row` tag's
    arguments (daily, show_day, trend, upvote), through rows/body.html."""
    return mark_safe(render_to_string("rows/body.html", {"paper": paper, **row}))


def frame(arxiv_id: str, pk: int, upvotes: int, local_votes: int, imported_votes: int) -> SimpleNamespace:
    """What a kept row's frame needs on each request (its upvote and save buttons)."""
    return SimpleNamespace(
        arxiv_id=arxiv_id, pk=pk, upvotes=upvotes, local_votes=local_votes, imported_votes=imported_votes
    )


def frame_of(paper: Paper) -> SimpleNamespace:
    """A kept row's frame, from its paper (row_papers)."""
    return frame(paper.arxiv_id, paper.pk, paper.upvotes, paper.local_votes, paper.imported_votes)
