from django.db import models, transaction
from django.utils import timezone


class RateBucket(models.Model):
    """A token bucket per key (an action and a client), kept in the database so that limits hold across
    every web process on SQLite and PostgreSQL alike, without Redis."""

    key = models.CharField(max_length=200, unique=True)
    tokens = models.FloatField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key}: {self.tokens:.1f}"

    @classmethod
    def take(cls, key: str, capacity: int, per_seconds: float) -> bool:
        """Spend one token of ``key``'s bucket (``capacity`` tokens, refilled over ``per_seconds``);
        False when the bucket is empty."""
        now = timezone.now()
        rate = capacity / per_seconds
        with transaction.atomic():
            bucket, created = cls.objects.select_for_update().get_or_create(
                key=key[:200], defaults={"tokens": capacity - 1, "updated_at": now}
            )
            if created:
                return True
            elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)  # a clock set back refills nothing
            tokens = min(capacity, bucket.tokens + elapsed * rate)
            if tokens < 1:
                return False
            cls.objects.filter(pk=bucket.pk).update(tokens=tokens - 1, updated_at=now)
            return True

    @classmethod
    def give_back(cls, key: str) -> None:
        """Return the token a take() spent on something that did not happen (a mail the server refused).
        The next take() caps the bucket at its capacity again."""
        cls.objects.filter(key=key[:200]).update(tokens=models.F("tokens") + 1)


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
