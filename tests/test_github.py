"""The GitHub sync against a local server replaying the real GitHub API recordings
(tests/github_recordings.py).

The recordings are from 2012 to 2021; each test travels to the recording's own time, so the quota reset
times they carry are as near as they were. A run's clock starts at the time it is given and moves on with
the run (milliseconds here), hence `near`.
"""

from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import time_machine
from django.utils import timezone

from papertide.catalog.github import (
    due_repositories,
    github_pause,
    github_quota,
    link_repositories,
    repository_name,
    sync_github,
)
from papertide.catalog.models import CodeLink, Paper, Repository, StarCount
from papertide.catalog.records import SourceError
from papertide.community.models import DailyEntry
from tests.github_recordings import betamax, pygithub, secondary_limit_403
from tests.personas import client_for
from tests.replay import ReplayServer

pytestmark = pytest.mark.django_db


def paper_linking(arxiv_id: str, *urls: str) -> Paper:
    paper = Paper.objects.create(arxiv_id=arxiv_id, title=f"Paper {arxiv_id}")
    for position, url in enumerate(urls):
        CodeLink.objects.create(paper=paper, url=url, kind="github", position=position)
    return paper


def run(lines: list[str] | None = None, should_stop=lambda: False) -> str:
    return sync_github(
        now=timezone.now(), should_stop=should_stop, write=(lines if lines is not None else []).append
    )


def recorded_at(reply) -> datetime:
    return parsedate_to_datetime(reply.headers.get("date") or reply.headers["Date"])


@pytest.fixture
def github(settings):
    """A replay server standing in for api.github.com; `queue` replies answer in turn, whatever is asked."""
    queue: list = []
    with ReplayServer(respond=lambda path, headers: queue.pop(0) if queue else None) as server:
        server.queue = queue
        settings.PAPERTIDE_GITHUB_API_URL = server.url
        settings.PAPERTIDE_GITHUB_TOKEN = ""
        yield server


def near(when: datetime, expected: datetime) -> bool:
    return abs(when - expected) < timedelta(seconds=5)


def asked(server) -> list[str]:
    return [path for _, path in server.log]


def test_repository_names_come_from_github_links():
    assert repository_name("https://github.com/akfish/pygithub") == "akfish/pygithub"
    assert repository_name("https://github.com/Vchitect/ShotBench/tree/main") == "vchitect/shotbench"
    assert repository_name("https://www.github.com/a-b/c.d_e.git") == "a-b/c.d_e"
    assert repository_name("https://github.com/DFIR-Metric") is None  # an organisation, no repository
    assert repository_name("https://gitlab.com/a/b") is None
    assert repository_name("https://github.com/a/..") is None


def test_links_to_one_repository_in_two_spellings_share_it():
    paper_linking("2501.00001", "https://github.com/sigmavirus24/github3.py")
    paper_linking("2501.00002", "https://github.com/SigmaVirus24/github3.py/tree/main")
    assert link_repositories() == 2
    assert list(Repository.objects.values_list("name", flat=True)) == ["sigmavirus24/github3.py"]
    assert link_repositories() == 0  # every link has its repository


def test_etag_then_304_adds_no_sample_and_leaves_the_quota(github):
    first, unchanged, updated = (
        pygithub(name)[0]
        for name in (
            "ConditionalRequestUpdate.setUp",
            "ConditionalRequestUpdate.testDidNotUpdate",
            "ConditionalRequestUpdate.testDidUpdate",
        )
    )
    paper_linking("2501.00001", "https://github.com/akfish/pygithub")
    github.queue.append(first.reply)
    with time_machine.travel(recorded_at(first.reply), tick=False):
        assert "1 changed" in run()
    repository = Repository.objects.get()
    assert (repository.full_name, repository.stars, repository.etag) == (
        "akfish/PyGithub",
        0,  # a fork nobody starred (watchers_count: the 2013 API's name for stars)
        '"8600bedcb7fed1d8065e1693e05529ce"',
    )
    quota = github_quota(recorded_at(first.reply))
    assert quota[:2] == (4988, 5000)

    github.queue.append(unchanged.reply)
    with time_machine.travel(recorded_at(unchanged.reply), tick=False):
        assert "1 unchanged" in run()
    # The stored ETag went out as GitHub's own client sent it, and GitHub's 304 says nothing changed.
    assert github.headers[1]["if-none-match"] == unchanged.request_headers["If-None-Match"]
    assert StarCount.objects.count() == 1
    assert github_quota(recorded_at(unchanged.reply)) == quota  # a 304 costs nothing
    assert near(Repository.objects.get().checked_at, recorded_at(unchanged.reply))

    github.queue.append(updated.reply)  # a new ETag, the same count
    with time_machine.travel(recorded_at(updated.reply), tick=False):
        assert "1 same" in run()
    assert StarCount.objects.count() == 1  # a re-read count adds nothing to the series
    assert Repository.objects.get().etag == '"ef281ef0e821c18f80da36902727160b"'
    assert github_quota(recorded_at(updated.reply))[:2] == (4987, 5000)


def test_a_spent_quota_stops_the_run_and_the_next_waits_for_the_window(github):
    """Remaining 2, 1, 0: the run stops at 0 without asking for the fourth repository. The recording asked
    /users/jacquev6, so each body is reported as no repository; what counts here is the quota it reports.
    It gives no reset time: the sync waits for the primary quota's window, an hour."""
    exchanges = pygithub("SpecificExceptions.testRateLimitExceeded.before-2025-trim")
    assert [e.reply.headers["x-ratelimit-remaining"] for e in exchanges] == ["2", "1", "0", "0", "0"]
    github.queue.extend(e.reply for e in exchanges)
    for n in range(4):
        paper_linking(f"2501.0000{n}", f"https://github.com/jacquev6/repo{n}")
    start = recorded_at(exchanges[0].reply)
    lines: list[str] = []
    with time_machine.travel(start, tick=False):
        summary = run(lines)
    assert len(github.log) == 3
    assert "quota spent" in summary and "3 skipped" in summary
    assert any("not a repository" in line for line in lines)
    assert Repository.objects.filter(checked_at=None).count() == 1
    assert github_quota(start)[:2] == (0, 60)
    assert near(github_pause(start)[0], start + timedelta(hours=1))

    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert "waiting until" in run()
    assert len(github.log) == 3  # nothing asked while waiting

    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        run()
    assert len(github.log) == 4
    assert asked(github)[3] == "/repos/jacquev6/repo3"  # the one left unread goes first


def test_a_403_for_the_spent_quota_stops_and_is_remembered(github):
    refused = pygithub("SpecificExceptions.testRateLimitExceeded")[1]
    assert refused.reply.status == 403
    github.queue.append(refused.reply)
    paper_linking("2501.00001", "https://github.com/jacquev6/pygithub")
    paper_linking("2501.00002", "https://github.com/akfish/pygithub")
    start = recorded_at(refused.reply)
    with time_machine.travel(start, tick=False):
        summary = run()
    assert "quota spent" in summary and "API Rate Limit Exceeded" in summary
    assert len(github.log) == 1
    assert not Repository.objects.exclude(checked_at=None).exists()  # nothing was read
    assert near(github_pause(start)[0], start + timedelta(hours=1))
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        run()
    assert len(github.log) == 1


def test_a_secondary_limit_with_retry_after_backs_off_that_long(github):
    refused = pygithub("SpecificExceptions.testAuthenticatedRateLimitExceeded")[1]
    assert (refused.reply.status, refused.reply.headers["Retry-After"]) == (403, "60")
    answer = betamax("GitHub_repository")[0]
    github.queue.extend([refused.reply, answer.reply])
    paper_linking("2501.00001", "https://github.com/sigmavirus24/github3.py")
    paper_linking("2501.00002", "https://github.com/pycqa/flake8")
    start = recorded_at(refused.reply)
    with time_machine.travel(start, tick=False):
        summary = run()
    assert "secondary rate limit" in summary and "abuse detection" in summary
    assert len(github.log) == 1  # the run stopped at once
    until, reason = github_pause(start)
    assert near(until, start + timedelta(seconds=60))
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        run()
    assert len(github.log) == 1
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert "1 changed, 1 gone" in run()  # the replay knows no flake8 here: its 404
    assert asked(github)[1:] == ["/repos/sigmavirus24/github3.py", "/repos/pycqa/flake8"]


def test_a_secondary_limit_without_retry_after_waits_at_least_a_minute(github):
    refused = secondary_limit_403()  # remaining 4290 of 5000: not the primary quota; the body cut short
    assert "Retry-After" not in refused.reply.headers
    github.queue.append(refused.reply)
    paper_linking("2501.00001", "https://github.com/pycqa/flake8")
    start = recorded_at(refused.reply)
    with time_machine.travel(start, tick=False):
        assert "secondary rate limit" in run()
    assert github_pause(start)[0] >= start + timedelta(minutes=1)
    assert github_pause(start + timedelta(minutes=1, seconds=5)) is None
    assert github_quota(start) == (4290, 5000, datetime.fromtimestamp(1636520514, UTC))


def test_a_moved_repository_is_followed_and_its_new_name_stored(github, moderator):
    moved, found = betamax("Repository_stargazers", api_url=github.url)[:2]
    assert moved.reply.status == 301
    github.add(moved.path, "", moved.reply)
    github.add(found.path, "", found.reply)
    paper_linking("2501.00001", "https://github.com/sigmavirus24/betamax")
    start = recorded_at(moved.reply)
    with time_machine.travel(start, tick=False):
        summary = run()
    assert "1 moved" in summary
    assert asked(github) == ["/repos/sigmavirus24/betamax", "/repositories/11439734"]
    repository = Repository.objects.get()
    assert (repository.name, repository.full_name, repository.stars) == (
        "sigmavirus24/betamax",  # as the paper links it
        "betamaxpy/betamax",
        484,
    )
    assert github_quota(start)[:2] == (44, 60)  # two requests: the redirect and the answer

    # Later reads ask for the new name directly: no redirect, and with the ETag of the answer.
    github.add("/repos/betamaxpy/betamax", "", found.reply)
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        assert "1 same" in run()
    assert asked(github)[2:] == ["/repos/betamaxpy/betamax"]
    assert github.headers[2]["if-none-match"] == found.reply.headers["ETag"]
    assert StarCount.objects.count() == 1

    # The admin shows what the sync read.
    staff = client_for(moderator)
    assert "betamaxpy/betamax" in staff.get("/admin/catalog/repository/").content.decode()
    change = staff.get(f"/admin/catalog/repository/{repository.pk}/change/").content.decode()
    assert "484" in change


def test_a_repository_github_does_not_know_is_gone_and_asked_again_a_week_later(github):
    """No 404 from GitHub is among the recordings: the replay server's 404 for an unknown path stands in."""
    paper_linking("2501.00001", "https://github.com/nobody/nothing-here")
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        assert "1 gone" in run()
    assert Repository.objects.get().state == Repository.GONE
    with time_machine.travel(now + timedelta(days=6), tick=False):
        run()
    assert len(github.log) == 1
    with time_machine.travel(now + timedelta(days=7, minutes=1), tick=False):
        run()
    assert len(github.log) == 2


@pytest.mark.parametrize("token", ["", "ghp_not_a_real_token"])
def test_the_token_is_sent_when_set(github, settings, token):
    settings.PAPERTIDE_GITHUB_TOKEN = token
    github.queue.append(betamax("GitHub_repository")[0].reply)
    paper_linking("2501.00001", "https://github.com/sigmavirus24/github3.py")
    run()
    assert github.headers[0].get("authorization") == (f"Bearer {token}" if token else None)
    assert github.headers[0]["accept"] == "application/vnd.github+json"
    assert Repository.objects.get().stars == 744


def test_papers_of_recent_daily_lists_are_read_first(github, settings):
    settings.PAPERTIDE_GITHUB_BATCH = 1
    answer = betamax("GitHub_repository")[0].reply
    paper_linking("2501.00001", "https://github.com/old/paper")
    recent = paper_linking("2501.00002", "https://github.com/sigmavirus24/github3.py")
    listed_long_ago = paper_linking("2501.00003", "https://github.com/listed/long-ago")
    now = datetime(2026, 3, 10, 8, tzinfo=UTC)
    DailyEntry.objects.create(paper=recent, day=date(2026, 3, 9), source=DailyEntry.HUGGINGFACE)
    DailyEntry.objects.create(paper=listed_long_ago, day=date(2026, 1, 9), source=DailyEntry.HUGGINGFACE)
    github.queue.append(answer)
    with time_machine.travel(now, tick=False):
        run()
        assert asked(github) == ["/repos/sigmavirus24/github3.py"]
        # A recent paper's repository stays first, read every run; then the rest, never read first.
        order = [r.name for r in due_repositories(timezone.now())]
    assert order == ["sigmavirus24/github3.py", "old/paper", "listed/long-ago"]


def test_a_stop_request_ends_the_run_between_repositories(github):
    github.queue.append(betamax("GitHub_repository")[0].reply)
    for n in range(3):
        paper_linking(f"2501.0000{n}", f"https://github.com/sigmavirus24/repo{n}")
    asked_to_stop = iter([False, True])
    summary = run(should_stop=lambda: next(asked_to_stop))
    assert "asked to stop" in summary
    assert len(github.log) == 1


def test_github_out_of_reach_fails_the_run_and_keeps_what_was_read(settings):
    with ReplayServer() as server:
        closed = server.url
    settings.PAPERTIDE_GITHUB_API_URL = closed
    paper_linking("2501.00001", "https://github.com/pycqa/flake8")
    with pytest.raises(SourceError, match="cannot reach GitHub"):
        run()
    assert Repository.objects.get().name == "pycqa/flake8"  # linked before the network failed


def test_a_redirect_away_from_the_api_is_not_followed(github, settings):
    """The recorded 301 points at https://api.github.com itself, which is not the API configured here:
    the token must not travel to another host, so the answer is reported and the run goes on."""
    settings.PAPERTIDE_GITHUB_TOKEN = "ghp_not_a_real_token"
    moved = betamax("Repository_stargazers")[0]  # Location left pointing at api.github.com
    github.add(moved.path, "", moved.reply)
    paper_linking("2501.00001", "https://github.com/sigmavirus24/betamax")
    lines: list[str] = []
    assert "1 skipped" in run(lines)
    assert asked(github) == ["/repos/sigmavirus24/betamax"]
    assert any("redirected away from the API" in line for line in lines)
    repository = Repository.objects.get()
    assert repository.checked_at is not None and repository.full_name == ""
