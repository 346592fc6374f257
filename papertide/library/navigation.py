"""What the library's form views share: where a form without JS returns, and whether the page's script
asked for JSON."""

from django.utils.http import url_has_allowed_host_and_scheme


def back(request, default: str = "/") -> str:
    """Where to go after a form: its `next`, else the page it was on; only ever this site ("//evil.example"
    starts with a slash too)."""
    to = request.POST.get("next") or request.GET.get("next") or request.META.get("HTTP_REFERER") or default
    if not url_has_allowed_host_and_scheme(
        to, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return to


def wants_json(request) -> bool:
    return request.headers.get("Accept") == "application/json"
