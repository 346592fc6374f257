"""Properties of arXiv id parsing (catalog/ids.py): any text is an ArxivId or an InvalidArxivId, never another
error; an id formats and parses back to itself; every way of writing a real id parses to the same id."""

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from papertide.catalog.ids import URL_ID, ArxivId, InvalidArxivId, parse_arxiv_id
from tests.real_samples import real_ids_or_none

REAL_IDS = real_ids_or_none()

# Archives of old-style ids, as arXiv lists them (a subject class is optional: math.GT/0309136).
ARCHIVES = ["hep-th", "hep-ph", "astro-ph", "cond-mat", "quant-ph", "math", "gr-qc", "cs", "physics", "nlin"]


@st.composite
def new_style_ids(draw) -> ArxivId:
    yymm = draw(st.integers(7, 99)) * 100 + draw(st.integers(1, 12))
    yymm = max(yymm, 704)  # new-style ids start in April 2007
    digits = 5 if yymm >= 1501 else 4
    number = draw(st.integers(0, 10**digits - 1))
    version = draw(st.none() | st.integers(1, 999))
    return ArxivId(f"{yymm:04d}.{number:0{digits}d}", version)


@st.composite
def old_style_ids(draw) -> ArxivId:
    archive = draw(st.sampled_from(ARCHIVES))
    yymm = draw(st.sampled_from([f"{y:02d}{m:02d}" for y in (91, 99, 0, 7) for m in (1, 6, 12)]))
    number = draw(st.integers(0, 999))
    version = draw(st.none() | st.integers(1, 999))
    return ArxivId(f"{archive}/{yymm}{number:03d}", version)


ids = new_style_ids() | old_style_ids()


def spellings(text: str) -> st.SearchStrategy[str]:
    """The ways people and sources write one id: bare, arXiv:..., abs, pdf and html URLs, padded."""
    forms = st.sampled_from(
        [
            "{}",
            "arXiv:{}",
            "arxiv:{}",
            "https://arxiv.org/abs/{}",
            "http://export.arxiv.org/abs/{}",
            "https://www.arxiv.org/pdf/{}.pdf",
            "https://arxiv.org/pdf/{}",
            "https://arxiv.org/html/{}",
            "https://ARXIV.org/abs/{}/",
        ]
    )
    padding = st.sampled_from(["", " ", "\n", "\t "])
    return st.tuples(padding, forms, padding).map(lambda p: p[0] + p[1].format(text) + p[2])


def with_real_ids(test):
    for value in REAL_IDS:
        test = example(value)(test)
    return test


@given(ids)
def test_an_id_formats_and_parses_back_to_itself(arxiv_id):
    assert parse_arxiv_id(str(arxiv_id)) == arxiv_id


@given(ids, st.data())
def test_every_spelling_of_an_id_parses_to_it(arxiv_id, data):
    assert parse_arxiv_id(data.draw(spellings(str(arxiv_id)))) == arxiv_id


@pytest.mark.skipif(not REAL_IDS, reason="real data not found (set PAPERTIDE_SHARED_DATA)")
@given(st.sampled_from(REAL_IDS or ["-"]), st.data())
def test_every_spelling_of_a_real_id_parses_alike(real, data):
    parsed = parse_arxiv_id(real)
    assert parse_arxiv_id(data.draw(spellings(parsed.id))) == ArxivId(parsed.id)


def mutated(texts: list[str]) -> st.SearchStrategy[str]:
    """A text with one character inserted, replaced or removed: digits of other scripts, letters, marks."""
    alphabet = st.characters(codec="utf-8") | st.sampled_from("0123456789vV./-:٣３²")

    @st.composite
    def one(draw) -> str:
        text = draw(st.sampled_from(texts))
        at = draw(st.integers(0, len(text)))
        char = draw(alphabet)
        how = draw(st.sampled_from(["insert", "replace", "delete"]))
        if how == "insert":
            return text[:at] + char + text[at:]
        return text[:at] + (char if how == "replace" else "") + text[at + 1 :]

    return one()


@given(st.text() | mutated(REAL_IDS or ["2501.01234v2", "hep-th/9901001"]))
@with_real_ids
# Digits of other scripts matched \d: "٢٥٠١.٠١٢٣٤" (Arabic-Indic) was stored as a paper's id.
@example("٢٥٠١.٠١٢٣٤")
@example("hep-th/٩٩٠١٠٠١")
@example("２５０１.０１２３４v２")
# A long version number raised int()'s ValueError ("Exceeds the limit ... digits"), not InvalidArxivId.
@example("2501.01234v" + "9" * 5000)
def test_any_text_is_an_id_or_the_documented_rejection(text):
    try:
        parsed = parse_arxiv_id(text)
    except InvalidArxivId as exc:
        assert str(exc)  # the reason, for the person who typed it
        return
    canonical = str(parsed)
    assert canonical.isascii()
    assert parse_arxiv_id(canonical) == parsed  # the canonical form is a fixed point
    # Every id the parser accepts is one the paper URLs route (community/urls.py, library/interest_views.py).
    assert re.fullmatch(URL_ID, canonical)


@given(st.from_type(object).filter(lambda v: not isinstance(v, str)))
@example(None)
@example(2501.01234)
@example(b"2501.01234")
def test_a_value_that_is_not_text_is_rejected(value):
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(value)
