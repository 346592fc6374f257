"""Properties of comments' Markdown (community/markdown.py): any text renders, and the HTML it gives, read by
an HTML parser as a browser would, has no element or attribute that runs code or leaves the page."""

from html.parser import HTMLParser

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from papertide.community.markdown import ATTRIBUTES, TAGS, render
from tests.personas import client_for
from tests.real_samples import abstracts
from tests.search_data import import_sample

SAFE_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "srcset",
    "poster",
    "data",
    "background",
}

# What attackers write, in Markdown and raw HTML. The strategies put them in real text, nested and mixed.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<iframe src=//evil.example></iframe>",
    "<object data=x></object><embed src=x>",
    "<style>body{display:none}</style>",
    "<form action=//evil.example><input name=q><button>go</button></form>",
    "<svg onload=alert(1)><a xlink:href=javascript:alert(1)>x</a></svg>",
    "<a href='javascript:alert(1)'>x</a>",
    "<a href='jav&#x09;ascript:alert(1)'>x</a>",
    "<a href=' JAVASCRIPT:alert(1)'>x</a>",
    "<p style='background:url(javascript:alert(1))'>x</p>",
    "<meta http-equiv=refresh content='0;url=//evil.example'>",
    "<base href=//evil.example/>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    '[x](https://example.org "title" onmouseover="alert(1)")',
    "![x](javascript:alert(1))",
    "![x](https://example.org/x.png)",
    "<javascript:alert(1)>",
    "<https://example.org/?a=<script>>",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "```\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
]
# Markdown's containers, nested: blockquotes, lists, emphasis.
PREFIXES = ["> ", "- ", "1. ", "  ", "    ", "* ", "**", "_", "`", "# ", "### "]


@st.composite
def comments(draw) -> str:
    parts = draw(
        st.lists(
            st.sampled_from(PAYLOADS) | st.sampled_from(abstracts()) | st.text(max_size=40),
            min_size=1,
            max_size=4,
        )
    )
    depth = draw(st.integers(0, 30))
    prefix = "".join(draw(st.lists(st.sampled_from(PREFIXES), min_size=depth, max_size=depth)))
    separator = draw(st.sampled_from(["\n", "\n\n", " ", ""]))
    return prefix + separator.join(parts)


class Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's parser sees them (entities decoded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.found.append((tag, attrs))


def scheme(url: str) -> str | None:
    """The URL's scheme as a browser reads it (it drops tabs, newlines and surrounding blanks first)."""
    url = "".join(c for c in url if c not in "\t\n\r").strip(" \x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c")
    head = url.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return head.split(":", 1)[0].lower() if ":" in head else None


def assert_harmless(html: str) -> None:
    parser = Elements()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.found:
        assert tag in TAGS, f"<{tag}> in {html!r}"
        for name, value in attrs:
            assert name in ATTRIBUTES.get(tag, set()) | {"rel"}, f"{name}= on <{tag}> in {html!r}"
            assert not name.startswith("on")
            if name in URL_ATTRIBUTES and value is not None:
                assert scheme(value) in SAFE_SCHEMES | {None}, f"{value!r} in {html!r}"


@given(comments())
@example("<script>alert(1)</script>")
@example("[x](javascript:alert(1))")
# Python-Markdown nests calls per list level: 500 levels raised RecursionError, and every page showing
# the comment answered 500.
@example("- " * 3000 + "x")
@example("> " * 2000 + "x")
def test_no_comment_renders_anything_executable(text):
    assert_harmless(render(text))


@given(st.text())
def test_any_text_renders(text):
    assert_harmless(render(text))


def test_a_safe_link_is_kept():
    # The property above would hold for a renderer that dropped everything: links that are fine stay.
    html = render("[paper](https://arxiv.org/abs/2501.01234) and <https://example.org>")
    parser = Elements()
    parser.feed(html)
    hrefs = [dict(attrs)["href"] for tag, attrs in parser.found if tag == "a"]
    assert hrefs == ["https://arxiv.org/abs/2501.01234", "https://example.org"]


def test_a_comment_too_deep_for_markdown_is_shown_as_its_text():
    html = render("- " * 1000 + "<b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert_harmless(html)


def test_the_check_finds_live_markup():
    # The checker itself can fail: Markdown's own output of the payloads, unsanitised, is caught.
    import markdown

    for payload in ("<script>alert(1)</script>", "[x](javascript:alert(1))", "<img src=x onerror=alert(1)>"):
        with pytest.raises(AssertionError):
            assert_harmless(markdown.markdown(payload))


@pytest.mark.django_db
def test_a_paper_with_a_too_deep_comment_still_shows(reader):
    paper = import_sample(1, embed=False)[0]
    client = client_for(reader)
    body = "- " * 1000 + "deep"
    assert client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": body}).status_code == 302
    response = client.get(paper.get_absolute_url())
    assert response.status_code == 200 and "deep" in response.content.decode()
