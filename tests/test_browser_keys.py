"""Keyboard navigation on a list of papers in a real browser (papertide/static/papertide/keys.js): a
reader on a real day of the Hugging Face daily list presses j, j, k to move between papers, s to save one,
u to upvote it, o to open it; ? shows the help, Esc closes it; keys typed into a field are text."""

import pytest

from papertide.catalog.services import ingest
from papertide.catalog.sources.hf_daily import read_hf_daily
from papertide.community.models import Vote
from papertide.library.models import Collection
from tests.browser import browser_page  # noqa: F401  (fixture)
from tests.conftest import data_path
from tests.personas import PASSWORD
from tests.test_browser_pages import ARTIFACTS
from tests.test_daily import HF

pytestmark = pytest.mark.django_db(transaction=True)
DAY = "2024-01-19"  # eight real papers
TIMEOUT_MS = 30_000  # two busy cores: generous, but every wait ends as soon as its condition holds

CURRENT = "(document.querySelector('li.paper.key-current') || {}).id"


def test_reader_moves_saves_upvotes_and_opens_with_the_keyboard(
    live_server,
    browser_page,  # noqa: F811
    reader,
):
    ingest(read_hf_daily(data_path(HF)), "hf-daily")
    page = browser_page
    page.set_default_timeout(TIMEOUT_MS)
    url = live_server.url
    page.goto(url + f"/accounts/login/?next=/daily/{DAY}/")
    page.fill("input[name=username]", reader.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.account button")
    page.wait_for_url(f"**/daily/{DAY}/")
    ids = page.locator("li.paper").evaluate_all("items => items.map(li => li.id)")
    assert len(ids) == 8

    # ? shows the help, listing the keys; Esc closes it. The footer's link opens it too.
    help_ = page.locator("dialog#keys-help")
    assert not help_.is_visible()
    page.keyboard.press("?")
    help_.wait_for(state="visible")
    for key in ("j", "k", "o", "Enter", "u", "s", "?", "Esc"):
        assert key in " ".join(help_.locator("dt").all_inner_texts())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "keys-help.png"), full_page=False)
    page.keyboard.press("Escape")
    help_.wait_for(state="hidden")
    page.click("footer a.keys-help-link")
    help_.wait_for(state="visible")
    page.keyboard.press("Escape")
    help_.wait_for(state="hidden")

    # j, j, k: the second paper, then the first; the current row has the focus.
    page.keyboard.press("j")
    assert page.evaluate(CURRENT) == ids[0]
    page.keyboard.press("j")
    assert page.evaluate(CURRENT) == ids[1]
    page.keyboard.press("k")
    assert page.evaluate(CURRENT) == ids[0]
    assert page.evaluate("document.activeElement.id") == ids[0]
    assert page.locator("li.paper.key-current").count() == 1
    arxiv_id = ids[0].removeprefix("paper-")
    row = page.locator(f'li.paper[id="{ids[0]}"]')

    # s saves it, u upvotes it: the row's own buttons, in place (no reload).
    page.evaluate("window.stillHere = true")
    page.keyboard.press("s")
    page.wait_for_function(
        f"document.querySelector('li.paper[id=\"{ids[0]}\"] form.save button').textContent == 'Saved'"
    )
    assert list(Collection.reading_list(reader).papers.values_list("arxiv_id", flat=True)) == [arxiv_id]
    before = int(row.locator("form.upvote .count").inner_text())
    page.keyboard.press("u")
    page.wait_for_function(
        f"document.querySelector('li.paper[id=\"{ids[0]}\"] form.upvote button').ariaPressed == 'true'"
    )
    assert int(row.locator("form.upvote .count").inner_text()) == before + 1
    assert Vote.objects.filter(user=reader, paper__arxiv_id=arxiv_id).exists()
    assert page.evaluate("window.stillHere") is True
    page.screenshot(path=str(ARTIFACTS / "keys-daily.png"), full_page=False)

    # o opens it.
    page.keyboard.press("o")
    page.wait_for_url(f"**/papers/{arxiv_id}/")

    # Keys typed into a field are text, not shortcuts.
    page.go_back()
    page.wait_for_url(f"**/daily/{DAY}/")
    page.goto(url + "/search/")
    field = page.locator("input[name=q]")
    field.click()
    page.keyboard.type("j?s")
    assert field.input_value() == "j?s"
    assert not help_.is_visible()
