"""Private Atom feeds of a reader's recommendations: one for all their interests, one per interest.

A feed's address carries a token, django.core.signing's signature (salt SALT) of [user id, interest id or
None, fingerprint of the reader's feed key]. Nothing in the database names a token; a reader who resets
their feeds gets a new random key (FeedKey), and every address signed with the old one stops working.
A token that is forged, altered, signed for something else, reset, or names an account or interest that
is gone gets a plain 404 that says nothing of whose feed it was.

A feed holds the for-you ranking (recommend.for_you) of the papers new in the last FEED_PERIOD (a week), the
papers that reach their interest's threshold (the digest's), best first, at most ITEMS; each entry's
summary is its why line (library/why.html), then its abstract. Its queries do not grow with its entries.
"""

import hashlib
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_http_methods

from . import recommend
from .models import FeedKey, Interest

SALT = "papertide.library.private-feed"
ITEMS = 50
FEED_PERIOD = "week"  # of recommend.PERIODS


def _new_key() -> str:
    return secrets.token_urlsafe(24)


def _fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def feed_key(user) -> str:
    """The reader's feed key, made on first use."""
    found, _ = FeedKey.objects.get_or_create(user=user, defaults={"key": _new_key()})
    return found.key


def reset(user) -> None:
    """A new feed key: every private feed address of the reader handed out so far stops working."""
    FeedKey.objects.update_or_create(user=user, defaults={"key": _new_key(), "changed_at": timezone.now()})


def token(user, interest: Interest | None = None, key: str | None = None) -> str:
    value = [user.pk, interest.pk if interest else None, _fingerprint(key or feed_key(user))]
    return signing.Signer(salt=SALT).sign_object(value)


def feed_url(user, interest: Interest | None = None, request=None, key: str | None = None) -> str:
    """The absolute address of the reader's private feed (of one interest, or of all): from the request
    when there is one, else from PAPERTIDE_SITE_URL. `key`: the reader's feed key, when known already."""
    address = reverse("for-you-feed", args=[token(user, interest, key)])
    return (
        request.build_absolute_uri(address) if request else settings.PAPERTIDE_SITE_URL.rstrip("/") + address
    )


def feed_urls(user, request=None) -> list[tuple[str, str]]:
    """(label, address) of each of the reader's private feeds: all their interests, then each one."""
    key = feed_key(user)
    urls = [("All your interests", feed_url(user, request=request, key=key))]
    for interest in Interest.objects.filter(owner=user).only("id", "name", "owner_id"):
        urls.append((interest.name, feed_url(user, interest, request, key)))
    return urls


def read(value: str) -> tuple:
    """(user, interest or None) of a token; Http404 (saying nothing more) for any token that is not good."""
    try:
        user_id, interest_id, fingerprint = signing.Signer(salt=SALT).unsign_object(value)
    except (signing.BadSignature, ValueError, TypeError):
        raise Http404 from None
    found = FeedKey.objects.select_related("user").filter(user_id=user_id, user__is_active=True).first()
    if found is None or not constant_time_compare(_fingerprint(found.key), str(fingerprint)):
        raise Http404
    interest = None
    if interest_id is not None:
        interest = Interest.objects.filter(pk=interest_id, owner_id=user_id).first()
        if interest is None:
            raise Http404
    return found.user, interest


class PrivateFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response["Cache-Control"] = "private, max-age=600"  # one reader's: no shared cache keeps it
        response["X-Robots-Tag"] = "noindex"
        response["Referrer-Policy"] = "no-referrer"
        return response

    def get_object(self, request, token):
        return read(token)

    def title(self, obj):
        user, interest = obj
        about = f"“{interest.name}”" if interest else "all your interests"
        return f"For you on {settings.SITE_NAME}: {about}"

    def subtitle(self, obj):
        return (
            f"New papers of the last {FEED_PERIOD} that match your interests, best first. "
            "A private feed: keep its address to yourself."
        )

    def link(self, obj):
        return reverse("for-you")

    def items(self, obj):
        user, interest = obj
        end = timezone.now()
        start = end - recommend.PERIODS[FEED_PERIOD]
        if interest is not None:
            recs = recommend.for_you(
                user, start, end, interest_ids=[interest.pk], limit=ITEMS, least=interest.threshold
            )
        else:  # each paper by its best interest, against that interest's threshold
            ranked = recommend.for_you(user, start, end, limit=ITEMS * 4)
            recs = [r for r in ranked if r.match >= r.interest.threshold][:ITEMS]
        return recommend.attach_papers(recs)

    def item_title(self, rec):
        return rec.paper.title_display

    def item_link(self, rec):
        return rec.paper.get_absolute_url()

    def item_description(self, rec):
        return render_to_string("library/feed_entry.html", {"rec": rec})

    def item_pubdate(self, rec):
        return rec.paper.first_seen

    def item_author_name(self, rec):
        return ", ".join(rec.paper.authors_preview)


@login_required
@require_http_methods(["GET", "POST"])
def feeds(request):
    """The reader's private feed addresses, and a button that resets them."""
    if request.method == "POST":
        reset(request.user)
        messages.success(request, "Your private feeds have new addresses; the old ones no longer work.")
        return redirect("for-you-feeds")
    return render(request, "library/feeds.html")


urlpatterns = [
    path("for-you/feeds/", feeds, name="for-you-feeds"),
    path("for-you/feed/<str:token>/", PrivateFeed(), name="for-you-feed"),
]
