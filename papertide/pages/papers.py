"""The paper list, a paper's page and its Markdown form."""

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from papertide.catalog.counts import RememberedCountPaginator
from papertide.catalog.models import Paper, StarCount
from papertide.catalog.shortcuts import get_paper
from papertide.community.models import Comment, Vote
from papertide.community.rows import in_order
from papertide.search import engine

from .charts import step_chart


def paper_list(request):
    papers = Paper.objects.newest().only("arxiv_id")
    category = request.GET.get("category", "").strip()
    if category:
        papers = papers.in_category(category)
    size = settings.PAPERTIDE_PAGE_SIZE
    paginator = RememberedCountPaginator(papers, size, count_key=f"papers:{category}")
    page = paginator.get_page(request.GET.get("page"))
    # The page's ids first (a plain query the paginator counts cheaply), then its rows (community.rows).
    papers_shown = in_order(paper.pk for paper in page.object_list)
    return render(
        request, "catalog/paper_list.html", {"page": page, "papers": papers_shown, "category": category}
    )


def paper_detail(request, arxiv_id):
    paper = get_paper(
        arxiv_id, Paper.objects.with_votes().select_related("hub").prefetch_related("versions", "code_links")
    )
    nearest = engine.similar(paper.pk, limit=5)
    by_id = Paper.objects.only("arxiv_id", "title", "title_clean", "authors", "listed_on").in_bulk(
        [i for i, _ in nearest]
    )
    similar = [(by_id[i], score) for i, score in nearest if i in by_id]
    comments = (
        Comment.objects.visible()
        .filter(paper=paper, parent=None)
        .select_related("user")
        .prefetch_related(Prefetch("replies", queryset=Comment.objects.visible().select_related("user")))
    )
    voted = request.user.is_authenticated and Vote.objects.filter(user=request.user, paper=paper).exists()
    context = {
        **charts(paper),
        "paper": paper,
        "similar": similar,
        "comments": comments,
        "voted": {paper.pk} if voted else set(),
        "hub": getattr(paper, "hub", None),  # what Hugging Face's daily list says of it, if it listed it
    }
    return render(request, "catalog/paper_detail.html", context)


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
    """The paper as Markdown (Hugging Face's /papers/{id}.md, read by huggingface_hub's read_paper)."""
    paper = get_paper(arxiv_id, Paper.objects.prefetch_related("code_links"))
    lines = [f"# {paper.title_display}", "", ", ".join(paper.authors_display), ""]
    lines.append(f"arXiv: [{paper.versioned_id}]({paper.abs_url}) · [PDF]({paper.pdf_url})")
    lines += [f"{link.get_kind_display()}: <{link.url}>" for link in paper.code_links.all()]
    lines += ["", "## Abstract", "", paper.abstract_display, ""]
    if paper.comments:
        lines += [f"Comments: {paper.comments_display}", ""]
    return HttpResponse("\n".join(lines), content_type="text/markdown; charset=utf-8")
