"""Rate limits: every limited action of the site in one table, each counted in token buckets in the
database (RateBucket), refilled over an hour.

An action done by an account is counted twice: for the account (PAPERTIDE_<ACTION>_RATE an hour, a share
of it while the account is new) and for the client's address (PAPERTIDE_ADDRESS_RATE_FACTOR times as
many: a lab or a campus shares one address). The forms of people not logged in (sign-up, log-in...) are
counted per address alone (PAPERTIDE_ACCOUNT_RATE). Beyond a limit: HTTP 429 with a message that says
when to try again, and a Retry-After header; a page for a form, {"error", "status"} for a script that
asked for JSON (the API's error shape).
"""

import math
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from .models import RateBucket

HOUR = 3600  # every allowance is per hour


@dataclass(frozen=True)
class Limit:
    setting: str  # the allowance an hour: of an account, or of an address where per_account is False
    what: str  # what is counted, for the message ("comments")
    per_account: bool = True


LIMITS = {
    "signup": Limit("PAPERTIDE_ACCOUNT_RATE", "sign-up attempts", per_account=False),
    "login": Limit("PAPERTIDE_ACCOUNT_RATE", "log-in attempts", per_account=False),
    "password-reset": Limit("PAPERTIDE_ACCOUNT_RATE", "password-reset requests", per_account=False),
    "delete-account": Limit("PAPERTIDE_ACCOUNT_RATE", "account deletion attempts", per_account=False),
    "subscribe": Limit("PAPERTIDE_ACCOUNT_RATE", "digest subscriptions", per_account=False),
    # The export decodes every stored session to find the reader's (accounts.privacy): held like a form.
    "export": Limit("PAPERTIDE_ACCOUNT_RATE", "data exports", per_account=False),
    "submit": Limit("PAPERTIDE_SUBMIT_RATE", "submissions"),
    "comment": Limit("PAPERTIDE_COMMENT_RATE", "comments"),
    "report": Limit("PAPERTIDE_REPORT_RATE", "reports"),
    "vote": Limit("PAPERTIDE_VOTE_RATE", "upvotes"),
    "save": Limit("PAPERTIDE_SAVE_RATE", "saves"),
    "token": Limit("PAPERTIDE_NEW_TOKEN_RATE", "new API tokens"),
}


class Throttled(Exception):
    """A limit is reached: the message says which and when to try again (retry_after, whole seconds)."""

    def __init__(self, message: str, wait: float):
        super().__init__(message)
        self.retry_after = max(1, math.ceil(wait))


def client_address(request) -> str:
    # Behind a proxy (PAPERTIDE_HTTPS) the client is the first X-Forwarded-For address.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") if settings.PAPERTIDE_TRUST_PROXY else ""
    return forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "unknown")


def is_new(user) -> bool:
    """An account younger than PAPERTIDE_NEW_ACCOUNT_DAYS: held to a share of every allowance."""
    return user.date_joined > timezone.now() - timedelta(days=settings.PAPERTIDE_NEW_ACCOUNT_DAYS)


def account_allowance(action: str, user) -> int:
    per_hour = getattr(settings, LIMITS[action].setting)
    if is_new(user):
        return max(1, math.floor(per_hour * settings.PAPERTIDE_NEW_ACCOUNT_RATE_SHARE))
    return per_hour


def spend(request, action: str) -> None:
    """Count one `action` for the request's account and address, or raise Throttled (counting nothing)
    when either has used its allowance. A limit of accounts does not apply to someone not logged in: the
    view sends them to log in."""
    limit = LIMITS[action]
    per_hour = getattr(settings, limit.setting)
    buckets = []  # (key, capacity, who has used it up)
    if limit.per_account:
        user = request.user
        if not user.is_authenticated:
            return
        mine = account_allowance(action, user)
        who = "a new account" if mine < per_hour else "an account"
        buckets.append((f"{action}:account:{user.pk}", mine, f"your account has made {mine}, the most {who}"))
        per_hour *= settings.PAPERTIDE_ADDRESS_RATE_FACTOR
    address = f"{action}:address:{client_address(request)}"
    buckets.append((address, per_hour, f"your network address has sent {per_hour}, the most one address"))
    spent: list[str] = []
    for key, capacity, who_did in buckets:
        wait = RateBucket.take_or_wait(key, capacity, HOUR)
        if wait:
            for done in spent:
                RateBucket.give_back(done)
            message = f"{limit.what.capitalize()}: {who_did} may in an hour; try again in {in_words(wait)}."
            raise Throttled(message, wait)
        spent.append(key)


def spend_token_write(token_pk: int) -> None:
    """Count one write of the API by a personal token (PAPERTIDE_TOKEN_RATE an hour), or raise Throttled."""
    per_hour = settings.PAPERTIDE_TOKEN_RATE
    wait = RateBucket.take_or_wait(f"token:{token_pk}", per_hour, HOUR)
    if wait:
        raise Throttled(
            f"this token has made {per_hour} writes in the last hour, the most one may; "
            f"try again in {in_words(wait)}",
            wait,
        )


def in_words(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, math.ceil(seconds))} seconds"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes" if minutes < 90 else f"{math.ceil(minutes / 60)} hours"


def too_many(request, refusal: Throttled) -> HttpResponse:
    """The 429 answer: JSON in the API's error shape for a script, else a page."""
    response: HttpResponse
    if request.headers.get("Accept") == "application/json":
        response = JsonResponse({"error": str(refusal), "status": 429}, status=429)
    else:
        response = render(request, "accounts/throttled.html", {"message": str(refusal)}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def throttled(action: str):
    """Limit the view's POSTs by LIMITS[action]; looking (GET) is never limited."""

    if action not in LIMITS:  # fails when the view is defined, not on a request
        raise KeyError(f"no limit for {action!r} in accounts.throttle.LIMITS")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                try:
                    spend(request, action)
                except Throttled as refusal:
                    return too_many(request, refusal)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
