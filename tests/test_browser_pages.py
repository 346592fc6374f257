"""The first pages in a real browser: newest papers, paging, a paper page, and escaping."""

import gzip
import json
from itertools import islice
from pathlib import Path

import pytest

from papertide.catalog.services import ingest
from papertide.catalog.sources.snapshot import from_listing
from tests.browser import browser_page  # noqa: F401  (fixture)
from tests.conftest import data_path
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def listing_rows(n: int) -> list[dict]:
    with gzip.open(data_path("arxiv/listings-2025-03-to-2026-07.jsonl.gz"), "rt") as f:
        return [json.loads(line) for line in islice(f, n)]


def test_reader_browses_newest_papers_and_opens_one(live_server, browser_page, settings):  # noqa: F811
    settings.PAPERTIDE_PAGE_SIZE = 10
    rows = listing_rows(30)
    ingest([from_listing(r) for r in rows], "test")
    page = browser_page

    page.goto(live_server.url + "/")
    stylesheets = page.locator("link[rel=stylesheet]").evaluate_all("links => links.map(l => l.href)")
    assert stylesheets and all(page.request.get(href).status == 200 for href in stylesheets)
    titles = page.locator("li.paper a.title")
    assert titles.count() == 10
    assert "Page 1 of 3" in page.locator("nav.pager").inner_text()

    page.click("text=Older →")
    assert "Page 2 of 3" in page.locator("nav.pager").inner_text()

    first = page.locator("li.paper a.title").first
    title = first.inner_text()
    first.click()
    page.wait_for_selector("article.paper-page")
    assert page.locator("h1").inner_text() == title
    assert page.locator("a", has_text="PDF").get_attribute("href").startswith("https://arxiv.org/pdf/")
    assert page.locator("section.abstract p").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "paper-page.png"), full_page=True)


def test_markup_from_a_source_is_shown_as_text_not_run(live_server, browser_page):  # noqa: F811
    row = listing_rows(1)[0]
    payload = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"
    ingest([from_listing(dict(row, title=row["title"] + " " + payload, authors=[payload]))], "test")
    page = browser_page
    page.goto(live_server.url + f"/papers/{row['id']}/")
    assert page.title() != "pwned"
    assert page.locator("article img").count() == 0
    assert "<script>" in page.locator("h1").inner_text()


def test_reader_searches_and_follows_a_similar_paper(live_server, browser_page):  # noqa: F811
    from tests.search_data import import_sample

    papers = import_sample()
    page = browser_page
    page.goto(live_server.url + "/search/")
    assert "300 of 300 papers embedded" in page.locator("p.coverage").inner_text()
    page.fill("input[name=q]", "image segmentation")
    page.click("form.search button")
    page.wait_for_selector("ol.results li.paper")
    assert page.locator("ol.results li.paper").count() >= 10
    assert page.locator("ol.results mark").count() > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-page.png"), full_page=False)

    page.locator("ol.results a.title").first.click()
    page.wait_for_selector("section.similar li")
    assert page.locator("section.similar li").count() == 5
    assert len(papers) == 300


def test_reader_logs_in_and_upvotes_without_a_reload(live_server, browser_page, reader):  # noqa: F811
    from papertide.catalog.sources.hf_daily import read_hf_daily

    ingest(read_hf_daily(data_path("hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json")), "hf")
    page = browser_page
    page.goto(live_server.url + "/daily/2024-04-05/")
    first = page.locator("li.paper").first
    before = int(first.locator(".count").inner_text())

    first.locator("form.upvote button").click()  # anonymous: off to log in, then back
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", reader.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.account button")
    page.wait_for_url("**/daily/2024-04-05/")

    page.evaluate("window.stillHere = true")
    first = page.locator("li.paper").first
    first.locator("form.upvote button").click()
    page.wait_for_function(f"document.querySelector('li.paper .count').textContent == '{before + 1}'")
    assert page.evaluate("window.stillHere") is True  # no reload
    assert first.locator("form.upvote button").get_attribute("aria-pressed") == "true"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "daily-page.png"), full_page=False)

    # On the paper's page the spelled-out count follows the button too, without a reload.
    first.locator("a.title").click()
    page.wait_for_selector(".vote-split")
    page.evaluate("window.stillHere = true")
    page.locator(".votes form.upvote button").click()  # the vote withdrawn
    page.wait_for_function(f"document.querySelector('.vote-split .upvotes').textContent == '{before}'")
    assert page.locator(".vote-split .local").inner_text() == "0"
    assert page.evaluate("window.stillHere") is True
