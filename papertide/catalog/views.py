from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from papertide.community.models import Comment
from papertide.search import engine

from .counts import RememberedCountPaginator
from .ids import InvalidArxivId, parse_arxiv_id
from .models import Paper


def paper_list(request):
    papers = Paper.objects.newest().only(
        "arxiv_id",
        "title",
        "title_clean",
        "authors",
        "categories",
        "primary_category",
        "listed_on",
        "current_version",
    )
    category = request.GET.get("category", "").strip()
    if category:
        papers = papers.in_category(category)
    size = settings.PAPERTIDE_PAGE_SIZE
    paginator = RememberedCountPaginator(papers, size, count_key=f"papers:{category}")
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "catalog/paper_list.html", {"page": page, "category": category})


def get_paper(arxiv_id: str, queryset=None) -> Paper:
    """The paper a URL names, or 404: also for ids the URL pattern lets through but arXiv never issued
    (month 13, say)."""
    try:
        arxiv_id = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId as exc:
        raise Http404(str(exc)) from None
    return get_object_or_404(Paper if queryset is None else queryset, arxiv_id=arxiv_id)


def paper_detail(request, arxiv_id):
    paper = get_paper(arxiv_id, Paper.objects.prefetch_related("versions", "code_links"))
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
    context = {"paper": paper, "similar": similar, "comments": comments}
    return render(request, "catalog/paper_detail.html", context)


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
