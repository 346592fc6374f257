"""The library in a real browser: an anonymous Save leads to log in and back; a reader saves a paper from
the newest list without a reload, finds it in their library, chooses collections for it on the paper
page, marks it read, and takes it out again."""

import pytest

from papertide.library.models import Collection, ReadMark
from tests.browser import browser_page  # noqa: F401  (fixture)
from tests.personas import PASSWORD
from tests.search_data import import_sample
from tests.test_browser_pages import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT_MS = 30_000  # two busy cores: generous, but every wait ends as soon as its condition holds


def test_reader_saves_from_the_newest_list_without_a_reload_and_finds_it_in_the_library(
    live_server,
    browser_page,  # noqa: F811
    reader,
    settings,
):
    settings.PAPERTIDE_PAGE_SIZE = 10
    import_sample(10, embed=False)
    page = browser_page
    page.set_default_timeout(TIMEOUT_MS)
    url = live_server.url

    # Signed out, Save leads to the log-in page, and back to the list.
    page.goto(url + "/")
    first = page.locator("li.paper").first
    arxiv_id = first.get_attribute("id").removeprefix("paper-")
    title = first.locator("a.title").inner_text()
    first.locator("form.save button").click()
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", reader.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.account button")
    page.wait_for_url(url + "/")

    # Signed in: one click saves, in place.
    page.evaluate("window.stillHere = true")
    row = page.locator(f'li.paper[id="paper-{arxiv_id}"]')
    button = row.locator("form.save button")
    assert button.inner_text() == "Save"
    button.click()
    page.wait_for_function(
        f"document.querySelector('li.paper[id=\"paper-{arxiv_id}\"] form.save button').textContent == 'Saved'"
    )
    assert page.evaluate("window.stillHere") is True  # no reload
    assert button.get_attribute("aria-pressed") == "true"
    assert list(Collection.reading_list(reader).papers.values_list("arxiv_id", flat=True)) == [arxiv_id]
    page.reload()
    assert row.locator("form.save button").inner_text() == "Saved"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "library-newest.png"), full_page=False)

    # The header leads to the library, where the paper is in the reading list.
    page.click("header nav >> text=Library")
    page.wait_for_url("**/library/")
    assert title in page.locator("#collection-reading-list").inner_text()
    assert "1 paper" in page.locator("#collection-reading-list .count").inner_text()
    page.click("#collection-reading-list a.title")
    page.wait_for_url("**/library/reading-list/")
    assert page.locator("li.paper a.title").all_inner_texts() == [title]

    # Mark it read there, without a reload.
    page.evaluate("window.stillHere = true")
    page.locator("li.paper form.read-mark button").click()
    page.wait_for_function("document.querySelector('li.paper form.read-mark button').textContent == 'Read ✓'")
    assert page.evaluate("window.stillHere") is True
    assert ReadMark.objects.filter(user=reader, paper__arxiv_id=arxiv_id).exists()

    # On the paper page, put it into a new collection too; the choice updates in place.
    page.goto(url + f"/papers/{arxiv_id}/")
    page.evaluate("window.stillHere = true")
    page.click("details.save-to summary")
    page.fill("form.save-to input[name=new]", "Vision")
    page.click("form.save-to button")
    page.wait_for_selector("form.save-to input[value=vision]:checked")
    assert page.evaluate("window.stillHere") is True
    assert set(
        Collection.objects.filter(entries__paper__arxiv_id=arxiv_id).values_list("slug", flat=True)
    ) == {
        "reading-list",
        "vision",
    }
    # Unchecking the reading list there turns the Save button back, without a reload.
    page.uncheck("form.save-to input[value=reading-list]")
    page.click("form.save-to button")
    page.wait_for_function(
        "document.querySelector('.paper-page form.save button').getAttribute('aria-pressed') == 'false'"
    )
    assert page.locator(".paper-page form.save button").inner_text() == "Save"
    assert page.evaluate("window.stillHere") is True
    assert not Collection.reading_list(reader).papers.exists()
    assert "{#" not in page.locator("main").inner_text()
    page.screenshot(path=str(ARTIFACTS / "library-paper-page.png"), full_page=False)
