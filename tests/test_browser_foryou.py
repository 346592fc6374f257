"""The for-you page and sharpen in a real browser, on real papers: a reader logs in, says "more like
this" to a recommended paper and takes it back without a reload, then sharpens the interest: the answered
question gives way to the next one in place, and the count of ratings goes up."""

from datetime import UTC, datetime

import pytest
import time_machine

from papertide.library import recommend
from papertide.library.models import Collection, Entry, Interest, Rating
from tests.browser import browser_page  # noqa: F401  (fixture)
from tests.personas import PASSWORD
from tests.search_data import import_sample
from tests.test_browser_pages import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

LISTING_DAY = datetime(2025, 3, 18, 20, 30, tzinfo=UTC)
NEXT_DAY = datetime(2025, 3, 19, 9, 0, tzinfo=UTC)
TIMEOUT_MS = 30_000  # two busy cores: generous, but every wait ends as soon as its condition holds


def shown(page, selector="li.paper") -> list[str]:
    return page.locator(selector).evaluate_all("items => items.map(li => li.id.slice('paper-'.length))")


def pressed(arxiv_id: str, state: str) -> str:
    """A script that holds when the row's "More like this" button is pressed (state "true") or not."""
    button = f"document.querySelector('li[id=\"paper-{arxiv_id}\"] button.more')"
    return f"{button}.getAttribute('aria-pressed') == '{state}'"


def test_reader_rates_for_you_and_sharpens_without_a_reload(live_server, browser_page, reader):  # noqa: F811
    with time_machine.travel(LISTING_DAY, tick=False):
        papers = import_sample()
    saved = [p for p in papers if "diffusion" in p.title.lower()][:10]
    collection = Collection.create(reader, "Diffusion")
    Entry.objects.bulk_create(Entry(collection=collection, paper=p) for p in saved)
    interest = Interest.objects.create(owner=reader, name="Diffusion", collection=collection)
    assert recommend.train(interest)
    page = browser_page
    page.set_default_timeout(TIMEOUT_MS)

    with time_machine.travel(NEXT_DAY, tick=True):
        page.goto(live_server.url + "/accounts/login/?next=/for-you/")
        page.fill("input[name=username]", reader.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.account button")
        page.wait_for_url("**/for-you/")
        assert page.locator("header nav a:has-text('For you')").count() == 1

        # 1. "More like this" on the first row: pressed in place, the interest learns it at once.
        rows = shown(page)
        assert len(rows) == 50
        first = page.locator(f'li.paper[id="paper-{rows[0]}"]')
        assert "for Diffusion:" in first.locator(".why").inner_text()
        page.evaluate("window.stillHere = true")
        more = first.locator("form.rate button.more")
        more.click()
        page.wait_for_function(pressed(rows[0], "true"))
        assert Rating.objects.get().paper.arxiv_id == rows[0]
        interest.refresh_from_db()
        assert interest.positives == 11
        # The same button again takes it back.
        more.click()
        page.wait_for_function(pressed(rows[0], "false"))
        assert not Rating.objects.exists()
        interest.refresh_from_db()
        assert interest.positives == 10
        assert page.evaluate("window.stillHere") is True

        # 2. Sharpen: answer the first question; the next one takes its place, the count goes up.
        page.goto(live_server.url + f"/for-you/interests/{interest.pk}/sharpen/")
        asked = shown(page, "li.sharpen-row")
        assert len(asked) == 5
        assert page.locator(".ratings-count").inner_text() == "0"
        page.evaluate("window.stillHere = true")
        page.locator(f'li.sharpen-row[id="paper-{asked[0]}"] form.rate button.less').click()
        page.wait_for_function("document.querySelector('.ratings-count').textContent == '1'")
        page.wait_for_function(
            f"!document.getElementById('paper-{asked[0]}') && "
            "document.querySelectorAll('li.sharpen-row').length == 5"
        )
        now = shown(page, "li.sharpen-row")
        assert now[1:] == asked[1:] and now[0] not in asked
        assert page.evaluate("window.stillHere") is True
        assert Rating.objects.get().value == Rating.LESS
        interest.refresh_from_db()
        assert interest.negatives == 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "sharpen.png"), full_page=True)
