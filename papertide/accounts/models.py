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
            elapsed = (now - bucket.updated_at).total_seconds()
            tokens = min(capacity, bucket.tokens + elapsed * rate)
            if tokens < 1:
                return False
            cls.objects.filter(pk=bucket.pk).update(tokens=tokens - 1, updated_at=now)
            return True
