"""The operator's pages: /status/ (staff only) and /healthz (anyone: load balancers, uptime monitors)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from .status import health, status


@staff_member_required
@never_cache
def status_page(request):
    return render(request, "ops/status.html", {"status": status()})


@never_cache
def healthz(request):
    """200 with {"ok": true} when healthy, else 503 with the reasons: the database answers, a worker
    reported itself lately, and no arXiv harvest is overdue (ops.status.health)."""
    result = health()
    response = JsonResponse({"ok": result.ok, "reasons": result.reasons}, status=200 if result.ok else 503)
    # A monitor asks every few seconds: an unhealthy answer is its news, not a server error to log each
    # time (Django's request logger skips a response marked as logged already).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
