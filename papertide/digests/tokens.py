"""Signed, expiring tokens for the links in digest mail: confirm, manage and unsubscribe without logging in.

A token names the subscription and its address, so it stops working if the address changes; each purpose
has its own salt, so a manage link cannot be replayed as an unsubscribe link or the other way round.
"""

from django.conf import settings
from django.core import signing

from .models import Subscription

PURPOSES = ("confirm", "manage", "unsubscribe")


def make(subscription: Subscription, purpose: str) -> str:
    assert purpose in PURPOSES
    return signing.dumps([subscription.pk, subscription.email], salt=f"papertide.digests.{purpose}")


def max_age(purpose: str) -> int:
    """Seconds a link stays good: confirmation links as long as account links, the others for as long as a
    digest may sit in an inbox before someone acts on it."""
    if purpose == "confirm":
        return settings.PASSWORD_RESET_TIMEOUT
    return settings.PAPERTIDE_DIGEST_LINK_DAYS * 86400


class BadLink(Exception):
    pass


def read(token: str, purpose: str) -> Subscription:
    """The subscription a token names; BadLink with the reason when it is expired, forged or stale."""
    try:
        pk, email = signing.loads(token, salt=f"papertide.digests.{purpose}", max_age=max_age(purpose))
    except signing.SignatureExpired:
        raise BadLink("This link has expired.") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise BadLink("This link is not valid.") from None
    subscription = Subscription.objects.filter(pk=pk, email=email).first()
    if subscription is None:
        raise BadLink("This subscription no longer exists.")
    return subscription
