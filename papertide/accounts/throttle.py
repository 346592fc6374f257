"""Rate limits for the account forms: a POST beyond the limit gets HTTP 429 with a message."""

from functools import wraps

from django.conf import settings
from django.shortcuts import render

from .models import RateBucket


def client_address(request) -> str:
    # Behind a proxy (PAPERTIDE_HTTPS) the client is the first X-Forwarded-For address.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") if settings.PAPERTIDE_TRUST_PROXY else ""
    return forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "unknown")


def throttled(action: str):
    """Limit POSTs to the view: PAPERTIDE_ACCOUNT_RATE per client address per hour, per action."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                key = f"{action}:{client_address(request)}"
                if not RateBucket.take(key, settings.PAPERTIDE_ACCOUNT_RATE, 3600):
                    return render(request, "accounts/throttled.html", {"action": action}, status=429)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
