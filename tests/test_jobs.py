"""The worker's jobs (ops.jobs, ops.runner) and `papertide jobs`: schedule, leases, failures, exactly once."""

import io
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from papertide.ops import jobs, runner
from papertide.ops.models import Job, WorkerHeartbeat
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Calls:
    """Job functions that count their runs (per job name) and can fail or take a while."""

    def __init__(self):
        self.runs: dict[str, int] = {}
        self.lock = threading.Lock()

    def job(self, name: str, seconds: float = 0.0, fail: bool = False):
        def run(*, now, should_stop, write):
            with self.lock:
                self.runs[name] = self.runs.get(name, 0) + 1
            time.sleep(seconds)
            if fail:
                raise ValueError(f"{name} cannot reach its source")
            write(f"{name} working")
            return f"{name} did its work"

        return jobs.Registered(name, run, jobs.Every("PAPERTIDE_JOB_DIGESTS_SECONDS"), f"test job {name}")


def run_pass(registered, owner="test:1") -> runner.Runner:
    lines: list[str] = []
    work = runner.Runner(registered, owner, write=lines.append)
    runner.sync(registered, timezone.now())
    work.run_due()
    work.lines = lines  # type: ignore[attr-defined]
    return work


def test_a_due_job_runs_once_and_is_scheduled_from_the_end_of_its_run(settings):
    settings.PAPERTIDE_JOB_DIGESTS_SECONDS = 60
    calls = Calls()
    registered = [calls.job("a")]
    with time_machine.travel(T0, tick=False):
        work = run_pass(registered)
        run_pass(registered)  # not due again
    job = Job.objects.get(name="a")
    assert calls.runs == {"a": 1}
    assert job.last_started_at == job.last_succeeded_at == T0
    assert job.next_run_at == T0 + timedelta(seconds=60)
    assert job.last_summary == "a did its work" and job.runs == 1 and job.failures == 0
    assert job.lease_owner == "" and job.lease_until is None
    assert "a: a working" in work.lines and any(line.startswith("a: a did its work (") for line in work.lines)
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        run_pass(registered)
    assert calls.runs == {"a": 2}


def test_a_failing_job_is_logged_with_its_traceback_recorded_and_the_loop_goes_on(caplog):
    calls = Calls()
    registered = [calls.job("broken", fail=True), calls.job("fine")]
    with caplog.at_level(logging.ERROR, logger="papertide.jobs"), time_machine.travel(T0, tick=False):
        run_pass(registered)
    assert calls.runs == {"broken": 1, "fine": 1}  # the next job ran
    (record,) = [r for r in caplog.records if r.name == "papertide.jobs"]
    assert record.exc_info and "job broken failed" in record.getMessage()
    broken = Job.objects.get(name="broken")
    assert broken.last_error == "ValueError: broken cannot reach its source"
    assert "Traceback (most recent call last)" in broken.last_traceback
    assert "raise ValueError" in broken.last_traceback
    assert broken.last_failed_at == T0 and broken.last_succeeded_at is None and broken.failing
    assert broken.failures == broken.runs == 1
    assert broken.lease_until is None and broken.next_run_at > T0  # not retried in a tight loop
    assert Job.objects.get(name="fine").last_succeeded_at == T0


def test_a_failed_run_is_tried_again_within_the_retry_time_not_at_its_next_schedule(settings):
    settings.PAPERTIDE_JOB_DIGESTS_SECONDS = 86400  # a daily job, as the arXiv harvest is
    settings.PAPERTIDE_JOB_RETRY_SECONDS = 1800
    calls = Calls()
    registered = [calls.job("daily", fail=True)]
    with time_machine.travel(T0, tick=False):
        run_pass(registered)
    assert Job.objects.get(name="daily").next_run_at == T0 + timedelta(seconds=1800)
    ok = [calls.job("daily")]
    with time_machine.travel(T0 + timedelta(seconds=1801), tick=False):
        run_pass(ok)
    job = Job.objects.get(name="daily")
    assert calls.runs == {"daily": 2} and not job.failing
    assert job.next_run_at == T0 + timedelta(seconds=1801 + 86400)  # a success goes by the schedule


def test_a_live_lease_is_left_alone_and_an_expired_one_is_taken_over():
    calls = Calls()
    registered = [calls.job("a")]
    with time_machine.travel(T0, tick=False):
        runner.sync(registered, T0)
        # Another worker holds it: nothing runs.
        assert runner.claim("a", "other:7", T0)
        run_pass(registered)
        assert calls.runs == {}
    # That worker died: once its lease has run out, the job runs again here.
    with time_machine.travel(T0 + runner.lease() + timedelta(seconds=1), tick=False):
        run_pass(registered)
    assert calls.runs == {"a": 1}
    job = Job.objects.get(name="a")
    assert job.lease_owner == "" and job.last_succeeded_at is not None


def test_a_long_job_renews_its_lease_and_stops_when_it_lost_it(settings):
    settings.PAPERTIDE_JOB_LEASE_SECONDS = 10  # renewed at most every second
    seen: list[datetime | None] = []

    def long(*, now, should_stop, write):
        for _ in range(3):
            time.sleep(1.05)
            should_stop()
            seen.append(Job.objects.get(name="long").lease_until)
        Job.objects.filter(name="long").update(lease_owner="thief:2")  # taken over meanwhile
        time.sleep(1.05)
        return "stopped" if should_stop() else "went on"

    registered = [jobs.Registered("long", long, jobs.Every("PAPERTIDE_JOB_DIGESTS_SECONDS"), "")]
    run_pass(registered)
    assert seen[0] < seen[1] < seen[2]
    assert Job.objects.get(name="long").last_summary == "stopped"
    assert WorkerHeartbeat.objects.get(worker="test:1").current_job == ""


def test_heartbeats_and_the_freshest():
    assert WorkerHeartbeat.freshest() is None
    with time_machine.travel(T0, tick=False):
        runner.beat("host:1", T0, "embedding")
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        runner.beat("host:2", T0)
    assert WorkerHeartbeat.freshest() == T0 + timedelta(minutes=5)
    assert WorkerHeartbeat.objects.get(worker="host:1").current_job == "embedding"


def test_a_shorter_period_takes_effect_when_the_worker_starts(settings):
    settings.PAPERTIDE_JOB_DIGESTS_SECONDS = 3600
    calls = Calls()
    registered = [calls.job("a")]
    with time_machine.travel(T0, tick=False):
        run_pass(registered)
        assert Job.objects.get(name="a").next_run_at == T0 + timedelta(hours=1)
        settings.PAPERTIDE_JOB_DIGESTS_SECONDS = 60
        runner.sync(registered, T0)
    assert Job.objects.get(name="a").next_run_at == T0 + timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_run_each_due_job_exactly_once():
    if connection.vendor != "postgresql":
        pytest.skip("exactly once across workers is PostgreSQL's promise (in-memory SQLite: one writer)")
    calls = Calls()
    registered = [calls.job(f"job{i}", seconds=0.05) for i in range(8)]
    runner.sync(registered, timezone.now())
    ran: list[int] = []

    def worker(i: int) -> None:
        work = runner.Runner(registered, f"machine{i}:{i}", write=lambda line: None)
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:  # both loop over the same due jobs, again and again
            ran.append(work.run_due())

    assert not at_once(worker, 2)
    assert calls.runs == {f"job{i}": 1 for i in range(8)}
    assert sum(ran) == 8
    assert set(Job.objects.values_list("runs", flat=True)) == {1}
    assert not Job.objects.exclude(lease_owner="").exists()


def test_jobs_command_prints_the_table_and_runs_one_now(caplog):
    out = io.StringIO()
    call_command("jobs", stdout=out)
    table = out.getvalue()
    header, *lines = table.splitlines()
    assert header.split() == [
        "job",
        "schedule",
        "next",
        "run",
        "last",
        "start",
        "last",
        "success",
        "last",
        "error",
    ]
    assert [line.split()[0] for line in lines] == list(jobs.JOBS)
    embedding = lines[list(jobs.JOBS).index("embedding")]
    assert "every 10 s" in embedding and "never" in embedding

    out = io.StringIO()
    call_command("jobs", "run", "housekeeping", stdout=out)
    assert "housekeeping: pruned 0 refilled rate-limit buckets" in out.getvalue()
    job = Job.objects.get(name="housekeeping")
    assert job.runs == 1 and job.last_succeeded_at and job.lease_until is None
    out = io.StringIO()
    call_command("jobs", stdout=out)
    (line,) = [line for line in out.getvalue().splitlines() if line.startswith("housekeeping")]
    assert "(in 24 h" in line and "never" not in line  # next run in a day; started and succeeded just now


def test_jobs_run_of_an_unknown_name_lists_the_names():
    with pytest.raises(CommandError) as raised:
        call_command("jobs", "run", "harvest-mars")
    assert "no job named harvest-mars" in str(raised.value)
    assert all(name in str(raised.value) for name in jobs.JOBS)
    with pytest.raises(CommandError, match="no job named nope"):
        call_command("worker", "--once", "--jobs", "nope")


def test_jobs_run_refuses_a_job_another_worker_is_running():
    runner.sync(jobs.JOBS.values(), timezone.now())
    assert runner.claim("digests", "elsewhere:9", timezone.now(), force=True)
    with pytest.raises(CommandError, match="digests is running on elsewhere:9"):
        call_command("jobs", "run", "digests")


def test_jobs_run_of_a_failing_job_records_it_and_says_so(monkeypatch, caplog):
    calls = Calls()
    monkeypatch.setitem(jobs.JOBS, "flaky", calls.job("flaky", fail=True))
    with pytest.raises(CommandError, match="flaky failed: ValueError: flaky cannot reach its source"):
        call_command("jobs", "run", "flaky", stdout=io.StringIO())
    assert Job.objects.get(name="flaky").failures == 1
    out = io.StringIO()
    call_command("jobs", stdout=out)
    assert "ValueError: flaky cannot reach its source" in out.getvalue()
    assert "flaky failed last time:" in out.getvalue() and "Traceback" in out.getvalue()


def test_housekeeping_prunes_refilled_buckets_expired_sessions_and_old_heartbeats():
    from django.contrib.sessions.backends.db import SessionStore

    from papertide.accounts.models import RateBucket

    with time_machine.travel(T0, tick=False):
        assert RateBucket.take("signup:10.0.0.1", 10, 3600)  # a token of 10 an hour: full again in 6 min
        assert RateBucket.take("digest-mail:a@example.org", 3, 86400)  # one of 3 a day: in 8 hours
        session = SessionStore()
        session.set_expiry(60)
        session["x"] = 1
        session.save()
        runner.beat("gone:1", T0)
    assert RateBucket.prune(T0 + timedelta(minutes=5)) == 0  # neither has refilled yet
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        runner.beat("alive:2", T0)
        kept = SessionStore()
        kept["y"] = 2
        kept.save()
    with time_machine.travel(T0 + timedelta(days=1, minutes=29), tick=False):
        assert RateBucket.take("signup:10.0.0.2", 10, 3600)
    out = io.StringIO()
    with time_machine.travel(T0 + timedelta(days=1, minutes=30), tick=False):
        call_command("jobs", "run", "housekeeping", stdout=out)
    # both buckets of T0 have refilled and went; 10.0.0.2's is refilling
    assert list(RateBucket.objects.values_list("key", flat=True)) == [RateBucket.digest("signup:10.0.0.2")]
    assert "pruned 2 refilled rate-limit buckets, 1 expired sessions" in out.getvalue()
    out = io.StringIO()
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        call_command("jobs", "run", "housekeeping", stdout=out)
    assert "pruned 1 refilled rate-limit buckets, 0 expired sessions, 1 old worker" in out.getvalue()
    assert not RateBucket.objects.exists()
    assert set(WorkerHeartbeat.objects.values_list("worker", flat=True)) == {"alive:2"}
    assert SessionStore().exists(kept.session_key) and not SessionStore().exists(session.session_key)


def test_worker_once_with_jobs_runs_only_those_and_writes_its_heartbeat():
    out = io.StringIO()
    call_command("worker", "--once", "--jobs", "display-text", "housekeeping", stdout=out)
    assert set(Job.objects.exclude(last_succeeded_at=None).values_list("name", flat=True)) == {
        "display-text",
        "housekeeping",
    }
    assert "display-text: cleaned the display text of 0 papers (" in out.getvalue()
    assert "embedding:" not in out.getvalue()
    (heartbeat,) = WorkerHeartbeat.objects.all()
    assert heartbeat.worker == runner.worker_name() and heartbeat.current_job == ""
    assert WorkerHeartbeat.freshest() == heartbeat.seen_at


def test_keyword_stats_job_counts_on_postgresql_and_leaves_sqlite_to_its_index():
    out = io.StringIO()
    call_command("jobs", "run", "keyword-stats", stdout=out)
    if connection.vendor == "postgresql":
        assert "keyword-stats: counted the papers of 0 common words" in out.getvalue()  # an empty catalog
    else:
        assert "nothing to count: the keyword index keeps its own word counts" in out.getvalue()
    assert Job.objects.get(name="keyword-stats").runs == 1
