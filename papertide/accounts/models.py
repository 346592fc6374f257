from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac


class RateBucket(models.Model):
    """A token bucket per key (an action and a client), kept in the database so that limits hold across
    every web process on SQLite and PostgreSQL alike, without Redis.

    The key is stored as a keyed hash (HMAC with the secret key), never as given: keys name e-mail and IP
    addresses, which a copy of the database must not reveal. A bucket is full again at `full_at`; from then
    on the row means no more than no row at all, and prune() deletes it."""

    key = models.CharField(max_length=64, unique=True, help_text="HMAC-SHA256 of the action and client")
    tokens = models.FloatField()
    updated_at = models.DateTimeField()
    full_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key[:12]}…: {self.tokens:.1f}"

    @staticmethod
    def digest(key: str) -> str:
        return salted_hmac("papertide.accounts.RateBucket", key, algorithm="sha256").hexdigest()

    @classmethod
    def take(cls, key: str, capacity: int, per_seconds: float) -> bool:
        """Spend one token of ``key``'s bucket (``capacity`` tokens, refilled over ``per_seconds``);
        False when the bucket is empty."""
        return cls.take_or_wait(key, capacity, per_seconds) == 0

    @classmethod
    def take_or_wait(cls, key: str, capacity: int, per_seconds: float) -> float:
        """Spend one token of ``key``'s bucket and return 0; when it is empty, spend nothing and return the
        seconds until it holds a token again."""
        now = timezone.now()
        rate = capacity / per_seconds
        with transaction.atomic():
            # A new bucket is made full, in a savepoint: when another process makes it in the same instant,
            # get_or_create reads (and locks) theirs instead.
            bucket, _ = cls.objects.select_for_update().get_or_create(
                key=cls.digest(key), defaults={"tokens": capacity, "updated_at": now, "full_at": now}
            )
            elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)  # a clock set back refills nothing
            tokens = min(float(capacity), bucket.tokens + elapsed * rate)
            if tokens < 1:
                return (1 - tokens) / rate
            full_at = now + timedelta(seconds=(capacity - tokens + 1) / rate)
            cls.objects.filter(pk=bucket.pk).update(tokens=tokens - 1, updated_at=now, full_at=full_at)
            return 0.0

    @classmethod
    def give_back(cls, key: str) -> None:
        """Return the token a take() spent on something that did not happen (a mail the server refused).
        The next take() caps the bucket at its capacity again."""
        cls.objects.filter(key=cls.digest(key)).update(tokens=models.F("tokens") + 1)

    @classmethod
    def prune(cls, now) -> int:
        """Delete the buckets that are full again (each refilled since its last use): how many."""
        return cls.objects.filter(full_at__lte=now).delete()[0]


class ApiToken(models.Model):
    """A personal token for the write API. Only its SHA-256 is kept; the token is shown once, at creation."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.name}"

    @staticmethod
    def hash(token: str) -> str:
        import hashlib

        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name: str) -> tuple["ApiToken", str]:
        import secrets

        token = "pt_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name[:100] or "token", digest=cls.hash(token)), token

    @classmethod
    def user_for(cls, token: str):
        found = (
            cls.objects.select_related("user").filter(digest=cls.hash(token), user__is_active=True).first()
        )
        if found is None:
            return None
        cls.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        return found
