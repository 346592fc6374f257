"""The paper list, a paper's page, its Markdown form and its citation (BibTeX, RIS)."""

import json
import re
import time

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from papertide.caches import ProcessCache
from papertide.catalog.counts import RememberedCountPaginator
from papertide.catalog.models import CodeLink, Paper, StarCount
from papertide.catalog.shortcuts import get_paper
from papertide.community.changes import CACHE_SECONDS, community_state
from papertide.community.models import Comment, DailyEntry, Vote
from papertide.community.rows import body_of, frame_of, in_order
from papertide.library import transfer
from papertide.search import engine

from .charts import step_chart

SIMILAR = 5
# og:description and twitter:description: the abstract's start, cut at a word, about this long.
PREVIEW_CHARS = 200
WHITESPACE = re.compile(r"\s+")
# In a <script> element, "</script>" (or "<!--") in a title would end it: JSON may spell <, > and & as
# \u escapes, so the JSON-LD holds none of them (as Django's json_script writes it).
SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def paper_list(request):
    papers = Paper.objects.newest().only("arxiv_id")
    category = request.GET.get("category", "").strip()
    if category:
        papers = papers.in_category(category)
    size = settings.PAPERTIDE_PAGE_SIZE
    paginator = RememberedCountPaginator(papers, size, count_key=f"papers:{category}")
    page = paginator.get_page(request.GET.get("page"))
    # The page's ids first (a plain query the paginator counts cheaply), then its rows (community.rows),
    # kept per process while no paper arrives and nothing the rows show changes (as the daily list).
    ids = tuple(paper.pk for paper in page.object_list)
    state = community_state(comments=True, papers=True)
    rows = _newest.current(ids, state, lambda: [(frame_of(p), body_of(p)) for p in in_order(ids)])
    return render(request, "catalog/paper_list.html", {"page": page, "rows": rows, "category": category})


# (state, rows) by the page's ids: a bounded number, since a visitor chooses the page and category.
_newest = ProcessCache("rendered newest papers", ttl=CACHE_SECONDS, clock=time.time, max_entries=64)


def paper_detail(request, arxiv_id):
    paper = get_paper(
        arxiv_id,
        Paper.objects.with_votes()
        .select_related("hub")
        .prefetch_related(
            "versions", Prefetch("code_links", queryset=CodeLink.objects.select_related("repository"))
        ),
    )
    similar, embedded = similar_papers(paper)
    comments = (
        Comment.objects.filter(paper=paper)
        .thread_heads()
        .select_related("user")
        .prefetch_related(Prefetch("replies", queryset=Comment.objects.visible().select_related("user")))
    )
    # The days of the daily list it was in, oldest first, each with who put it there.
    days = DailyEntry.objects.filter(paper=paper).select_related("submitted_by").order_by("day")
    voted = request.user.is_authenticated and Vote.objects.filter(user=request.user, paper=paper).exists()
    url = request.build_absolute_uri(paper.get_absolute_url())
    context = {
        **charts(paper),
        "paper": paper,
        "similar": similar,
        "similar_by_meaning": embedded,
        "comments": comments,
        "days": days,
        "voted": {paper.pk} if voted else set(),
        "hub": getattr(paper, "hub", None),  # what Hugging Face's daily list says of it, if it listed it
        "url": url,
        "preview": preview(paper.abstract_display),
        "json_ld": json_ld(paper, url),
        "bibtex": transfer.to_bibtex([paper], abstracts=False),
    }
    return render(request, "catalog/paper_detail.html", context)


def similar_papers(paper: Paper) -> tuple[list[tuple[Paper, float]], bool]:
    """The papers nearest in meaning (search.engine.similar) and True; for a paper not embedded yet (or
    a catalog without vectors), the papers sharing the rarest words of its title, and False. The words'
    search is the search page's keyword side, bounded by its postings budget: a few milliseconds."""
    nearest = engine.similar(paper.pk, limit=SIMILAR)
    embedded = bool(nearest)
    if not embedded:
        try:
            text = engine.check_query(paper.title_display[: engine.MAX_QUERY_CHARS])
        except engine.SearchError:
            return [], False
        ranked = engine.keyword_top(text, SIMILAR + 1, engine.Filters())
        nearest = [(i, score) for i, score in ranked if i != paper.pk][:SIMILAR]
    by_id = Paper.objects.only("arxiv_id", "title", "title_clean", "authors", "listed_on").in_bulk(
        [i for i, _ in nearest]
    )
    return [(by_id[i], score) for i, score in nearest if i in by_id], embedded


def preview(abstract: str, limit: int = PREVIEW_CHARS) -> str:
    """The abstract's start on one line, cut at a word near `limit` characters, for link previews."""
    text = WHITESPACE.sub(" ", abstract).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return f"{cut}…"


def json_ld(paper: Paper, url: str) -> SafeString:
    """schema.org's ScholarlyArticle of the paper, as JSON safe inside <script type="application/ld+json">:
    what search engines and reference managers read (Google Scholar also reads the citation_* tags)."""
    article: dict = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "headline": paper.title_display,
        "name": paper.title_display,
        "author": [{"@type": "Person", "name": name} for name in paper.authors_display],
        "url": url,
        "sameAs": f"https://arxiv.org/abs/{paper.arxiv_id}",
        "identifier": {"@type": "PropertyValue", "propertyID": "arXiv", "value": paper.arxiv_id},
    }
    day = transfer.date_of(paper)
    if day:
        article["datePublished"] = day.isoformat()
    if paper.updated:
        article["dateModified"] = paper.updated.date().isoformat()
    if paper.abstract:
        article["abstract"] = paper.abstract_display
    if paper.categories:
        article["keywords"] = list(paper.categories)
    article["isAccessibleForFree"] = True
    return mark_safe(json.dumps(article, ensure_ascii=False).translate(SCRIPT_ESCAPES))  # noqa: S308


def charts(paper: Paper) -> dict:
    """The paper's Hugging Face upvotes and its repository's GitHub stars over time, as SVG step charts:
    one query each, only for a paper listed on Hugging Face or linking a repository the GitHub sync knows."""
    now = timezone.now()
    found: dict[str, str] = {}
    hub = getattr(paper, "hub", None)
    if hub is not None:
        upvotes = list(paper.upvote_counts.order_by("at").values_list("at", "upvotes"))
        if upvotes:
            found["upvote_chart"] = step_chart(upvotes, title="Upvotes on Hugging Face", now=now)
    links = {link.repository_id: link for link in paper.code_links.all() if link.repository_id}
    if links:
        series: dict[int, list] = {}
        names: dict[int, str] = {}
        rows = StarCount.objects.filter(repository_id__in=links).order_by("at")
        for repository_id, name, at, stars in rows.values_list(
            "repository_id", "repository__full_name", "at", "stars"
        ):
            series.setdefault(repository_id, []).append((at, stars))
            names[repository_id] = name
        if series:  # the paper's most starred repository (its own code, usually, not a library it uses)
            repository_id, readings = max(series.items(), key=lambda item: item[1][-1][1])
            title = f"GitHub stars of {names[repository_id]}"
            found["star_chart"] = step_chart(readings, title=title, now=now)
            found["star_repository"] = f"https://github.com/{names[repository_id]}"
    return found


def paper_markdown(request, arxiv_id):
    """The paper as Markdown (Hugging Face's /papers/{id}.md, read by huggingface_hub's read_paper), with
    the page's facts that cost nothing more: its upvotes, code (with stars) and Hugging Face's summary."""
    paper = get_paper(
        arxiv_id,
        Paper.objects.with_votes()
        .select_related("hub")
        .prefetch_related(Prefetch("code_links", queryset=CodeLink.objects.select_related("repository"))),
    )
    lines = [f"# {paper.title_display}", "", ", ".join(paper.authors_display), ""]
    links = f"arXiv: [{paper.versioned_id}]({paper.abs_url}) · [PDF]({paper.pdf_url})"
    if paper.html_url:
        links += f" · [HTML]({paper.html_url})"
    lines.append(links)
    lines.append(
        f"Upvotes: {paper.upvotes} ({paper.local_votes} here + {paper.imported_votes} on Hugging Face)"
    )
    for link in paper.code_links.all():
        stars = link.repository.stars if link.repository else None
        lines.append(f"{link.get_kind_display()}: <{link.url}>" + (f" ({stars:,} stars)" if stars else ""))
    hub = getattr(paper, "hub", None)
    if hub is not None and hub.ai_summary:
        lines += ["", "## Summary by Hugging Face's AI (not the authors')", "", hub.ai_summary]
    if hub is not None and hub.ai_keywords:
        lines += ["", f"Keywords by Hugging Face's AI: {', '.join(hub.ai_keywords)}"]
    lines += ["", "## Abstract", "", paper.abstract_display, ""]
    if paper.comments:
        lines += [f"Comments: {paper.comments_display}", ""]
    return HttpResponse("\n".join(lines), content_type="text/markdown; charset=utf-8")


def paper_citation(request, arxiv_id, fmt: str):
    """The paper's BibTeX or RIS, as a file: the library's writers, as a collection's export writes it."""
    paper = get_paper(arxiv_id)
    response = HttpResponse(transfer.WRITERS[fmt]([paper]), content_type=transfer.FORMATS[fmt])
    name = paper.arxiv_id.replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
