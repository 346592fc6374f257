"""What the worker knows and shows: one row per registered job (its schedule, last outcome and lease) and
one row per worker process (its heartbeat). The schedule lives here, in the database, so that every
worker on every machine sees the same one, and an operator sees it with `papertide jobs`."""

from datetime import datetime

from django.db import models


class Job(models.Model):
    """A registered job (ops.jobs): when it runs next, how its last runs went, and who holds it now.

    A worker claims a due job by one conditional UPDATE that sets the lease (ops.runner.claim); the lease
    ends when the run is recorded, or runs out when its worker died, and then another worker runs it."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField(db_index=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_succeeded_at = models.DateTimeField(null=True, blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    last_seconds = models.FloatField(null=True, blank=True, help_text="how long the last run took")
    last_summary = models.TextField(blank=True, help_text="what the last successful run did, in a line")
    last_error = models.TextField(blank=True, help_text="the last failure's exception, in a line")
    last_traceback = models.TextField(blank=True, help_text="the last failure's traceback")
    runs = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=200, blank=True, help_text="the worker running it (host:pid)")
    lease_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def failing(self) -> bool:
        """Whether its last run failed."""
        return self.last_failed_at is not None and (
            self.last_succeeded_at is None or self.last_failed_at > self.last_succeeded_at
        )


class WorkerHeartbeat(models.Model):
    """A worker process, as it last reported itself: at each pass of its loop, and while a long job runs
    (at each lease renewal)."""

    worker = models.CharField(max_length=200, primary_key=True, help_text="host:pid")
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)
    current_job = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.worker

    @classmethod
    def freshest(cls) -> datetime | None:
        """When any worker last reported itself (None: no worker ever ran)."""
        return cls.objects.aggregate(latest=models.Max("seen_at"))["latest"]
