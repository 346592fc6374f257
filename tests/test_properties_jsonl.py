"""Properties of the JSON readers: the snapshot and listing JSONL files (sources/snapshot.py) and Hugging
Face's daily-papers shapes (sources/hf_daily.py), fed real records mutated (fields dropped, of other types,
cut short, with control characters, deeply nested, not UTF-8).

The documented behaviour: a line or entry that cannot be read is reported (a RejectedRecord) and skipped,
and every other one still lands; nothing is raised, so one bad line never loses the batch."""

import gzip
import json
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from papertide.catalog.records import PaperRecord, RejectedRecord, SourceError
from papertide.catalog.sources.hf_daily import HuggingFaceDaily, entries, read_hf_captures, read_hf_daily
from papertide.catalog.sources.snapshot import read_snapshot
from tests.real_samples import hf_capture_lines, hf_responses, hf_scrape, kaggle_lines, listing_lines
from tests.replay import Reply

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

# Values a field can be given instead of its own: other types, empty, hostile text, deep nesting.
ODD_VALUES = (
    st.sampled_from(
        [
            None,
            "",
            0,
            -1,
            1.5,
            True,
            [],
            {},
            ["x"],
            {"a": 1},
            "\x00",
            "\x1b[31m",
            "\ufffe",
            "\ud800",
            "²",
            "v0",
            "v1x",
            "2024-13-45",
            "Mon, 99 Foo 2007",
            "9" * 5000,
            [[[[[[]]]]]],
        ]
    )
    | st.text(max_size=20)
    | st.integers()
    | st.recursive(st.none(), lambda c: st.lists(c, max_size=2), max_leaves=20)
)


def _paths(value, path=()):
    """Every place in a JSON value: (path of keys and indices) pairs, the value's own place first."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:5]):
            yield from _paths(item, (*path, index))


def _mutate_value(draw, value):
    value = json.loads(json.dumps(value))  # a copy
    places = list(_paths(value))[1:]
    if not places:
        return draw(ODD_VALUES)
    for _ in range(draw(st.integers(1, 3))):
        place = draw(st.sampled_from(places))
        parent = value
        try:
            for key in place[:-1]:
                parent = parent[key]
            if draw(st.booleans()) and isinstance(parent, dict):
                del parent[place[-1]]
            else:
                parent[place[-1]] = draw(ODD_VALUES)
        except (KeyError, IndexError, TypeError):  # an earlier change removed or replaced the place
            pass
    return value


@st.composite
def mutated_json(draw, values: list) -> object:
    return _mutate_value(draw, draw(st.sampled_from(values)))


@st.composite
def bad_lines(draw, lines: list[str]) -> bytes:
    """A real line changed in its JSON or in its bytes (one line: a newline in it would make two)."""
    return draw(_bad_line(lines)).replace(b"\n", b" ")


@st.composite
def _bad_line(draw, lines: list[str]) -> bytes:
    line = draw(st.sampled_from(lines))
    how = draw(st.sampled_from(["json", "json", "cut", "bytes", "nest", "other"]))
    if how == "json":
        text = json.dumps(_mutate_value(draw, json.loads(line)), ensure_ascii=draw(st.booleans()))
        return text.encode(
            "utf-8", "surrogatepass"
        )  # a lone surrogate ("\ud800") makes bytes that are not UTF-8
    raw = line.encode()
    if how == "cut":
        return raw[: draw(st.integers(1, len(raw) - 1))]
    if how == "bytes":
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + draw(st.binary(min_size=1, max_size=4)) + raw[at:]
    if how == "nest":
        depth = draw(st.integers(1, 100_000))
        return b'{"id": ' + b"[" * depth + b"]" * depth + raw[raw.index(b",") :]
    return draw(st.sampled_from([b"[]", b"1", b'"text"', b"null", b"{}"]))


def _write(lines: list[bytes], compressed: bool) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=".jsonl.gz" if compressed else ".jsonl", delete=False)
    data = b"\n".join(lines) + b"\n"
    handle.write(gzip.compress(data) if compressed else data)
    handle.close()
    return Path(handle.name)


def check_record(item) -> None:
    assert isinstance(item, PaperRecord | RejectedRecord), item
    if isinstance(item, PaperRecord):
        try:
            item.validated()
        except RejectedRecord:
            pass


def _interleave(good: list[str], bad: list[bytes]) -> tuple[list[bytes], list[int]]:
    """Good and bad lines alternating; the line numbers (from 1) of the good ones."""
    lines, good_numbers = [], []
    for index, line in enumerate(good):
        lines.append(line.encode())
        good_numbers.append(len(lines))
        if index < len(bad):
            lines.append(bad[index])
    lines += bad[len(good) :]
    return lines, good_numbers


def _snapshot_lines(bad: list[bytes], compressed: bool, good: list[str]) -> None:
    lines, good_numbers = _interleave(good, bad)
    path = _write(lines, compressed)
    try:
        items = list(read_snapshot(path))
    finally:
        path.unlink()
    # One item per line that is not blank, in order: every bad line is reported, no good line is lost.
    assert len(items) == sum(1 for line in lines if line.strip())
    numbered = [n for n, line in enumerate(lines, 1) if line.strip()]
    for number, item in zip(numbered, items, strict=True):
        check_record(item)
        if number in good_numbers:
            expected = json.loads(lines[number - 1])["id"]
            assert isinstance(item, PaperRecord) and item.validated().arxiv_id == expected
        elif isinstance(item, RejectedRecord):
            assert item.reason.startswith(f"line {number}:")


@given(st.lists(st.deferred(lambda: bad_lines(listing_lines() + kaggle_lines())), max_size=4), st.booleans())
# Nesting deeper than the interpreter's recursion limit raised RecursionError out of json.loads, and a number
# of over 4,300 digits a ValueError that is not a JSONDecodeError: either stopped the whole import.
@example([b"[" * 100_000], False)
@example([b'{"id": "2501.01234", "title": "x", "n": ' + b"1" * 5000 + b"}"], True)
def test_a_bad_snapshot_line_is_reported_and_the_others_land(bad, compressed):
    _snapshot_lines(bad, compressed, listing_lines()[:2] + kaggle_lines()[:2])


@given(st.deferred(lambda: bad_lines(listing_lines() + kaggle_lines())))
def test_a_bad_last_line_is_reported_too(bad):
    _snapshot_lines([bad], False, kaggle_lines()[:1])


# Hugging Face


def _entry_ids(response: list) -> list:
    return [e["paper"]["id"] for e in response]


@given(st.deferred(lambda: st.sampled_from(hf_responses())), st.data())
def test_a_bad_hf_entry_is_reported_and_the_others_land(response, data):
    if not response:
        return
    index = data.draw(st.integers(0, len(response) - 1))
    changed = list(response)
    changed[index] = data.draw(mutated_json([response[index]]) | ODD_VALUES)
    day, read_at = date(2025, 1, 8), datetime(2025, 1, 8, 7, 45, tzinfo=UTC)
    items = list(entries(changed, day, read_at))
    assert len(items) == len(changed)
    for position, item in enumerate(items):
        check_record(item)
        if position != index:
            assert isinstance(item, PaperRecord) and item.arxiv_id == response[position]["paper"]["id"]


@given(st.lists(st.deferred(lambda: bad_lines(hf_capture_lines())), min_size=1, max_size=3))
# A paper id that is a list or an object was used as a dictionary key and raised TypeError (unhashable)
# after every line had been read, losing the whole file.
@example(
    [
        b'{"date": "2025-01-08", "committed_at": "2025-01-08T08:00:00Z", "response": [{"paper": '
        b'{"id": ["2501.01234"], "title": "t", "authors": [], "upvotes": 1}}]}'
    ]
)
@example([b"[" * 100_000])
def test_a_bad_hf_capture_is_reported_and_the_others_land(bad):
    good = hf_capture_lines()[:2]
    lines, _ = _interleave(good, bad)
    path = _write(lines, compressed=True)
    try:
        items = list(read_hf_captures(path))
    finally:
        path.unlink()
    for item in items:
        check_record(item)
    landed = {item.arxiv_id for item in items if isinstance(item, PaperRecord)}
    for line in good:
        assert set(_entry_ids(json.loads(line)["response"])) <= landed


@given(st.deferred(lambda: st.sampled_from(sorted(hf_scrape().items()))), st.data())
def test_a_bad_paper_of_a_saved_scrape_is_reported_and_the_others_land(item, data):
    key, paper = item
    neighbours = dict(sorted(hf_scrape().items())[:3])
    saved = {**neighbours, key: data.draw(mutated_json([paper]) | ODD_VALUES)}
    path = _write([json.dumps(saved).encode()], compressed=False)
    try:
        items = list(read_hf_daily(path))
    finally:
        path.unlink()
    assert len(items) == len(saved)
    for found in items:
        check_record(found)
    landed = {found.arxiv_id for found in items if isinstance(found, PaperRecord)}
    assert set(neighbours) - {key} <= landed


@pytest.mark.parametrize("body", [b"[" * 100_000, b"[" + b"1" * 5000 + b"]"])
def test_a_saved_hf_file_too_deep_or_with_a_huge_number_is_reported(body):
    path = _write([body], compressed=False)
    try:
        (item,) = read_hf_daily(path)
    finally:
        path.unlink()
    assert isinstance(item, RejectedRecord) and "invalid JSON" in item.reason


@pytest.mark.parametrize("body", [b"[" * 100_000, b"[" + b"1" * 5000 + b"]"])
def test_an_hf_reply_too_deep_or_with_a_huge_number_is_a_source_error(hub, body):
    # Found by the properties above (the same json.loads): RecursionError and ValueError left the API
    # client, where its documented failure is SourceError.
    hub.add("/api/daily_papers", {"date": "2025-01-08"}, Reply(200, body))
    with pytest.raises(SourceError, match="not JSON"):
        list(HuggingFaceDaily().day(date(2025, 1, 8), datetime(2025, 1, 8, tzinfo=UTC)))
