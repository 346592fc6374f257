"""The Content-Security-Policy in a real browser (papertide/headers.py): every page type loads without a
single violation (securitypolicyviolation events, console errors), the upvote and save buttons still work
through their script files, without a reload, and an injected inline script is refused.

The site is the one tests/test_browser_screens.py builds from real data (its `site` fixture)."""

import pytest

from papertide.community.models import Vote
from papertide.library.models import Collection
from tests.test_browser_screens import SIGNED_IN, browser, goto, new_page, site  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

# Before any page script: every violation the page reports, kept where the test can read it.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""
PUBLIC = ["newest", "paper", "login", "signup"]  # signed in, every page type (the header differs)
MORE = {"api docs": "/api/docs", "admin": "/admin/community/comment/", "tokens": "/accounts/tokens/"}
FETCHING = {"map", "api docs"}  # their scripts fetch more once the page is loaded


def watched(page) -> list[str]:
    """The page's console errors from now on (a CSP violation is one), in a list that grows."""
    errors: list[str] = []

    def console(message):
        where = message.location.get("url", "")
        if message.type == "error" and not where.endswith("/favicon.ico"):  # the site has no icon: a 404
            errors.append(f"{message.text} ({where})")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(LISTEN)
    return errors


def test_every_page_type_loads_without_a_policy_violation(live_server, browser, site, moderator):  # noqa: F811
    found = {}
    for user, names in ((None, PUBLIC), (moderator, SIGNED_IN + ["map", *MORE])):
        page = new_page(browser, live_server, user, bypass_csp=False)
        errors = watched(page)
        for name in names:
            url = live_server.url + (MORE.get(name) or site[name])
            goto(page, url)  # until the load event: the deferred scripts have run
            if name in FETCHING:
                page.wait_for_load_state("networkidle")
            violations = page.evaluate("window.__violations")
            if violations or errors:
                found[f"{name} ({'signed in' if user else 'signed out'})"] = violations + errors
            errors.clear()
        page.context.close()
    assert not found, found


def test_upvote_and_save_work_under_the_policy_and_inline_script_does_not(
    live_server,
    browser,  # noqa: F811
    site,  # noqa: F811
    moderator,
):
    page = new_page(browser, live_server, moderator, bypass_csp=False)
    errors = watched(page)
    goto(page, live_server.url + site["daily"])
    page.evaluate("window.__notReloaded = true")
    row = page.locator("li.paper").first
    paper = row.get_attribute("data-paper")

    upvote = row.locator("form.upvote button")
    before = int(upvote.locator(".count").inner_text())
    upvote.click()
    page.wait_for_selector(f"li.paper[data-paper='{paper}'] form.upvote button[aria-pressed=true]")
    assert int(upvote.locator(".count").inner_text()) == before + 1
    assert Vote.objects.filter(user=moderator, paper__arxiv_id=paper).exists()

    row.locator("form.save button").click()
    page.wait_for_selector(f"li.paper[data-paper='{paper}'] form.save button[aria-pressed=true]")
    reading_list = Collection.reading_list(moderator)
    assert reading_list.entries.filter(paper__arxiv_id=paper).exists()

    assert page.evaluate("window.__notReloaded") is True  # the scripts did it, not the forms' fallback
    assert page.evaluate("window.__violations") == [] and errors == []

    # The policy holds: a script injected inline is refused, and the refusal is seen (event and console).
    try:
        page.add_script_tag(content="window.injected = true;")
    except Exception:  # Playwright may report the refusal itself
        pass
    assert page.evaluate("window.injected") is None
    assert any(v.startswith("script-src") for v in page.evaluate("window.__violations"))
    assert any("Content Security Policy" in e for e in errors)
    page.context.close()
