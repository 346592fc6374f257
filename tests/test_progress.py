"""Progress lines of `papertide embed` and the worker when their output is not a terminal."""

import io
import re

import pytest
from django.core.management import call_command

from papertide.search import progress
from papertide.search.progress import Progress
from tests.search_data import import_sample


def test_a_line_at_most_every_interval_with_rate_and_time_left():
    now = [0.0]
    lines: list[str] = []
    bar = Progress(1000, lines.append, clock=lambda: now[0])
    for _ in range(5):  # 100 papers every 30 s
        now[0] += 30
        bar.update(100)
    assert lines == [
        "200 of 1,000 papers embedded, 3.3/s, about 4 min 00 s left (1 min 00 s so far)",
        "400 of 1,000 papers embedded, 3.3/s, about 3 min 00 s left (2 min 00 s so far)",
    ]
    bar.close()
    assert lines[-1] == "500 of 1,000 papers embedded, 3.3/s, about 2 min 30 s left (2 min 30 s so far)"


def test_a_short_run_writes_nothing_and_the_total_is_counted_only_for_a_line():
    lines: list[str] = []
    counted = []
    bar = Progress(lambda: counted.append(1) or 10, lines.append)
    bar.update(5)
    bar.close()
    assert lines == [] and counted == []


@pytest.mark.django_db
def test_embed_writes_progress_lines_when_stderr_is_not_a_terminal(monkeypatch):
    import_sample(12, embed=False)
    monkeypatch.setattr(progress, "EVERY", 0.0)
    err = io.StringIO()  # not a terminal: tqdm's bar is off
    call_command("embed", "--batch-size", "4", stdout=io.StringIO(), stderr=err)
    lines = [line for line in err.getvalue().splitlines() if "papers embedded" in line]
    assert lines[0].startswith("4 of 12 papers embedded, ")
    assert re.fullmatch(r"12 of 12 papers embedded, [\d.]+/s \(\d+ s so far\)", lines[-1])
    assert any("left" in line for line in lines)


@pytest.mark.django_db
def test_the_worker_writes_progress_lines(monkeypatch):
    import_sample(12, embed=False)
    monkeypatch.setattr(progress, "EVERY", 0.0)
    out = io.StringIO()
    call_command("worker", "--once", "--batch-size", "4", stdout=out)
    lines = out.getvalue().splitlines()
    assert "4 of 12 papers embedded" in "\n".join(lines)
    assert any(line.startswith("embedding: embedded 12 papers (") for line in lines)
