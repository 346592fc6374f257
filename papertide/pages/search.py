"""The search page: search's hits, shown as papers."""

from datetime import date

from django.shortcuts import render

from papertide.community.rows import row_papers
from papertide.search import engine
from papertide.search.embedding import coverage


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def search_page(request):
    q = request.GET.get("q", "").strip()
    filters = engine.Filters(
        category=request.GET.get("category", "").strip()[:32],
        since=_day(request.GET.get("from", "")),
        until=_day(request.GET.get("until", "")),
        has_code=request.GET.get("code") == "1",
    )
    sort = "date" if request.GET.get("sort") == "date" else "relevance"
    embedded, total = coverage(remember=True)
    context = {
        "q": q,
        "filters": filters,
        "sort": sort,
        "embedded": embedded,
        "total": total,
        "results": None,
    }
    status = 200
    if q:
        try:
            results = engine.search(q, limit=30, filters=filters)
        except engine.SearchError as exc:
            context["error"] = str(exc)
            status = 400
        else:
            papers = row_papers(h.paper_id for h in results.hits)
            items = [(papers[h.paper_id], h) for h in results.hits if h.paper_id in papers]
            if sort == "date":
                items.sort(key=lambda item: (item[0].listed_on or date.min, item[0].arxiv_id), reverse=True)
            context.update(results=items, mode=results.mode)
    return render(request, "search/search.html", context, status=status)
