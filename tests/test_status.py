"""The operator's view: /healthz (load balancers, uptime monitors), /status/ (staff) and `papertide status`,
on a worker's real runs: its heartbeat, and the real arXiv harvest job against replayed OAI-PMH answers."""

import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from papertide.catalog.models import IngestRun
from papertide.ops import jobs, runner
from papertide.ops.models import Job
from papertide.ops.status import health
from tests.personas import client_for
from tests.test_harvest import (  # noqa: F401
    FIRST,
    NEW_YORK_EVENING,
    NOW,
    OAI_PATH,
    _replay,
    retry_replies,
    server,
    succeeded_at,
)
from tests.test_ingest_command import ended_process

pytestmark = pytest.mark.django_db


def harvest_once(server, now, reachable: bool = True) -> str | None:  # noqa: F811
    """The worker's arxiv job, run as the worker runs it (claimed, recorded, with a heartbeat); with
    arXiv unreachable, nothing is recorded for its requests and both OAI-PMH and the API answer 404."""
    if reachable:
        server.add(OAI_PATH, {**FIRST, "set": "cs", "from": "2015-01-01"}, *retry_replies())
    registered = [jobs.JOBS["arxiv"]]
    with time_machine.travel(now, tick=False):
        runner.sync(registered, now)
        Job.objects.filter(name="arxiv").update(next_run_at=now)
        work = runner.Runner(registered, "test-host:1", write=lambda line: None)
        work.beat()
        assert runner.claim("arxiv", "test-host:1", now)
        return work.run(registered[0])


def healthz(client) -> tuple[int, dict]:
    answer = client.get("/healthz")
    return answer.status_code, json.loads(answer.content)


def test_a_new_instance_is_not_healthy_and_says_why(client):
    status, body = healthz(client)
    assert status == 503 and body["ok"] is False
    assert body["reasons"] == [
        "no worker has ever run (start `papertide worker`)",
        "arXiv has never been harvested",
    ]


def test_healthy_after_a_harvest_until_the_worker_is_silent_or_a_harvest_is_overdue(client, server, settings):  # noqa: F811
    settings.PAPERTIDE_CATEGORIES = ["cs.DM"]
    succeeded_at(NEW_YORK_EVENING)
    assert harvest_once(server, NOW) is not None  # Friday 2015-01-02, 20:30 in New York
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert healthz(client) == (200, {"ok": True, "reasons": []})
    # The worker stops reporting: unhealthy once its heartbeat is older than the limit.
    silent = NOW + timedelta(seconds=settings.PAPERTIDE_HEALTH_HEARTBEAT_SECONDS + 1)
    with time_machine.travel(silent, tick=False):
        status, body = healthz(client)
    assert status == 503 and body["reasons"][0].startswith("no worker has reported for")
    # arXiv's weekend: no announcement Friday or Saturday, so Sunday morning is still healthy (54 hours on).
    sunday = NOW + timedelta(hours=54)
    with time_machine.travel(sunday, tick=False):
        runner.Runner([], "test-host:1", write=lambda line: None).beat()
        assert health().ok
    # Sunday's announcement (20:00 New York, 01:00 UTC Monday) not harvested 12 hours on: overdue.
    monday = NOW + timedelta(days=2, hours=11, minutes=31)  # 2015-01-05 13:01 UTC
    with time_machine.travel(monday - timedelta(minutes=2), tick=False):
        runner.Runner([], "test-host:1", write=lambda line: None).beat()
        assert health().ok  # 11 h 59 min after it: not yet
    with time_machine.travel(monday, tick=False):
        runner.Runner([], "test-host:1", write=lambda line: None).beat()
        status, body = healthz(client)
    assert status == 503
    assert body["reasons"] == [
        "the last arXiv harvest is 2.5 days old: the announcement of 2015-01-05 01:00 UTC was not harvested"
    ]


def test_a_failed_harvest_shows_on_the_status_page_and_in_papertide_status(
    client,
    server,  # noqa: F811
    settings,
    moderator,
    reader,
):
    settings.PAPERTIDE_CATEGORIES = ["cs.DM"]
    succeeded_at(NEW_YORK_EVENING)
    assert harvest_once(server, NOW, reachable=False) is None
    job = Job.objects.get(name="arxiv")
    assert job.failing and "404" in job.last_error
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert client.get("/status/").status_code == 302  # staff only: to the log-in page
        assert client_for(reader).get("/status/").status_code == 302
        page = client_for(moderator).get("/status/")
        out = io.StringIO()
        with pytest.raises(CommandError) as unhealthy:
            call_command("status", stdout=out)
        machine = io.StringIO()
        with pytest.raises(CommandError):
            call_command("status", "--json", stdout=machine)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Not healthy" in html and "arXiv has never been harvested" in html
    assert 'class="failing"' in html and job.last_error[:60] in html
    assert unhealthy.value.returncode == 1
    text = out.getvalue()
    assert text.startswith("NOT HEALTHY") and "arXiv has never been harvested" in text
    assert f"last error 5 min ago: {job.last_error[:60]}" in text
    figures = json.loads(machine.getvalue())
    assert figures["ok"] is False and figures["jobs"]["arxiv"]["last_error"] == job.last_error
    assert figures["workers"] == {"test-host:1": NOW.isoformat()}


def test_papertide_status_when_healthy_shows_the_catalog_and_exits_0(server, settings):  # noqa: F811
    settings.PAPERTIDE_CATEGORIES = ["cs.DM"]
    succeeded_at(NEW_YORK_EVENING)
    harvest_once(server, NOW)
    out = io.StringIO()
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        call_command("status", stdout=out)
    text = out.getvalue()
    assert text.startswith("healthy\n")
    assert "catalog: 1 papers, 0 embedded, 1 waiting to be embedded" in text
    assert "newest: 1412.8544, first seen 60 s ago" in text
    assert "digest outbox: empty" in text


def test_an_import_whose_process_ended_mid_way_shows_as_interrupted(moderator):
    run = IngestRun.objects.create(source="snapshot", params="big.jsonl", owner=ended_process())
    page = client_for(moderator).get("/status/").content.decode()
    assert "import snapshot (big.jsonl)" in page and f"interrupted: its process ({run.owner})" in page
    out = io.StringIO()
    with pytest.raises(CommandError):  # not healthy (never harvested), but it lists the import
        call_command("status", stdout=out)
    assert f"interrupted: its process ({run.owner})" in out.getvalue()
    assert IngestRun.objects.get(pk=run.pk).state == IngestRun.RUNNING  # shown, not written by a GET
