"""The paper page, complete, on a real Hugging Face daily paper: MinerU2.5 (2509.22186), on Hugging Face's
list of 2025-09-29 with 62 upvotes, its AI summary and keywords, submitted there by taesiri, linking
github.com/opendatalab/MinerU, whose real star counts come from the github-stars scrape. Similar papers
from the real encoder's vectors of that day's 30 papers; the citation, link previews and JSON-LD."""

import csv
import gzip
import html
import io
import json
import re
import time
from datetime import date, datetime

import bibtexparser
import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papertide import caches
from papertide.catalog.github import link_repositories, record_answer
from papertide.catalog.models import Paper, Repository
from papertide.catalog.sources.github import Quota, RepoAnswer
from papertide.community.models import DailyEntry, Vote
from papertide.community.services import add_comment, set_vote
from papertide.search import engine
from papertide.search.embedding import embed_batch
from tests.browser import browser_page  # noqa: F401  (fixture)
from tests.conftest import data_path
from tests.hf_captures import captures, committed_at, serve
from tests.personas import client_for, crowd

pytestmark = pytest.mark.django_db
DAY = "2025-09-29"
MINERU = "2509.22186"
STARS = "github-stars/evanli-github-ranking_2018-12_to_2026-08/daily_top100_python_and_overall.csv.gz"


def sync(hub, capture: dict) -> None:
    """The capture read from the replayed API at the time it was taken, as the worker's sync reads it."""
    serve(hub, capture["date"], capture)
    with time_machine.travel(committed_at(capture), tick=False):
        call_command(
            "ingest", "hf-api", "--date", capture["date"], stdout=io.StringIO(), stderr=io.StringIO()
        )


def star_series() -> list[tuple[datetime, int]]:
    """MinerU's real daily star counts of the two weeks up to the day it was listed."""
    with gzip.open(data_path(STARS), "rt", newline="") as f:
        return sorted(
            (datetime.fromisoformat(row["committed_at"].replace("Z", "+00:00")), int(row["stars"]))
            for row in csv.DictReader(f)
            if row["repo_url"] == "https://github.com/opendatalab/MinerU"
            and "2025-09-15" <= row["date"] <= DAY
        )


@pytest.fixture
def listed(hub) -> dict:
    """The day's list imported, MinerU's repository read (its real counts, through the sync's write
    path); the capture's entry of MinerU."""
    [capture] = captures(DAY)
    sync(hub, capture)
    link_repositories()
    mineru = Repository.objects.get(name="opendatalab/mineru")
    for at, stars in star_series():
        record_answer(mineru, RepoAnswer(200, Quota(), full_name="opendatalab/MinerU", stars=stars), at)
    return next(e for e in capture["response"] if e["paper"]["id"] == MINERU)


def get(client, arxiv_id: str = MINERU) -> str:
    response = client.get(f"/papers/{arxiv_id}/")
    assert response.status_code == 200
    return response.content.decode()


def embed_the_day() -> None:
    embed_batch(list(Paper.objects.order_by("id")))
    caches.reset_all()  # this process's in-memory vectors were read before the papers were embedded


# --- what the daily list knows ----------------------------------------------------------------------------


def vote_split(page: str) -> str:
    """The paper page's count spelled out beside its button, as text (its numbers are spans upvote.js
    updates)."""
    found = re.search(r'<span class="vote-split">(.*?)</span></div>', page, re.S)
    assert found, "no vote split on the page"
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_upvotes_day_submitter_code_stars_and_hugging_faces_words(client, listed, hub):
    page = get(client)
    upvotes = listed["paper"]["upvotes"]
    assert upvotes == 62
    # The upvote button of the lists, with the count the daily list shows for the paper.
    assert re.search(
        r'<form class="upvote" method="get" action="/accounts/login/">.*?<span class="count">62</span>', page
    )
    assert "62 upvotes: 0 here + 62 on Hugging Face" in vote_split(page)
    daily = client.get(f"/daily/{DAY}/").content.decode()
    row = re.search(rf'id="paper-{MINERU}"[^>]*>(.*?)</li>', daily, re.S)[1]
    assert '<span class="count">62</span>' in row
    # The day it was listed, and who submitted it: Hugging Face's user, named as theirs.
    assert f'<a href="/daily/{DAY}/"><time datetime="{DAY}">29 Sep 2025</time></a>' in page
    assert (
        "(from Hugging Face's daily papers, submitted there by their user "
        f'<a class="hf-submitter" href="{hub.url}/taesiri" rel="nofollow noopener">taesiri</a>)'
    ) in page
    # Its code, with the stars as last read.
    last_stars = star_series()[-1][1]
    assert re.search(
        r'<span class="kind">GitHub</span> <a href="https://github.com/opendatalab/mineru" '
        r'rel="nofollow noopener">https://github.com/opendatalab/mineru</a> '
        rf'<span class="stars" title="GitHub stars of opendatalab/MinerU[^"]*">★ {last_stars:,}</span>',
        page,
    )
    assert '<span class="kind">Project page</span> <a href="https://opendatalab.github.io/MinerU' in page
    # Hugging Face's AI summary and keywords, said to be theirs; each keyword a search here.
    summary = html.escape(listed["paper"]["ai_summary"], quote=False)
    assert f"<strong>Summary by Hugging Face's AI</strong> (not the authors'): {summary}" in page
    assert '<a href="/search/?q=document%20parsing">document parsing</a>, ' in page
    keywords = re.search(r'<p class="ai-keywords">(.*?)</p>', page)[1]
    assert re.findall(r">([^<>]+)</a>", keywords) == listed["paper"]["ai_keywords"]
    # arXiv's pages: the abstract, the PDF and the HTML version, of the version shown.
    paper = Paper.objects.get(arxiv_id=MINERU)
    version = paper.versioned_id
    for url in (f"https://arxiv.org/abs/{version}", f"https://arxiv.org/pdf/{version}"):
        assert f'href="{url}"' in page
    assert f'<a href="https://arxiv.org/html/{version}">HTML</a>' in page


def test_a_local_submission_and_vote_add_to_the_same_numbers_as_the_lists(client, listed, reader, submitter):
    paper = Paper.objects.get(arxiv_id=MINERU)
    DailyEntry.objects.create(paper=paper, day=date(2025, 10, 2), submitted_by=submitter)
    set_vote(reader, paper, True)
    page = get(client_for(reader))
    assert "63 upvotes: 1 here + 62 on Hugging Face" in vote_split(page)
    assert re.search(
        r'<button type="submit" class="voted" aria-pressed="true" title="1 here \+ 62 on Hugging Face">', page
    )
    days = re.search(r'<p class="daily-days">(.*?)</p>', page, re.S)[1]
    assert re.findall(r'href="(/daily/[^"]+)"', days) == [
        f"/daily/{DAY}/",
        "/daily/2025-10-02/",
    ]  # oldest first
    assert (
        f'(submitted by <a class="submitter" href="/users/{submitter.username}/">{submitter.username}</a>)'
        in days
    )
    daily = client.get("/daily/2025-10-02/").content.decode()
    assert '<span class="count">63</span>' in daily  # the daily list says the same


def test_an_older_paper_has_no_html_link():
    paper = Paper(arxiv_id="0704.0001", title="x", listed_on=date(2007, 4, 2), current_version=2)
    assert paper.html_url == ""
    paper.listed_on = date(2023, 12, 1)
    assert paper.html_url == "https://arxiv.org/html/0704.0001v2"


# --- similar papers ---------------------------------------------------------------------------------------


def test_similar_papers_by_meaning_once_embedded_by_title_words_before(client, listed):
    paper = Paper.objects.get(arxiv_id=MINERU)
    client.get("/papers/2509.22186/")  # (the first request of a process refreshes the search's caches)
    before = get(client)
    section = re.search(r'<section class="similar">(.*?)</section>', before, re.S)[1]
    assert "By the words of its title: papers similar in meaning appear once it is embedded." in section
    by_words = [i for i, _ in engine.keyword_top(paper.title_display, 6, engine.Filters()) if i != paper.pk][
        :5
    ]
    assert by_words  # the day has other vision-language and document papers
    expected = [Paper.objects.get(pk=i).get_absolute_url() for i in by_words]
    assert re.findall(r'<li><a href="([^"]+)">', section) == expected

    embed_the_day()
    after = get(client)
    section = re.search(r'<section class="similar">(.*?)</section>', after, re.S)[1]
    assert "appear once it is embedded" not in section
    nearest = engine.similar(paper.pk, limit=5)
    assert len(nearest) == 5
    assert re.findall(r'<li><a href="([^"]+)">', section) == [
        Paper.objects.get(pk=i).get_absolute_url() for i, _ in nearest
    ]


def test_the_title_words_fallback_is_cheap(client, listed):
    """Before a paper is embedded, its similar papers cost the search page's keyword query: the counts of
    its title's words (remembered for a while), the match, and the papers found; a millisecond or so."""
    from tests.search_data import import_sample

    import_sample(300, embed=False)  # 330 papers to search
    paper = Paper.objects.get(arxiv_id=MINERU)
    get(client)
    caches.reset_all()
    with CaptureQueriesContext(connection) as queries:
        get(client)
    index = ("search_fts", "search_vector", "search_termstat")  # SQLite's FTS5; PostgreSQL's tsvector
    searches = [q["sql"] for q in queries.captured_queries if any(name in q["sql"] for name in index)]
    assert 1 <= len(searches) <= 2  # the words' counts (when not remembered) and the match
    took = []
    for _ in range(5):
        start = time.perf_counter()
        engine.keyword_top(paper.title_display, 6, engine.Filters())
        took.append(time.perf_counter() - start)
    assert min(took) < 0.05, took


# --- the citation, link previews, JSON-LD -----------------------------------------------------------------


def test_the_bibtex_box_parses_and_names_the_eprint(client, listed):
    page = get(client)
    box = html.unescape(re.search(r'<pre class="bibtex" id="bibtex"[^>]*>(.*?)</pre>', page, re.S)[1])
    [entry] = bibtexparser.loads(box).entries
    assert entry["eprint"] == MINERU and entry["archiveprefix"] == "arXiv"
    assert entry["title"].startswith("MinerU2.5: A Decoupled Vision-Language Model")
    assert entry["author"].startswith("Niu, Junbo and Liu, Zheng and ")
    assert "abstract" not in entry  # a citation to paste, not the paper
    assert '<button type="button" class="copy" data-copy="bibtex" hidden>Copy BibTeX</button>' in page
    # The downloads: the library's own writers.
    bib = client.get(f"/papers/{MINERU}.bib")
    assert bib["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert bib["Content-Disposition"] == f'attachment; filename="{MINERU}.bib"'
    assert bibtexparser.loads(bib.content.decode()).entries[0]["eprint"] == MINERU
    ris = client.get(f"/papers/{MINERU}.ris").content.decode()
    assert f"AN  - arXiv:{MINERU}" in ris and "TI  - MinerU2.5" in ris
    assert f'href="/papers/{MINERU}.bib"' in page and f'href="/papers/{MINERU}.ris"' in page


def test_link_previews_have_the_title_and_the_abstracts_start(client, listed):
    page = get(client)
    paper = Paper.objects.get(arxiv_id=MINERU)

    def meta(attribute: str, name: str) -> str:
        return html.unescape(re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', page)[1])

    title = paper.title_display
    assert title.startswith("MinerU2.5: A Decoupled") and "\n" not in title
    assert meta("property", "og:title") == meta("name", "twitter:title") == title
    assert meta("property", "og:type") == "article"
    assert meta("property", "og:site_name") == "papertide"
    assert meta("property", "og:url") == f"http://testserver/papers/{MINERU}/"
    assert meta("name", "twitter:card") == "summary"
    description = meta("property", "og:description")
    assert description == meta("name", "twitter:description") == meta("name", "description")
    abstract = " ".join(paper.abstract_display.split())
    assert description.startswith(
        "We introduce MinerU2.5, a 1.2B-parameter document parsing vision-language model"
    )
    assert description.endswith("…") and 150 <= len(description) <= 201
    assert abstract.startswith(description[:-1])  # cut at a word
    assert len(re.findall(r'<meta name="citation_author"', page)) == len(paper.authors) == 61


def ld_json(page: str) -> dict:
    [text] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    return json.loads(text)


def test_the_json_ld_is_a_scholarly_article_with_its_authors_in_order(client, listed):
    page = get(client)
    paper = Paper.objects.get(arxiv_id=MINERU)
    article = ld_json(page)
    assert article["@context"] == "https://schema.org" and article["@type"] == "ScholarlyArticle"
    assert article["headline"] == article["name"] == paper.title_display
    assert [a["name"] for a in article["author"]] == [a["name"] for a in listed["paper"]["authors"]]
    assert {a["@type"] for a in article["author"]} == {"Person"}
    assert article["datePublished"] == "2025-09-26"
    assert article["abstract"] == paper.abstract_display
    assert article["url"] == f"http://testserver/papers/{MINERU}/"
    assert article["sameAs"] == f"https://arxiv.org/abs/{MINERU}"
    assert article["identifier"] == {"@type": "PropertyValue", "propertyID": "arXiv", "value": MINERU}
    assert "keywords" not in article  # Hugging Face gives no arXiv categories; the listing below does
    from tests.search_data import import_sample, listing_rows

    import_sample(1, embed=False)
    listing = Paper.objects.get(arxiv_id=listing_rows()[0]["id"])
    assert listing.categories
    assert ld_json(get(client, listing.arxiv_id))["keywords"] == listing.categories


def test_a_title_ending_the_script_element_stays_inside_it(client, listed):
    # A title with the text that would close the <script> early, and an HTML comment opener.
    paper = Paper.objects.get(arxiv_id=MINERU)
    payload = "</script><script>alert(1)</script> <!-- & </SCRIPT >"
    Paper.objects.filter(pk=paper.pk).update(title=paper.title + " " + payload, title_clean="")
    page = get(client)
    article = ld_json(page)
    assert article["headline"].endswith(payload)
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)[1]
    assert "<" not in script and ">" not in script and "&" not in script
    assert "<script>alert(1)" not in page


# --- the query budget -------------------------------------------------------------------------------------


def count_queries(client, arxiv_id: str = MINERU) -> int:
    with CaptureQueriesContext(connection) as queries:
        get(client, arxiv_id)
    return len(queries)


def test_the_query_count_does_not_grow_with_comments_code_links_or_days(client, listed, monkeypatch):
    from papertide.search.backends import sqlite

    monkeypatch.setattr(sqlite, "REFRESH_SECONDS", 0.0)  # the vector top-up query on every request
    embed_the_day()
    # Another paper of the day, with no code link; MinerU has two (GitHub, project page).
    plain = next(
        p for p in Paper.objects.filter(daily_entries__day=DAY, code_links=None) if p.arxiv_id != MINERU
    )
    users = crowd(4)
    paper = Paper.objects.get(arxiv_id=MINERU)
    for one in (plain, paper):  # replies are asked for once there is a comment to reply to
        add_comment(users[0], one, "The first comment")
    get(client)
    bare = count_queries(client, plain.arxiv_id)
    before = count_queries(client)
    for user in users:
        made = add_comment(user, paper, f"A comment by {user.username}")
        add_comment(users[0], paper, "A reply", parent_id=made.pk)
        Vote.objects.create(user=user, paper=paper)
    for n, user in enumerate(users[:3]):
        DailyEntry.objects.create(paper=paper, day=date(2025, 10, 1 + n), submitted_by=user)
    paper.versions.create(number=9)
    page = get(client)
    assert page.count('class="comment"') == 9 and page.count('class="submitter"') == 3
    assert count_queries(client) == before
    # Two code links cost what none cost, but the chart of the stars of the repository they name.
    assert before == bare + 1
    # A ceiling besides: the page's parts (votes, days, code, charts, similar papers, the map's inset...).
    assert before <= (15 if connection.vendor == "postgresql" else 12)


# --- the Markdown form ------------------------------------------------------------------------------------


def test_the_markdown_form_has_the_upvotes_code_and_hugging_faces_summary(client, listed):
    text = client.get(f"/papers/{MINERU}.md").content.decode()
    assert "Upvotes: 62 (0 here + 62 on Hugging Face)" in text
    assert f"GitHub: <https://github.com/opendatalab/mineru> ({star_series()[-1][1]:,} stars)" in text
    assert "## Summary by Hugging Face's AI (not the authors')" in text
    assert listed["paper"]["ai_summary"] in text
    assert text.index("## Summary by Hugging Face") < text.index("## Abstract")


# --- in a browser -----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_copy_puts_the_bibtex_on_the_clipboard(live_server, browser_page):  # noqa: F811
    from papertide.catalog.services import ingest
    from papertide.catalog.sources.snapshot import from_listing
    from tests.search_data import listing_rows

    row = dict(listing_rows()[0])
    ingest([from_listing(row)], "test")
    page = browser_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/papers/{row['id']}/")
    button = page.locator("button.copy")
    button.wait_for(state="visible")  # shown by the script; hidden without it
    box = page.locator("pre#bibtex").inner_text()
    assert f"eprint = {{{row['id']}}}" in box
    button.click()
    page.wait_for_function("document.querySelector('.copy-status').textContent === 'Copied.'")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() == box.strip()
    assert bibtexparser.loads(copied).entries[0]["eprint"] == row["id"]


@pytest.mark.django_db(transaction=True)
def test_without_the_clipboard_copy_selects_the_text(live_server, browser_page):  # noqa: F811
    from papertide.catalog.services import ingest
    from papertide.catalog.sources.snapshot import from_listing
    from tests.search_data import listing_rows

    row = dict(listing_rows()[0])
    ingest([from_listing(row)], "test")
    page = browser_page
    # A browser without the asynchronous clipboard (or refusing it): the fallback selects the entry.
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined});")
    page.goto(f"{live_server.url}/papers/{row['id']}/")
    page.locator("button.copy").click()
    page.wait_for_function("document.querySelector('.copy-status').textContent !== ''")
    selected = page.evaluate("window.getSelection().toString()")
    assert selected.strip() == page.locator("pre#bibtex").inner_text().strip()
