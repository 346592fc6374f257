"""The paper a URL names, for the views of every app that shows or acts on one paper."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from .ids import InvalidArxivId, parse_arxiv_id
from .models import Paper


def get_paper(arxiv_id: str, queryset=None) -> Paper:
    """The paper a URL names, or 404: also for ids the URL pattern lets through but arXiv never issued
    (month 13, say)."""
    try:
        arxiv_id = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId as exc:
        raise Http404(str(exc)) from None
    return get_object_or_404(Paper if queryset is None else queryset, arxiv_id=arxiv_id)
