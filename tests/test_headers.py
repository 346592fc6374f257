"""Security headers on every answer (papertide/headers.py and Django's own): a Content-Security-Policy
that runs no inline script, Referrer-Policy and Permissions-Policy; and templates that need no exception
to the policy (no inline script, event handler or style attribute)."""

import re
from pathlib import Path

import pytest

from tests.personas import client_for

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parent.parent / "papertide" / "templates"


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/api/daily_papers", "/no-such-page/"])
def test_every_answer_carries_the_policies(client, url):
    response = client.get(url)
    policy = directives(response)
    assert policy["script-src"] == "'self'" and "unsafe" not in response["Content-Security-Policy"]
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert response["Referrer-Policy"] == "same-origin"
    assert (
        "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    )


def test_the_api_docs_come_from_this_site_not_a_cdn(client):
    page = client.get("/api/docs").content.decode()
    assert "cdn.jsdelivr.net" not in page and "/static/ninja/swagger-ui-bundle.js" in page
    assert "<script>" not in page


def test_admin_pages_carry_the_policy(moderator):
    assert (
        "script-src 'self'"
        in client_for(moderator).get("/admin/community/comment/")["Content-Security-Policy"]
    )


# The site's pages (e-mails are not pages: mail clients want inline styles).
PAGES = [path for path in TEMPLATES.rglob("*.html") if "emails" not in path.parts]


@pytest.mark.parametrize("template", PAGES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_needs_inline_script_or_style(template):
    text = template.read_text()
    inline_scripts = [
        tag
        for tag in re.findall(r"<script\b[^>]*>", text)
        if "src=" not in tag and "application/ld+json" not in tag
    ]
    assert not inline_scripts, f"inline script: {inline_scripts}"
    assert not re.search(r"\son[a-z]+\s*=", text), "an inline event handler (onclick=...)"
    assert "javascript:" not in text
    assert not re.search(r"\sstyle\s*=", text) and "<style" not in text, "an inline style"


def test_django_debug_error_pages_go_without_the_policy(rf, settings):
    from django.http import HttpResponse

    from papertide.headers import SecurityHeadersMiddleware

    failing = SecurityHeadersMiddleware(lambda request: HttpResponse("traceback", status=500))
    settings.DEBUG = True  # the debug page is made of inline script and style
    assert "Content-Security-Policy" not in failing(rf.get("/"))
    settings.DEBUG = False
    assert "Content-Security-Policy" in failing(rf.get("/"))  # the site's own 500 page needs no exception
