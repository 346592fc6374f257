"""Properties of the display cleaning of arXiv text (catalog/text.py) and of code-link normalisation
(catalog/codelinks.py), from real titles, abstracts and comments and mutations of them."""

import re

from hypothesis import example, given
from hypothesis import strategies as st

from papertide.catalog import text
from papertide.catalog.codelinks import URL, find_links, normalise
from tests.real_samples import abstracts, latex_texts

LATEX_SPECIALS = "\\{}$^_%~&#"
MACROS = [
    "\\frac{1}",
    "\\href{",
    "\\href{https://a.org}{x}",
    "\\url{",
    "\\emph{",
    "\\begin{itemize}",
    "\\end{",
    "\\\\",
    "\\'",
    '\\"{o}',
    "$\\mathbb{R}",
    "\\texttt{https://github.com/a/b}",
    "%s",
    "\ue0000\ue001",
    "\n\n",
    "\n  ",
    "https://github.com/a/b",
    "~",
    "{",
    "}",
    "$",
    "^",
    "_",
]


@st.composite
def mutated(draw, texts) -> str:
    """A real text cut short, or with LaTeX fragments, special characters or any text put in it."""
    value = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(value)))
        how = draw(st.sampled_from(["cut", "insert", "insert", "delete"]))
        if how == "cut":
            value = value[:at]
        elif how == "delete":
            value = value[:at] + value[at + draw(st.integers(1, 20)) :]
        else:
            piece = draw(st.sampled_from(MACROS) | st.sampled_from(LATEX_SPECIALS) | st.text(max_size=5))
            value = value[:at] + piece + value[at:]
    return value


def real_or_mutated():
    return st.sampled_from(latex_texts()) | mutated(latex_texts()) | mutated(abstracts()) | st.text()


@given(st.deferred(real_or_mutated))
# A paragraph that was all LaTeX without text ("\\") cleaned to nothing and left an empty paragraph
# between its neighbours ("a\n\n\n\nb"), which a second cleaning closed up.
@example("a\n\n\\\\\n\nb")
def test_cleaning_gives_paragraphs_of_single_spaced_text(raw):
    cleaned = text.clean(raw)
    assert cleaned == cleaned.strip()
    for paragraph in cleaned.split("\n\n") if cleaned else []:
        assert paragraph and paragraph == paragraph.strip()
        assert not re.search(r"\s\s|\n", paragraph), paragraph
    # The URL placeholders and the macros' templates never show.
    assert ("\ue000" in cleaned) <= ("\ue000" in raw)
    assert ("%s" in cleaned) <= ("%s" in raw)


@given(st.deferred(real_or_mutated))
@example("a\n\n\\\\\n\nb")
def test_cleaning_clean_text_changes_nothing(raw):
    """Idempotent where the first cleaning leaves no LaTeX: arXiv's escapes \\{ \\$ \\% \\_ become the bare
    characters, which a second pass would read as LaTeX again (docs/development.md, "Property tests")."""
    cleaned = text.clean(raw)
    if not text.LATEX_CHARS.search(cleaned):
        assert text.clean(cleaned) == cleaned


@given(st.deferred(real_or_mutated))
def test_joining_lines_is_idempotent(raw):
    joined = text.join_lines(raw)
    assert text.join_lines(joined) == joined


@given(st.sampled_from(abstracts()) | mutated(abstracts()))
def test_urls_in_plain_text_survive_cleaning(raw):
    # LaTeX would read "~" as a space and "%" as a comment: a URL in an abstract must reach the page whole.
    cleaned = text.clean(raw)
    for url in text.URL.findall(" ".join(raw.split())):
        if not set(url) & set("\ue000\ue001"):
            assert url in cleaned


GITHUB_REPOS = [
    "https://github.com/facebookresearch/segment-anything",
    "https://github.com/huggingface/transformers",
]
DECORATIONS = [
    "",
    "/",
    ".git",
    ".git/",
    "#readme",
    "?tab=readme",
    ".",
    ")",
    "/tree/main",
    "/.",
    ".git.git",
    "?a=b.#x",
    "/a.b./",
    ":443",
    "/%20",
    "/(x)",
    "/x)",
]


@st.composite
def urls(draw) -> str:
    real = [m.group() for t in abstracts() for m in URL.finditer(t)] or GITHUB_REPOS
    url = draw(st.sampled_from(real + GITHUB_REPOS))
    if draw(st.booleans()):
        url = url.replace("https://", draw(st.sampled_from(["http://", "HTTPS://", "https://www."])), 1)
    if draw(st.booleans()):
        url = url.upper() if draw(st.booleans()) else url.lower()
    return url + "".join(draw(st.lists(st.sampled_from(DECORATIONS) | st.text(max_size=3), max_size=3)))


@given(urls() | st.text())
# Dropping the fragment or the trailing slash uncovered a trailing dot, and ".git.git" lost one ".git" a
# pass: normalising a normalised link changed it, so one repository could be stored under two URLs.
@example("https://github.com/a/b.git.git")
@example("https://h.org/a?x.#f")
@example("https://h.org/a./")
def test_a_normalised_link_is_its_own_normal_form(url):
    link = normalise(url)
    if link is None:
        return
    assert link.kind in {"github", "code", "huggingface", "project"}
    assert link.url.startswith(("https://", "http://"))
    assert normalise(link.url) == link


@given(st.sampled_from(abstracts()) | mutated(abstracts()) | st.text())
def test_links_found_in_any_text_are_normal_and_unique(raw):
    links = find_links(raw)
    assert len({link.url.lower() for link in links}) == len(links)
    for link in links:
        assert normalise(link.url) == link
