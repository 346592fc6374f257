"""Marking the query's words in text shown with search results."""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .keyword import query_words

SUFFIXES = ("ing", "es", "ed", "s")
TOKEN = re.compile(r"\w+", re.UNICODE)


def stem(word: str) -> str:
    """A crude stem, enough to mark "network" in "networks": the index itself uses the Porter stemmer."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def highlight(text: str, query: str) -> SafeString:
    """Escape the text and wrap each word matching a query word in <mark>."""
    stems = {stem(w) for w in query_words(query)}
    if not stems:
        return mark_safe(escape(text))
    out: list[str] = []
    last = 0
    for match in TOKEN.finditer(text):
        if stem(match.group().lower()) in stems:
            out.append(escape(text[last : match.start()]))
            out.append(f"<mark>{escape(match.group())}</mark>")
            last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))
