"""The community flow in a real browser, as a newcomer walks it: sign up and confirm by e-mail (a real SMTP
server), submit a paper the catalog lacks (the arXiv API replayed from a real recording), upvote it
without a reload and see it climb the day's list, then discuss it in Markdown."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import User

from papertide.catalog.models import Paper
from papertide.catalog.services import ingest
from papertide.catalog.sources.hf_daily import read_hf_daily
from papertide.community.models import Comment, DailyEntry
from tests.browser import browser_page  # noqa: F401  (fixture)
from tests.conftest import data_path
from tests.smtp import body, inbox  # noqa: F401  (fixture)
from tests.test_browser_pages import ARTIFACTS
from tests.test_daily import HF, arxiv  # noqa: F401  (fixture: the arXiv API replaying 1605.08386)

pytestmark = pytest.mark.django_db(transaction=True)

# A real day of the Hugging Face daily list: eight papers, the last with 1 upvote (2401.11002).
DAY = "2024-01-19"
SUBMITTED = "1605.08386"
PASSWORD = "a quiet lab at night"
TIMEOUT_MS = 30_000  # two busy cores: generous, but every wait ends as soon as its condition holds


def listed(page) -> list[str]:
    return page.locator("li.paper").evaluate_all("items => items.map(li => li.id.slice('paper-'.length))")


def test_newcomer_signs_up_submits_upvotes_and_comments(
    live_server,
    browser_page,  # noqa: F811
    inbox,  # noqa: F811
    arxiv,  # noqa: F811
    settings,
):
    # The recorded paper appeared in May 2016 and the real daily list is of 2024: this instance takes
    # papers of any age into the daily list, so the submission can join a real day of real papers.
    settings.PAPERTIDE_SUBMIT_MAX_AGE_DAYS = 10_000
    ingest(read_hf_daily(data_path(HF)), "hf-daily")
    assert not Paper.objects.filter(arxiv_id=SUBMITTED).exists()
    page = browser_page
    page.set_default_timeout(TIMEOUT_MS)
    url = live_server.url

    # The whole visit happens on that day (the clock ticks on; cookies carry Max-Age, so the browser's
    # own clock does not expire them).
    with time_machine.travel(datetime(2024, 1, 19, 9, 0, tzinfo=UTC), tick=True):
        # 1. Sign up; the confirmation e-mail arrives over SMTP; its link shows a button that confirms.
        page.goto(url + "/daily/")
        page.click("header nav.account >> text=Sign up")
        page.wait_for_url("**/accounts/signup/")
        page.fill("input[name=username]", "ada")
        page.fill("input[name=email]", "ada@example.org")
        page.fill("input[name=password1]", PASSWORD)
        page.fill("input[name=password2]", PASSWORD)
        page.click("form.account button")
        page.wait_for_selector("h1:has-text('Check your e-mail')")
        assert not User.objects.get(username="ada").is_active

        [message] = inbox.messages
        assert message["To"] == "ada@example.org"
        link = re.search(r"https?://\S+/accounts/confirm/\S+/", body(message)).group(0)
        assert link.startswith(url)
        page.goto(link)
        assert "Confirm the account ada (ada@example.org)?" in page.locator("main form").inner_text()
        assert not User.objects.get(username="ada").is_active  # showing the page confirms nothing
        page.click("main form button:has-text('Confirm')")
        page.wait_for_url("**/users/ada/")
        assert User.objects.get(username="ada").is_active
        assert page.locator("header nav.account a").inner_text() == "ada"  # logged in by confirming

        # 2. Submit a paper the catalog lacks: fetched from the (replayed) arXiv API, then listed today.
        page.goto(url + f"/daily/{DAY}/")
        before = listed(page)
        assert len(before) == 8 and SUBMITTED not in before
        page.click("main a:has-text('Submit a paper')")
        page.wait_for_url("**/daily/submit/")
        page.fill("input[name=paper]", f"https://arxiv.org/abs/{SUBMITTED}v1")
        page.click("form.account button")
        page.wait_for_url(f"**/daily/{DAY}/#paper-{SUBMITTED}")
        assert len(arxiv.log) == 1
        paper = Paper.objects.get(arxiv_id=SUBMITTED)
        entry = DailyEntry.objects.get(paper=paper)
        assert (str(entry.day), entry.submitted_by.username) == (DAY, "ada")
        mine = page.locator(f'li.paper[id="paper-{SUBMITTED}"]')
        assert mine.locator("a.title").inner_text() == paper.title_display
        assert mine.locator(".submitter").inner_text() == "submitted by ada"
        assert mine.locator(".count").inner_text() == "0"
        assert listed(page) == before + [SUBMITTED]  # no votes yet: last

        # 3. Upvote: the count goes up in place, no reload.
        page.evaluate("window.stillHere = true")
        mine.locator("form.upvote button").click()
        page.wait_for_function(
            f"document.querySelector('li.paper[id=\"paper-{SUBMITTED}\"] .count').textContent == '1'"
        )
        assert page.evaluate("window.stillHere") is True
        assert mine.locator("form.upvote button").get_attribute("aria-pressed") == "true"
        # After a reload it has climbed: 1 vote, level with 2401.11002's 1 Hugging Face upvote, and a tie
        # on the same day goes to the lower arXiv id (the daily list's documented order).
        page.reload()
        after = listed(page)
        assert before[-1] == "2401.11002" and after == before[:-1] + [SUBMITTED, "2401.11002"]
        assert mine.locator(".count").inner_text() == "1"
        assert mine.locator("form.upvote button").get_attribute("aria-pressed") == "true"
        assert "{#" not in page.locator("main").inner_text()  # no template comment shows through
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "community-flow.png"), full_page=True)

        # 4. Discuss it: Markdown is rendered, markup that would run is not.
        mine.locator("a.title").click()
        page.wait_for_url(f"**/papers/{SUBMITTED}/")
        page.fill(
            "form.new-comment textarea",
            "Heat-bath walks, **clearly** explained.\n\n"
            "<script>window.pwned = true</script>\n\n"
            '<img src=x onerror="window.pwned = true">',
        )
        page.click("form.new-comment button")
        page.wait_for_url(re.compile(rf"/papers/{re.escape(SUBMITTED)}/#comment-\d+$"))
        made = Comment.objects.get()
        assert (made.user.username, made.paper) == ("ada", paper)
        comment = page.locator(f"li#comment-{made.pk}")
        assert comment.locator(".body strong").inner_text() == "clearly"
        assert comment.locator(".body script, .body img").count() == 0
        assert page.locator("main script, main img").count() == 0
        assert page.evaluate("typeof window.pwned") == "undefined"
