"""Every page type on any screen, in a real browser (issue 15): at 360, 768 and 1280 px wide nothing
scrolls sideways and every header link is on screen and clickable, signed out and signed in; the dark
scheme follows prefers-color-scheme; forms are styled; the keyboard focus shows; the digest form proposes
the browser's time zone; and axe-core (from npm, see the Makefile) finds no serious or critical
violation on any page type, light or dark.

The site is built from real data: the listing sample (tests/search_data.import_sample), a Hugging Face
daily list (a real capture), a collection and an interest trained on its papers."""

import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count

from papertide.catalog.models import Paper
from papertide.catalog.services import ingest
from papertide.catalog.sources.hf_daily import read_hf_daily
from papertide.community.models import UpvoteCount
from papertide.library import recommend
from papertide.library.models import Collection, Entry, Interest
from tests.browser import CHROMIUM_ARGS, chromium_path
from tests.conftest import data_path
from tests.hf_captures import captures, committed_at, serve
from tests.personas import client_for
from tests.search_data import import_sample
from tests.test_browser_pages import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
AXE = Path(os.environ.get("PAPERTIDE_AXE") or ROOT / "var/node/node_modules/axe-core/axe.min.js")
LISTING_DAY = datetime(2025, 3, 18, 20, 30, tzinfo=UTC)
NEXT_DAY = datetime(2025, 3, 19, 9, 0, tzinfo=UTC)
DAILY = "hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json"
WIDTHS = (360, 768, 1280)
TIMEOUT_MS = 30_000  # two busy cores: generous, but every wait ends as soon as its condition holds

PUBLIC = ["newest", "daily", "trending", "search", "paper", "digest", "login", "signup"]
SIGNED_IN = ["newest", "daily", "trending", "search", "paper", "digest"]
SIGNED_IN += ["library", "collection", "for-you", "interests", "status"]


@pytest.fixture
def browser(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(moderator):
    """Papers, a daily list, and the staff member's collection and trained interest; the page types'
    URLs by name. The clock stands on the day after the listing, so for-you has papers to show."""
    with time_machine.travel(LISTING_DAY, tick=False):
        papers = import_sample(60)
        ingest(read_hf_daily(data_path(DAILY)), "hf")
    saved = [p for p in papers if "diffusion" in p.title.lower() or "video" in p.title.lower()][:6]
    collection = Collection.create(moderator, "Diffusion and video")
    Entry.objects.bulk_create(Entry(collection=collection, paper=p) for p in saved)
    interest = Interest.objects.create(owner=moderator, name="Diffusion", collection=collection)
    assert recommend.train(interest)
    urls = {
        "newest": "/",
        "daily": "/daily/2024-04-05/",
        "trending": "/trending/",
        "search": "/search/?q=image+segmentation",
        "paper": saved[0].get_absolute_url(),
        "digest": "/digests/",
        "login": "/accounts/login/",
        "signup": "/accounts/signup/",
        "library": "/library/",
        "collection": f"/library/{collection.slug}/",
        "for-you": "/for-you/",
        "interests": "/for-you/interests/",
        "status": "/status/",
        "map": "/map/",
    }
    with time_machine.travel(NEXT_DAY, tick=True):
        yield urls


def new_page(browser, live_server, user=None, **context):
    # Playwright's evaluated expressions and the injected axe-core are what the site's policy forbids:
    # bypassed here, except in tests/test_browser_security.py, which tests the policy (bypass_csp=False).
    ctx = browser.new_context(**{"bypass_csp": True, **context})
    if user is not None:
        session = client_for(user).cookies["sessionid"].value
        ctx.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def goto(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"


def sideways(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def header_links_out_of_reach(page) -> list[str]:
    """The header's links and buttons that are not wholly inside the viewport or cannot be clicked."""
    width, height = page.evaluate("[window.innerWidth, window.innerHeight]")
    bad = []
    controls = page.locator("header.site a, header.site button")
    assert controls.count() >= 6
    for control in controls.all():
        name = control.inner_text().strip()
        box = control.bounding_box()
        if box is None or box["width"] == 0 or box["height"] == 0:
            bad.append(f"{name}: not shown")
            continue
        if (
            box["x"] < 0
            or box["y"] < 0
            or box["x"] + box["width"] > width
            or box["y"] + box["height"] > height
        ):
            bad.append(f"{name}: {box} outside {width}x{height}")
            continue
        try:
            control.click(trial=True, timeout=2_000)  # visible, stable, enabled, and not covered
        except Exception as error:  # noqa: BLE001  (the report names the link)
            bad.append(f"{name}: not clickable ({type(error).__name__})")
    return bad


def test_every_page_type_fits_360_768_and_1280_px_with_every_header_link_reachable(
    live_server,
    browser,
    site,
    moderator,
):
    problems = []
    for user, names in ((None, PUBLIC), (moderator, SIGNED_IN)):
        page = new_page(browser, live_server, user)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            for name in names:
                goto(page, live_server.url + site[name])
                who = "signed in" if user else "signed out"
                scroll, inner = sideways(page)
                if scroll > inner:
                    problems.append(f"{name} at {width} px, {who}: {scroll} px wide")
                problems += [f"{name} at {width} px, {who}: {p}" for p in header_links_out_of_reach(page)]
            if width == 360:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"screens-360-{'in' if user else 'out'}.png"))
        page.context.close()
    assert problems == []


def test_signed_in_header_at_360_px_shows_library_for_you_admin_and_log_out(
    live_server, browser, site, moderator
):
    page = new_page(browser, live_server, moderator, viewport={"width": 360, "height": 740})
    goto(page, live_server.url + site["paper"])
    for text in ("Daily", "Trending", "Newest", "Search", "For you", "Digest", "Library", "Admin", "mod"):
        assert page.locator("header.site a", has_text=text).first.is_visible(), text
    page.locator("header.site button", has_text="Log out").click()
    page.wait_for_selector("header.site a:has-text('Log in')")
    assert page.locator("header.site a:has-text('Sign up')").is_visible()


def luminance(rgb: str) -> float:
    """The relative luminance (WCAG) of a CSS rgb()/rgba() colour."""
    values = [float(v) for v in rgb[rgb.index("(") + 1 : rgb.index(")")].replace(",", " ").split()[:3]]
    linear = [v / 255 / 12.92 if v / 255 <= 0.03928 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in values]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


STYLE = "(el, prop) => getComputedStyle(el)[prop]"


def test_dark_scheme_gives_a_dark_page_light_text_and_readable_forms_and_charts(
    live_server,
    browser,
    site,
    hub,
):
    page = new_page(browser, live_server, color_scheme="dark")
    goto(page, live_server.url + site["digest"])
    body = page.locator("body")
    background, text = body.evaluate(STYLE, "backgroundColor"), body.evaluate(STYLE, "color")
    assert luminance(background) < 0.05 and luminance(text) > 0.6
    assert contrast(background, text) >= 7
    for field in ("input[name=email]", "select[name=time_zone]", "form.account button"):
        control = page.locator(field)
        colour, fill = control.evaluate(STYLE, "color"), control.evaluate(STYLE, "backgroundColor")
        assert contrast(colour, fill) >= 4.5, field
    assert luminance(page.locator("input[name=email]").evaluate(STYLE, "backgroundColor")) < 0.05

    # A paper with an upvote chart: two real captures of Hugging Face's list of 2025-01-08, synced.
    day = captures("2025-01-08")
    serve(hub, "2025-01-08", day[0], day[-1])
    for capture in (day[0], day[-1]):
        with time_machine.travel(committed_at(capture), tick=False):
            call_command(
                "ingest", "hf-api", "--date", "2025-01-08", stdout=io.StringIO(), stderr=io.StringIO()
            )
    grown = (
        UpvoteCount.objects.values("paper").annotate(n=Count("id")).filter(n__gt=1).order_by("paper").first()
    )
    goto(page, live_server.url + Paper.objects.get(pk=grown["paper"]).get_absolute_url())
    label = page.locator("section.charts svg text").first
    assert contrast(label.evaluate(STYLE, "fill"), background) >= 4.5
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "paper-page-dark.png"), full_page=False)

    page.emulate_media(color_scheme="light")
    light = page.locator("body").evaluate(STYLE, "backgroundColor")
    assert luminance(light) > 0.9


def test_forms_have_styled_fields_labels_buttons_and_errors(live_server, browser, site):
    page = new_page(browser, live_server)
    goto(page, live_server.url + site["login"])
    page.fill("input[name=username]", "nobody")
    page.fill("input[name=password]", "not the password")
    page.click("form.account button")
    page.wait_for_selector("form.account .error")
    for selector in ("input[name=username]", "input[name=password]", "form.account button"):
        control = page.locator(selector)
        assert control.evaluate(STYLE, "borderTopLeftRadius") == "6px", selector
        assert control.evaluate(STYLE, "borderTopStyle") == "solid", selector
    submit = page.locator("form.account button")
    assert luminance(submit.evaluate(STYLE, "backgroundColor")) < 0.2  # the accent, not the browser's grey
    assert page.locator("form.account label").first.evaluate(STYLE, "fontWeight") == "600"
    error = page.locator("form.account .error").first
    assert (
        contrast(error.evaluate(STYLE, "color"), page.locator("body").evaluate(STYLE, "backgroundColor"))
        >= 4.5
    )

    goto(page, live_server.url + site["digest"])
    for selector in (
        "input[name=email]",
        "select[name=frequency]",
        "select[name=time_zone]",
        "input[name=top_n]",
    ):
        assert page.locator(selector).evaluate(STYLE, "borderTopLeftRadius") == "6px", selector


UNSTYLED = """() => Array.from(document.querySelectorAll(
    'main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), main select, main textarea,'
    + ' main button:not(.link)'
  )).filter(el => el.getClientRects().length > 0).filter(el => {
    const s = getComputedStyle(el);
    return s.borderTopLeftRadius === '0px' || s.borderTopStyle !== 'solid';
  }).map(el => el.outerHTML.slice(0, 80))"""


def test_every_form_of_the_site_has_styled_controls(live_server, browser, site, moderator):
    collection = site["collection"]
    pages = {
        None: ["/accounts/password/reset/", site["signup"], site["search"] + "&from=2025-01-01"],
        moderator: [
            "/daily/submit/",
            "/library/import/bibtex/",
            site["library"],
            collection + "edit/",
            collection + "delete/",
            site["interests"],
            site["for-you"],
            "/digests/mine/",
            site["paper"],
        ],
    }
    unstyled = {}
    for user, urls in pages.items():
        page = new_page(browser, live_server, user)
        for url in urls:
            goto(page, live_server.url + url)
            assert page.locator("main form").count() >= 1, url
            found = page.evaluate(UNSTYLED)
            if found:
                unstyled[url] = found
        page.context.close()
    assert unstyled == {}


def test_tabbing_to_a_button_shows_a_visible_focus_outline(live_server, browser, site):
    for scheme in ("light", "dark"):
        page = new_page(browser, live_server, color_scheme=scheme)
        goto(page, live_server.url + site["newest"])
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        assert page.locator("a.skip-link").is_visible()  # shown once it has the focus
        goto(page, live_server.url + site["login"])
        page.fill("input[name=username]", "nobody")
        page.fill("input[name=password]", "not the password")  # the focus is in this field now
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.matches('form.account button')"):
                break
        else:
            pytest.fail("the log-in button cannot be reached with Tab")
        button = page.locator("form.account button")
        assert button.evaluate(STYLE, "outlineStyle") == "solid"
        assert float(button.evaluate(STYLE, "outlineWidth").removesuffix("px")) >= 2
        outline = button.evaluate(STYLE, "outlineColor")
        assert contrast(outline, page.locator("body").evaluate(STYLE, "backgroundColor")) >= 3
        page.keyboard.press("Enter")  # the keyboard submits it too
        page.wait_for_selector("form.account .error")
        page.context.close()


def test_digest_form_proposes_the_browsers_time_zone_and_keeps_utc_without_script(live_server, browser, site):
    page = new_page(browser, live_server, timezone_id="Asia/Tokyo")
    goto(page, live_server.url + site["digest"])
    page.wait_for_function("document.querySelector('select[name=time_zone]').value == 'Asia/Tokyo'")
    page.context.close()

    page = new_page(browser, live_server, timezone_id="Asia/Tokyo", java_script_enabled=False)
    goto(page, live_server.url + site["digest"])
    assert page.locator("select[name=time_zone]").input_value() == "UTC"
    page.context.close()


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)})))"
    )
    return result


def test_axe_finds_no_serious_or_critical_violation_on_any_page_type_light_or_dark(
    live_server,
    browser,
    site,
    moderator,
):
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE} (make axe installs it from npm)")
    version = json.loads((AXE.parent / "package.json").read_text())["version"]
    found: dict[str, dict[str, list[dict]]] = {}
    for scheme, width in (("light", 1280), ("dark", 360)):
        for user, names in ((None, ["login", "signup"]), (moderator, SIGNED_IN)):
            page = new_page(
                browser, live_server, user, color_scheme=scheme, viewport={"width": width, "height": 800}
            )
            for name in names:
                goto(page, live_server.url + site[name])
                found.setdefault(name, {})[scheme] = axe_violations(page)
            page.context.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "axe.json").write_text(json.dumps({"axe-core": version, "pages": found}, indent=1))
    serious = {
        f"{name} ({scheme})": [v for v in violations if v["impact"] in ("serious", "critical")]
        for name, schemes in found.items()
        for scheme, violations in schemes.items()
    }
    assert {page: v for page, v in serious.items() if v} == {}
