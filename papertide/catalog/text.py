"""arXiv's raw text made readable: hard line breaks joined, LaTeX turned into Unicode.

The catalog stores arXiv's text exactly as received; these functions make the display form. Cleaning an
abstract with pylatexenc costs about a millisecond, too slow for bulk import (the budget there is a third
of a millisecond per record), so it happens when text is shown, memoised per process.
"""

import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

# A line break followed by indentation, or an empty line, starts a new paragraph in arXiv abstracts.
PARAGRAPH_BREAK = re.compile(r"\n(?:[ \t]*\n|[ \t]{2,}(?=\S))")
WHITESPACE = re.compile(r"\s+")
# Only text with one of these characters needs the LaTeX parser; the rest is returned as it is.
LATEX_CHARS = re.compile(r"[\\$~{}^_%]")
# A bare % starts a LaTeX comment and would swallow the rest of the line; arXiv authors mean "percent".
BARE_PERCENT = re.compile(r"(?<!\\)%")

_latex = LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


def join_lines(text: str) -> str:
    """Join arXiv's hard-wrapped lines into one line per paragraph; paragraphs separated by a blank line."""
    paragraphs = PARAGRAPH_BREAK.split(text.strip())
    return "\n\n".join(WHITESPACE.sub(" ", p).strip() for p in paragraphs if p.strip())


@lru_cache(maxsize=8192)
def latex_to_unicode(text: str) -> str:
    if not LATEX_CHARS.search(text):
        return text
    try:
        result = _latex.latex_to_text(BARE_PERCENT.sub(r"\\%", text))
    except Exception:  # pylatexenc raises on some malformed macros (e.g. \href without its argument)
        return text
    return WHITESPACE.sub(" ", result).strip() if "\n" not in text else result


@lru_cache(maxsize=8192)
def clean(text: str | None) -> str:
    """Display form of a raw arXiv field: joined lines, LaTeX to Unicode, paragraphs kept."""
    if not text:
        return ""
    paragraphs = join_lines(text).split("\n\n")
    return "\n\n".join(latex_to_unicode(p).strip() for p in paragraphs)
