"""GitHub quota benchmark: what reading the stars of 1,000 papers' repositories costs, twice over.

The papers and their GitHub links are the first 1,000 papers with a `githubRepo` and a `githubStars` in the
real Hugging Face daily-papers captures (imported through `ingest`, as `papertide ingest hf-daily` does).
A local server stands in for api.github.com: it answers `GET /repos/{owner}/{name}` in the shape and with
the headers of a real recorded answer (PyGithub's `Repository.setUp`, 2025), carrying that repository's
real star count from the captures; its ETag is the SHA-256 of the body (GitHub's weak-ETag form), it
answers 304 to a matching If-None-Match, and it counts quota as GitHub does with a token: every answer but
an authorized 304 costs one unit, reported in x-ratelimit-remaining.

Pass 1 reads every repository; pass 2 reads them again, unchanged. Prints the requests, the quota units
(from the x-ratelimit-remaining the sync stored), the answers' kinds and each pass's time.

    PYTHONPATH=. .venv/bin/python bench/github_quota.py [--papers 1000]
"""

import argparse
import gzip
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared/data"
CAPTURES = DATA / "hf-daily-papers/2404589803_newsletter-chinese_2024-05_to_2026-08/snapshots.jsonl.gz"
TEMPLATE = DATA / "github-api/pygithub-replaydata/Repository.setUp.txt"
QUOTA = 5000  # a token's hourly quota, as the template's X-RateLimit-Limit says


def papers_with_repositories(count: int) -> list[dict]:
    """The first `count` papers (in capture order) with a GitHub repository and its star count, each as
    its latest capture shows it (upvotes and stars keep changing)."""
    latest: dict[str, dict] = {}
    with gzip.open(CAPTURES, "rt", encoding="utf-8") as f:
        for line in f:
            for entry in json.loads(line)["response"]:
                paper = entry.get("paper") or {}
                if paper.get("githubRepo") and isinstance(paper.get("githubStars"), int) and paper.get("id"):
                    latest[paper["id"]] = entry  # a dict keeps the first-seen order, with the latest entry
    return list(latest.values())[:count]


class FakeGitHub:
    """The replay's rules (see the module's docstring), over the real template answer."""

    def __init__(self, stars: dict[str, tuple[str, int]]):
        from tests.github_recordings import pygithub

        template = pygithub("Repository.setUp")[0].reply
        self.body = json.loads(template.body)
        self.headers = {k: v for k, v in template.headers.items() if not k.lower().startswith("x-ratelimit")}
        self.stars = stars  # lowercased owner/name -> (name as the captures spell it, stars)
        self.remaining = QUOTA
        self.answers = {200: 0, 304: 0, 404: 0}

    def respond(self, path: str, headers: dict):
        from tests.replay import Reply

        name = path.removeprefix("/repos/").lower()
        if name not in self.stars:
            self.answers[404] += 1
            return Reply(404, b'{"message":"Not Found"}', self._headers(""))
        full_name, stars = self.stars[name]
        owner, repo = full_name.split("/")
        body = dict(self.body, name=repo, full_name=full_name, stargazers_count=stars, watchers_count=stars)
        body.update(watchers=stars, html_url=f"https://github.com/{full_name}")
        body["owner"] = dict(body["owner"], login=owner)
        data = json.dumps(body).encode()
        etag = f'W/"{hashlib.sha256(data).hexdigest()}"'
        if headers.get("if-none-match") == etag and headers.get("authorization"):
            self.answers[304] += 1
            return Reply(304, b"", self._headers(etag))
        self.remaining -= 1
        self.answers[200] += 1
        return Reply(200, data, self._headers(etag))

    def _headers(self, etag: str) -> dict:
        now = int(time.time())
        headers = dict(self.headers, Date=datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT"))
        headers.update(
            {
                "X-RateLimit-Limit": str(QUOTA),
                "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": str(now + 3600),
                "X-RateLimit-Used": str(QUOTA - self.remaining),
                "X-RateLimit-Resource": "core",
            }
        )
        headers.pop("ETag", None)
        if etag:
            headers["ETag"] = etag
        return headers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=1000)
    args = parser.parse_args()
    for path in (CAPTURES, TEMPLATE):
        if not path.exists():
            sys.exit(f"benchmark data not found: {path}")
    home = tempfile.mkdtemp(prefix="github-bench-")
    os.environ.update(PAPERTIDE_HOME=home, DJANGO_SETTINGS_MODULE="papertide.settings")
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import torch
    from django.conf import settings
    from django.core.management import call_command

    from papertide.catalog.codelinks import normalise
    from papertide.catalog.github import github_quota, repository_name, sync_github
    from papertide.catalog.models import CodeLink, Paper, Repository, StarCount
    from papertide.catalog.services import ingest
    from papertide.catalog.sources.hf_daily import read_hf_daily
    from tests.replay import ReplayServer

    call_command("migrate", verbosity=0)
    entries = papers_with_repositories(args.papers)
    listing = Path(home) / "daily_papers.json"
    listing.write_text(json.dumps(entries), encoding="utf-8")
    stats, _ = ingest(read_hf_daily(listing), "hf-daily", str(listing))
    papers = dict(Paper.objects.values_list("arxiv_id", "pk"))
    stars: dict[str, tuple[str, int]] = {}
    links = []
    for entry in entries:
        link = normalise(entry["paper"]["githubRepo"])
        name = repository_name(link.url) if link else None
        if name and entry["paper"]["id"] in papers:
            # GitHub's spelling: the captures' own, less what a link may carry (newlines, ".git", a path)
            owner, repo = urlsplit(entry["paper"]["githubRepo"]).path.split("/")[1:3]
            spelled = f"{owner}/{repo.removesuffix('.git')}"
            stars[name] = (spelled, entry["paper"]["githubStars"])
            links.append(CodeLink(paper_id=papers[entry["paper"]["id"]], url=link.url, kind="github"))
    # The repositories are those of `githubRepo`, whose stars the captures hold (the import made their
    # links already; ensured here): a github link the upsert found in an abstract names a repository whose
    # count is unknown here.
    from_abstracts = CodeLink.objects.filter(kind="github", source=CodeLink.ABSTRACT).delete()[0]
    CodeLink.objects.bulk_create(links, ignore_conflicts=True)
    unknown = CodeLink.objects.filter(kind="github").exclude(url__in=[link.url for link in links])
    from_abstracts += unknown.delete()[0]

    github = FakeGitHub(stars)
    settings.PAPERTIDE_GITHUB_TOKEN = "bench-token"
    settings.PAPERTIDE_GITHUB_BATCH = 100_000
    results = []
    with ReplayServer(respond=github.respond) as server:
        settings.PAPERTIDE_GITHUB_API_URL = server.url
        for _ in range(2):
            asked, before = len(server.log), github.answers.copy()
            remaining = (github_quota(datetime.now(UTC)) or (QUOTA,))[0]
            start = time.perf_counter()
            summary = sync_github(now=datetime.now(UTC), should_stop=lambda: False, write=lambda line: None)
            elapsed = time.perf_counter() - start
            quota = github_quota(datetime.now(UTC))
            units = remaining - quota[0]  # what the x-ratelimit-remaining it was sent says
            answers = {k: github.answers[k] - before[k] for k in github.answers}
            results.append({"requests": len(server.log) - asked, "units": units, "answers": answers})
            results[-1].update(seconds=elapsed, summary=summary)

    repositories = Repository.objects.count()
    wrong = [r.name for r in Repository.objects.all() if r.stars != stars[r.name][1]]
    print(f"data: {CAPTURES.name}: {stats.new} papers imported, {len(links)} GitHub links")
    print(f"  ({from_abstracts} github links found in abstracts left out: no star count known for them)")
    print(f"repositories: {repositories} (papers: {len(entries)}); star samples: {StarCount.objects.count()}")
    for n, result in enumerate(results, 1):
        print(
            f"pass {n}: {result['requests']} requests, {result['units']} quota units "
            f"({result['units'] / repositories:.2f} a repository), answers {result['answers']}, "
            f"{result['seconds']:.2f} s ({result['requests'] / result['seconds']:.0f} requests/s)"
        )
        print(f"  {result['summary']}")
    print(f"pass 2 / pass 1 time: {results[1]['seconds'] / results[0]['seconds']:.2f}")
    print(f"stars stored unlike the captures: {len(wrong)}")
    first, second = results[0]["units"], results[1]["units"]
    print(f"pass 1 at most one unit a repository: {first <= repositories}; pass 2 free: {second == 0}")
    shutil.rmtree(home)
    print(f"machine: {os.cpu_count()} cores, torch CPU capability {torch.backends.cpu.get_cpu_capability()}")


if __name__ == "__main__":
    main()
