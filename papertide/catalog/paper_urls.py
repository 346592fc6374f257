"""The URL of one of a paper's pages or actions, without a reverse() each time: a list page of fifty rows
asks for about 250 of them (the page, its comments, upvote, save, save to), at 36 µs a reverse().

Each URL name is reversed once per process (and script prefix) with a sample id, and the paper's id is
put where the sample was. Every paper URL has the id as its only argument (catalog.ids.URL_ID), and ids
hold only letters, digits, '.', '-' and '/', which a URL keeps as they are, as reverse() would.
"""

from django.urls import get_script_prefix, reverse

_SAMPLE = "0000.00000"
_shapes: dict[tuple[str, str], tuple[str, str]] = {}


def paper_url(name: str, arxiv_id: str) -> str:
    key = (name, get_script_prefix())
    shape = _shapes.get(key)
    if shape is None:
        before, after = reverse(name, args=[_SAMPLE]).split(_SAMPLE)  # two parts: the id appears once
        shape = _shapes[key] = (before, after)
    return shape[0] + arxiv_id + shape[1]
