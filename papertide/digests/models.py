"""E-mail digests: who gets one and how often, what they search for, and the outbox that sends them."""

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from papertide.search.encoder import DIMENSIONS
from papertide.search.fields import VectorField


def validate_timezone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{name!r} is not a time zone (e.g. Europe/Berlin, America/New_York)") from None


class SubscriptionQuerySet(models.QuerySet):
    def subscribe_account(self, user, now: datetime | None = None) -> "Subscription":
        """The digest of a signed-in account, started at once: its address was confirmed at sign-up. An
        earlier subscription of the same address (made without an account) becomes the account's."""
        with transaction.atomic():
            subscription, _ = self.get_or_create(email=user.email.lower())
            subscription._change(user=user, confirmed_at=now or timezone.now(), state=Subscription.ACTIVE)
        return subscription

    def record_bounce(self, reason: str) -> None:
        """One more permanent delivery failure in a row; an active subscription that reaches
        PAPERTIDE_DIGEST_MAX_BOUNCES of them is paused, with the reason for its owner to read."""
        limit = settings.PAPERTIDE_DIGEST_MAX_BOUNCES
        self.update(bounces=F("bounces") + 1)
        self.filter(bounces__gte=limit, state=Subscription.ACTIVE).update(
            state=Subscription.PAUSED,
            paused_reason=f"{limit} permanent delivery failures in a row; the last: {reason}",
        )

    def clear_bounces(self) -> int:
        """A delivery went through: the failures are no longer in a row."""
        return self.update(bounces=0)


class Subscription(models.Model):
    """One address's digest. Without an account it counts only once the address is confirmed (double
    opt-in); from a signed-in profile the address was confirmed at sign-up."""

    DAILY = "daily"
    WEEKDAYS = "weekdays"
    WEEKLY = "weekly"
    FREQUENCIES = [
        (WEEKDAYS, "every weekday (Monday's covers the weekend)"),
        (DAILY, "every day"),
        (WEEKLY, "weekly, on Mondays"),
    ]
    ACTIVE = "active"
    PAUSED = "paused"
    UNSUBSCRIBED = "unsubscribed"
    STATES = [(ACTIVE, "active"), (PAUSED, "paused after bounces"), (UNSUBSCRIBED, "unsubscribed")]

    email = models.EmailField(unique=True)
    user = models.OneToOneField(
        "auth.User", null=True, blank=True, on_delete=models.CASCADE, related_name="subscription"
    )
    frequency = models.CharField(max_length=10, choices=FREQUENCIES, default=WEEKDAYS)
    hour = models.PositiveSmallIntegerField(default=8, help_text="Local hour (0 to 23) the digest is sent.")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    top_n = models.PositiveSmallIntegerField(default=10, help_text="How many trending papers; 0 for none.")
    state = models.CharField(max_length=12, choices=STATES, default=ACTIVE)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    bounces = models.PositiveSmallIntegerField(default=0, help_text="Permanent failures in a row.")
    paused_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["state", "confirmed_at"], name="subscription_due")]

    def __str__(self) -> str:
        return f"{self.email} ({self.frequency}, {self.state})"

    # State changes. Each is one UPDATE of this row's changed columns (never a save() of every field, which
    # would write back whatever this instance read earlier), and this instance follows it. modified_at
    # moves with the owner's changes (update() skips auto_now); the outbox's bounce counting leaves it.

    def _change(self, **values) -> None:
        values["modified_at"] = timezone.now()
        Subscription.objects.filter(pk=self.pk).update(**values)
        for name, value in values.items():
            setattr(self, name, value)

    def confirm(self, now: datetime | None = None) -> None:
        """The owner pressed the button of the confirmation link: the digest starts, bounces forgotten."""
        self._change(confirmed_at=now or timezone.now(), state=self.ACTIVE, bounces=0, paused_reason="")

    def unsubscribe(self) -> None:
        self._change(state=self.UNSUBSCRIBED)

    def resume(self) -> None:
        """Sending again after a pause for bounces (the owner says the address works now)."""
        self._change(state=self.ACTIVE, bounces=0, paused_reason="")

    def resubscribe(self, **choices) -> None:
        """Asked for again before confirming, or after unsubscribing: the new choices (frequency, hour...)
        replace the old ones, and nothing is sent until the address is confirmed anew."""
        self._change(**choices, confirmed_at=None, state=self.ACTIVE)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def receives(self) -> bool:
        return self.state == self.ACTIVE and self.confirmed_at is not None


class SavedSearch(models.Model):
    """A free-text query matched against each period's new papers, by meaning and by words. Its vector is
    computed when it is saved, so composing ten thousand digests encodes nothing."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="searches")
    query = models.CharField(max_length=300)
    threshold = models.FloatField(
        default=0.5, help_text="Match score (0 to 1, half words, half meaning) a paper must reach."
    )
    model = models.CharField(max_length=200, blank=True)
    vector = VectorField(dimensions=DIMENSIONS, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "saved searches"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.query


class Digest(models.Model):
    """The outbox: one row per subscription and period, made before anything is sent. Workers claim rows
    with conditional updates, so two workers or a rerun never send the same row twice."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    STATES = [(s, s) for s in (PENDING, SENDING, SENT, SKIPPED, FAILED)]

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="digests")
    due_on = models.DateField(help_text="The subscriber's local day the digest is for.")
    period_start = models.DateField(help_text="First announcement day covered.")
    period_end = models.DateField(help_text="Last announcement day covered.")
    due_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=STATES, default=PENDING)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    papers = models.PositiveSmallIntegerField(default=0)
    message_id = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "due_on"], name="one_digest_per_period")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="digest_claimable")]

    def __str__(self) -> str:
        return f"digest {self.due_on} for {self.subscription.email}: {self.state}"


class Delivered(models.Model):
    """A paper that reached a subscriber: it is never sent to them again, in any later period or version
    (a paper is one row whatever its version)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="delivered")
    paper = models.ForeignKey("catalog.Paper", on_delete=models.CASCADE, related_name="+")
    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="delivered")

    class Meta:
        verbose_name_plural = "delivered papers"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "paper"], name="paper_once_per_subscriber")
        ]

    def __str__(self) -> str:
        return f"paper {self.paper_id} to subscription {self.subscription_id}"
