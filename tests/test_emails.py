"""Every e-mail is a template trio built by papertide.emails.build(): each trio exists, renders every
variable it names, keeps its plain text unescaped, and a message with an unsubscribe link carries the
RFC 8058 headers (read back from a real SMTP server)."""

import re
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.template.loader import get_template

import papertide
from papertide import emails
from papertide.digests.models import Digest
from tests.smtp import body, inbox  # noqa: F401  (fixture)

PACKAGE = Path(papertide.__file__).parent
LINK = "https://papers.example.org/a/signed:link/"
MISSING = "MISSING-VARIABLE"

# What the code passes to each message (accounts/views.py, accounts/forms.py, digests/views.py,
# digests/delivery.py), with the link each must show.
EXAMPLES = {
    "confirm": {"user": User(username="ada"), "link": LINK, "days": 3},
    "password-reset": {"user": User(username="ada"), "link": LINK},
    "digest-confirm": {"link": LINK},
    "digest-manage": {"manage": LINK},
    "digest": {
        "site_url": "https://papers.example.org",
        "digest": Digest(
            due_on=date(2025, 3, 19), period_start=date(2025, 3, 18), period_end=date(2025, 3, 18)
        ),
        "count": 1,
        "sections": [  # (title, [(paper blocks, why lines)], link to the section's settings or "")
            ("Trending", [(("<h3>A paper</h3>", "A paper"), ["trending: 3 votes"])], ""),
            (
                "For you: diffusion",
                [(("<h3>Another</h3>", "Another"), ["for diffusion: 84% match"])],
                LINK + "interests/#interest-1",
            ),
        ],
        "manage": LINK,
    },
}


def names_sent_by_the_code() -> set[str]:
    sent = re.compile(r"emails\.(?:send|build)\(\s*\"([\w-]+)\"")
    return {name for path in PACKAGE.rglob("*.py") for name in sent.findall(path.read_text())}


def trios_on_disk() -> set[str]:
    folder = PACKAGE / "templates" / "emails"
    return {path.name.removesuffix("-subject.txt") for path in folder.glob("*-subject.txt")}


def test_every_email_the_code_sends_has_a_trio_and_every_trio_is_sent():
    assert names_sent_by_the_code() == trios_on_disk() == set(EXAMPLES)
    for name in EXAMPLES:
        for template in emails.templates(name):
            get_template(template)  # raises TemplateDoesNotExist


@pytest.fixture
def strict_templates(settings):
    """A variable a template names but the context lacks renders as MISSING-VARIABLE, not as nothing."""
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "OPTIONS": {**engine.get("OPTIONS", {}), "string_if_invalid": MISSING}}]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_email_renders_every_part_in_full(name, strict_templates):
    unsubscribe = LINK + "unsubscribe/" if name == "digest" else None
    message = emails.build(name, "ada@example.org", EXAMPLES[name], unsubscribe=unsubscribe)
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    assert message.subject and "\n" not in message.subject
    for part in (message.subject, message.body, html):
        assert MISSING not in part
    assert LINK in message.body and LINK in html
    assert "papertide" in message.subject + message.body


def test_subjects_and_plain_text_are_not_html_escaped(settings):
    settings.SITE_NAME = "Tom & Jerry's <lab>"
    message = emails.build(
        "confirm", "ada@example.org", {**EXAMPLES["confirm"], "user": User(username="a&b")}
    )
    [(html, _)] = message.alternatives
    assert message.subject == "Confirm your Tom & Jerry's <lab> account"
    assert "Hello a&b," in message.body and "Tom & Jerry's <lab>" in message.body
    assert "Tom &amp; Jerry&#x27;s &lt;lab&gt;" in html and "a&amp;b" in html


def test_only_a_message_with_an_unsubscribe_link_gets_the_rfc_8058_headers(inbox):  # noqa: F811
    emails.send("digest", "ada@example.org", EXAMPLES["digest"], unsubscribe=LINK + "unsubscribe/")
    emails.send("digest-confirm", "bob@example.org", EXAMPLES["digest-confirm"])
    digest, confirmation = inbox.messages
    assert digest["List-Unsubscribe"] == f"<{LINK}unsubscribe/>"
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"{LINK}unsubscribe/" in body(digest) and f"{LINK}unsubscribe/" in body(digest, "html")
    assert confirmation["List-Unsubscribe"] is None and confirmation["List-Unsubscribe-Post"] is None
