"""The digests' part of a person's data (accounts.privacy): their subscription (the account's, and one
made with their address before they had an account), its saved searches, and the outbox: each digest
sent or due, with the papers it delivered.

Deleting the account deletes these subscriptions with everything under them (the account's by CASCADE,
one of the same address without an account here, in `forget`: the person proved the address is theirs
when they confirmed it at sign-up)."""

from django.db.models import Q

from papertide.accounts.privacy import forget_admin_log, iso

from .models import Digest, Subscription


def subscriptions_of(user):
    mine = Q(user=user)
    if user.email:
        mine |= Q(user=None, email__iexact=user.email)
    return Subscription.objects.filter(mine)


def export(user) -> list[dict]:
    subscriptions = subscriptions_of(user).prefetch_related("searches", "digests__delivered__paper")
    return [
        {
            "email": s.email,
            "frequency": s.frequency,
            "hour": s.hour,
            "time_zone": s.time_zone,
            "top_n": s.top_n,
            "state": s.state,
            "confirmed_at": iso(s.confirmed_at),
            "bounces": s.bounces,
            "paused_reason": s.paused_reason,
            "created": iso(s.created_at),
            "saved_searches": [
                {"query": q.query, "threshold": q.threshold, "created": iso(q.created_at)}
                for q in s.searches.all()
            ],
            "deliveries": [
                {
                    "due_on": iso(d.due_on),
                    "period": [iso(d.period_start), iso(d.period_end)],
                    "state": d.state,
                    "sent_at": iso(d.sent_at),
                    "last_error": d.last_error,
                    "papers": sorted(p.paper.arxiv_id for p in d.delivered.all()),
                }
                for d in sorted(s.digests.all(), key=lambda d: d.due_on)
            ],
        }
        for s in subscriptions.order_by("id")
    ]


def forget(user) -> None:
    """The subscriptions, with the admin's history of them and of their digests (both name the address)."""
    subscriptions = subscriptions_of(user)
    forget_admin_log(Subscription, subscriptions.values_list("pk", flat=True))
    forget_admin_log(
        Digest, Digest.objects.filter(subscription__in=subscriptions).values_list("pk", flat=True)
    )
    subscriptions.delete()
