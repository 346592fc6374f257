"""Properties of the XML parsers, the arXiv API's Atom (sources/atom.py) and OAI-PMH's ListRecords
(sources/oai_pmh.py), on real recorded responses mutated: elements dropped, emptied, given other text or
attributes, nested deep; bytes cut, inserted, entities and DTDs added.

What they may do with bad input is documented: Atom raises ArxivAPIError for arXiv's error feed and nothing
else; both yield a RejectedRecord for an entry they cannot read and note an unreadable document in
`truncated`, keeping the entries before the damage."""

import copy
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papertide.catalog.records import PaperRecord, RejectedRecord
from papertide.catalog.sources.atom import UNREADABLE, ArxivAPIError, FeedInfo, parse_feed
from papertide.catalog.sources.oai_pmh import PageInfo, parse_list_records
from tests.real_samples import atom_bodies, oai_bodies, oai_chain_pages

# The strategies sample whole real responses: Hypothesis warns that their repr is long, which is expected.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
SNIPPETS = [
    b"&amp;",
    b"&#0;",
    b"&#x1F600;",
    b"&nbsp;",
    b"&#x110000;",
    b"&undefined;",
    b"<![CDATA[<x>]]>",
    b"]]>",
    b"<?pi x?>",
    b"<!-- c -->",
    b"<",
    b"&",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    "é".encode(),
]
DTDS = [
    # Billion laughs: expat refuses the amplification, the parser must stop without eating the memory.
    b'<!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    b'<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
    b'<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>',
    # An external entity: ElementTree never fetches it (nothing outside the machine is read).
    b'<!DOCTYPE feed [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
]
VALUES = st.text(max_size=30) | st.sampled_from(
    [
        "",
        " ",
        "2501.01234v2",
        "hep-th/9901001",
        "http://arxiv.org/abs/2501.01234v9",
        "2024-02-30",
        "2020-01-01T00:00:00",
        "2020-01-01",
        "-1",
        "²",
        "1" * 5000,
        "v0",
        "http://arxiv.org/api/errors#x",
    ]
)


@st.composite
def mutated(draw, bodies: list[bytes]) -> bytes:
    body = draw(st.sampled_from(bodies))
    for _ in range(draw(st.integers(1, 3))):
        body = draw(st.sampled_from([_bytes, _element]))(draw, body)
    return body


def _bytes(draw, body: bytes) -> bytes:
    at = draw(st.integers(0, len(body)))
    how = draw(st.sampled_from(["cut", "insert", "nest", "dtd", "encoding"]))
    if how == "cut":
        return body[:at]
    if how == "nest":  # thousands of nested elements after a tag, as a hostile server could send
        at = body.find(b">", at) + 1
        tag = draw(st.sampled_from([b"title", b"author", b"entry", b"record", b"x"]))
        depth = draw(st.integers(1, 5000))
        return body[:at] + b"<%s>" % tag * depth + b"text" + b"</%s>" % tag * depth + body[at:]
    if how == "insert":
        return body[:at] + draw(st.sampled_from(SNIPPETS) | st.binary(max_size=4)) + body[at:]
    start = body.find(b"?>") + 2 if body.startswith(b"<?xml") else 0
    if how == "dtd":
        return body[:start] + draw(st.sampled_from(DTDS)) + body[start:]
    declaration = b"<?xml version='1.0' encoding='%s'?>" % draw(
        st.sampled_from([b"latin-1", b"utf-16", b"ascii", b"bogus", b"utf-32"])
    )
    return declaration + body[start:]


def _element(draw, body: bytes) -> bytes:
    try:
        root = ET.fromstring(body)
    except UNREADABLE:
        return body
    parents = {child: parent for parent in root.iter() for child in parent}
    if not parents:  # a root alone, after an earlier mutation
        return body
    element = draw(st.sampled_from(list(parents)))
    how = draw(st.sampled_from(["drop", "text", "attribute", "copy", "empty"]))
    try:
        if how == "drop":
            parents[element].remove(element)
        elif how == "text":
            element.text = draw(VALUES)
        elif how == "attribute":
            element.set(
                draw(st.sampled_from(["term", "completeListSize", "status", "code", "x"])), draw(VALUES)
            )
        elif how == "copy":
            parents[element].append(copy.deepcopy(element))
        else:
            element.clear()
        return ET.tostring(root)
    except RecursionError:  # nested deep by an earlier mutation: deepcopy and ElementTree's writer recurse
        return body


def check_record(item) -> None:
    """A yielded item is a record or a rejection; a record passes the catalog's checks or is rejected by
    them, and its times are aware (the catalog stores UTC)."""
    assert isinstance(item, PaperRecord | RejectedRecord), item
    if isinstance(item, PaperRecord):
        for when in (item.published, item.updated, *item.versions.values()):
            assert when is None or (isinstance(when, datetime) and when.tzinfo is not None), when
        try:
            item.validated()
        except RejectedRecord:
            pass


def well_formed(body: bytes) -> bool:
    try:
        ET.fromstring(body)
    except UNREADABLE:
        return False
    return True


# Atom


@given(st.deferred(lambda: mutated(atom_bodies())))
def test_any_atom_feed_gives_records_rejections_or_the_api_error(body):
    info = FeedInfo()
    try:
        for item in parse_feed(body, info):
            check_record(item)
    except ArxivAPIError as exc:
        assert str(exc)
    assert info.total is None or isinstance(info.total, int)


@given(st.deferred(lambda: st.sampled_from([b for b in atom_bodies() if b"/api/errors" not in b])), st.data())
def test_a_cut_atom_feed_keeps_every_entry_before_the_cut(body, data):
    cut = body[: data.draw(st.integers(0, len(body) - 1))]
    info = FeedInfo()
    items = list(parse_feed(cut, info))
    assert len(items) == cut.count(b"</entry>")
    assert bool(info.truncated) != well_formed(cut)  # an incomplete document is reported


def test_an_atom_time_without_zone_is_utc():
    # Found by the property above: "2020-01-01T00:00:00" (no zone) gave a naive datetime, which the
    # database would have read in the server's time zone, not arXiv's UTC.
    for body in atom_bodies():
        if body.count(b"<entry>") == 1 and b"/api/errors" not in body:
            break
    start = body.index(b"<published>") + len(b"<published>")
    end = body.index(b"</published>")
    naive = body[:start] + b"2020-01-01T00:00:00" + body[end:]
    (record,) = parse_feed(naive, FeedInfo())
    assert record.published.isoformat() == "2020-01-01T00:00:00+00:00"


# OAI-PMH


@given(st.deferred(lambda: mutated(oai_bodies() + oai_chain_pages())))
def test_any_oai_page_gives_records_or_rejections(body):
    page = PageInfo()
    for item in parse_list_records(body, page):
        check_record(item)
    assert page.total is None or isinstance(page.total, int)
    assert isinstance(page.token, str) and isinstance(page.error_code, str)


@given(st.deferred(lambda: st.sampled_from(oai_chain_pages() + oai_bodies())), st.data())
def test_a_cut_oai_page_keeps_every_record_before_the_cut(body, data):
    cut = body[: data.draw(st.integers(0, len(body) - 1))]
    page = PageInfo()
    items = list(parse_list_records(cut, page))
    assert len(items) == page.records == cut.count(b"</record>")
    assert bool(page.truncated) != well_formed(cut)


@pytest.mark.parametrize("size", ["²", "1" * 5000])
def test_an_unreadable_list_size_is_unknown(size):
    # Found by the property above: completeListSize="²" passed isdigit() and int() raised ValueError (so did
    # 5,000 digits), which stopped the harvest instead of reading the page.
    body = oai_chain_pages()[0].replace(b'completeListSize="1405437"', f'completeListSize="{size}"'.encode())
    page = PageInfo()
    assert len(list(parse_list_records(body, page))) == 1
    assert page.total is None and page.token == "2752941|1001"


@pytest.mark.parametrize("encoding", [b"utf-16", b"bogus"])
def test_a_document_in_an_encoding_expat_cannot_read_is_reported(encoding):
    # Found by the properties above: encoding="utf-16" raised ValueError ("multi-byte encodings are not
    # supported") and encoding="bogus" LookupError out of both parsers, where a ParseError is reported.
    declaration = b"<?xml version='1.0' encoding='%s'?>" % encoding
    atom = atom_bodies()[0]
    info = FeedInfo()
    assert list(parse_feed(declaration + atom[atom.index(b"?>") + 2 :], info)) == []
    assert "unreadable XML" in info.truncated
    oai = oai_chain_pages()[0]
    page = PageInfo()
    assert list(parse_list_records(declaration + oai[oai.index(b"?>") + 2 :], page)) == []
    assert "unreadable XML" in page.truncated
