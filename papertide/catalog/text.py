"""arXiv's raw text made readable: hard line breaks joined, LaTeX turned into Unicode.

The catalog stores arXiv's text exactly as received; these functions make the display form. Cleaning an
abstract with pylatexenc costs about a millisecond, too slow for bulk import (the budget there is a third
of a millisecond per record), so it happens when text is shown, memoised per process.
"""

import re
from functools import lru_cache

from pylatexenc import latexwalker
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
from pylatexenc.macrospec import std_macro

# An empty line starts a new paragraph, and so does a line break followed by indentation after the end of a
# sentence. arXiv also indents a wrapped line in the middle of a sentence (titles: "Tevatron and\n  LHC
# energies"; some abstracts): that one is joined.
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n|(?:(?<=[.!?:])|(?<=[.!?:][)\]\"']))\n[ \t]{2,}(?=\S)")
WHITESPACE = re.compile(r"\s+")
# Only text with one of these characters needs the LaTeX parser; the rest is returned as it is.
LATEX_CHARS = re.compile(r"[\\$~{}^_%]")
# A bare % starts a LaTeX comment and would swallow the rest of the line; arXiv authors mean "percent".
BARE_PERCENT = re.compile(r"(?<!\\)%")
# URLs pass through unchanged: in LaTeX "~" is a space, "&" a column break and "%" a comment, which would
# mangle https://www.robots.ox.ac.uk/~vgg/... or ?a=1&b=2. They are hidden from the parser and put back.
URL = re.compile(r"https?://[^\s<>\"'{}\\|^`]+", re.IGNORECASE)
PLACEHOLDER = re.compile(r"\ue000(\d+)\ue001")


# Authors' own one- or two-letter capital macros are nearly always blackboard letters ($\R$, $\ZZ$):
# keep their names, where pylatexenc would drop them ("over $\R$" became "over "). Other unknown macros
# are mostly font switches ({\rm GeV}, {\bf x}) and are dropped, as before.
SYMBOL_MACRO = re.compile(r"[A-Z]{1,2}")


def _unknown_macro(node) -> str:
    return node.macroname if SYMBOL_MACRO.fullmatch(node.macroname) else ""


_context = get_default_latex_context_db()
_context.set_unknown_macro_spec(MacroTextSpec("", simplify_repl=_unknown_macro))
# pylatexenc knows these take an argument but has no text for them, so "\texttt{https://github.com/...}"
# vanished whole: show the argument.
_context.add_context_category(
    "papertide-text-fonts",
    prepend=True,
    macros=[MacroTextSpec(name, discard=False) for name in ("texttt", "textsf", "textmd", "textup", "mbox")],
)


def _href(node, l2tobj) -> str:
    url, label = (l2tobj.nodelist_to_text([arg]).strip() if arg else "" for arg in node.nodeargd.argnlist)
    return url if not label or label == url else f"{label} <{url}>"


_context.add_context_category("papertide-links", prepend=True, macros=[MacroTextSpec("href", _href)])
_latex = LatexNodes2Text(latex_context=_context, math_mode="text", strict_latex_spaces=False)
# The parser's own table lacks \href, so "\href{url}{text}" (in 530 of 74,728 recent abstracts) raised.
_parser_context = latexwalker.get_default_latex_context_db()
_parser_context.add_context_category("papertide-links", prepend=True, macros=[std_macro("href", False, 2)])


def join_lines(text: str) -> str:
    """Join arXiv's hard-wrapped lines into one line per paragraph; paragraphs separated by a blank line."""
    paragraphs = PARAGRAPH_BREAK.split(text.strip())
    return "\n\n".join(WHITESPACE.sub(" ", p).strip() for p in paragraphs if p.strip())


@lru_cache(maxsize=8192)
def latex_to_unicode(text: str) -> str:
    if not LATEX_CHARS.search(text):
        return text
    urls: dict[str, int] = {}

    def hide(match: re.Match) -> str:
        return f"\ue000{urls.setdefault(match.group(), len(urls))}\ue001"

    try:
        nodes = latexwalker.LatexWalker(
            BARE_PERCENT.sub(r"\\%", URL.sub(hide, text)),
            latex_context=_parser_context,
            tolerant_parsing=True,
        ).get_latex_nodes()[0]
        result = _latex.nodelist_to_text(nodes)
    except Exception:  # pylatexenc raises on some malformed macros (e.g. \href without its argument)
        return text
    if "%s" in result and "%s" not in text:  # a macro missing its arguments (\frac{1}) left its template
        return text
    by_index = list(urls)
    # A placeholder-like sequence in the source text itself is left alone.
    result = PLACEHOLDER.sub(lambda m: by_index[int(m[1])] if int(m[1]) < len(by_index) else m[0], result)
    return WHITESPACE.sub(" ", result).strip() if "\n" not in text else result


@lru_cache(maxsize=8192)
def clean(text: str | None) -> str:
    """Display form of a raw arXiv field: joined lines, LaTeX to Unicode, paragraphs kept."""
    if not text:
        return ""
    paragraphs = (latex_to_unicode(p).strip() for p in join_lines(text).split("\n\n"))
    # A paragraph of LaTeX alone ("\\") cleans to nothing: it leaves no empty paragraph behind.
    return "\n\n".join(p for p in paragraphs if p)
