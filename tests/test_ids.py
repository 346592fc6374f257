"""parse_arxiv_id: what people and sources write, turned into (id without version, version)."""

import pytest

from papertide.catalog.ids import ArxivId, InvalidArxivId, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2501.01234", ArxivId("2501.01234")),
        ("2501.01234v2", ArxivId("2501.01234", 2)),
        ("2501.01234v12", ArxivId("2501.01234", 12)),
        ("  2501.01234  ", ArxivId("2501.01234")),
    ],
)
def test_new_style_id_with_and_without_version(text, expected):
    assert parse_arxiv_id(text) == expected


def test_four_digit_numbers_until_1412_and_five_digit_numbers_from_1501():
    assert parse_arxiv_id("0704.0001") == ArxivId("0704.0001")
    assert parse_arxiv_id("1412.9999") == ArxivId("1412.9999")
    assert parse_arxiv_id("1501.00001") == ArxivId("1501.00001")
    with pytest.raises(InvalidArxivId, match="5-digit numbers start in 1501"):
        parse_arxiv_id("0704.12345")
    with pytest.raises(InvalidArxivId, match="since 1501 the number has 5 digits"):
        parse_arxiv_id("1501.0001")


def test_new_style_ids_before_april_2007_do_not_exist():
    with pytest.raises(InvalidArxivId, match="new-style ids start in 0704"):
        parse_arxiv_id("0703.0001")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("hep-th/9901001v3", ArxivId("hep-th/9901001", 3)),
        ("cond-mat/0703123", ArxivId("cond-mat/0703123")),
        # The subject class is not part of the identifier: arXiv files math.GT/0309136 as math/0309136.
        ("math.GT/0309136", ArxivId("math/0309136")),
        ("math.GT/0309136v2", ArxivId("math/0309136", 2)),
    ],
)
def test_old_style_id(text, expected):
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arXiv:2501.01234", ArxivId("2501.01234")),
        ("arxiv:2501.01234v2", ArxivId("2501.01234", 2)),
        ("ARXIV:hep-th/9901001", ArxivId("hep-th/9901001")),
        ("https://arxiv.org/abs/2501.01234", ArxivId("2501.01234")),
        ("https://arxiv.org/abs/2501.01234v3", ArxivId("2501.01234", 3)),
        ("http://arxiv.org/abs/hep-th/9901001/", ArxivId("hep-th/9901001")),
        ("https://export.arxiv.org/abs/2501.01234", ArxivId("2501.01234")),
        ("https://www.arxiv.org/abs/math.GT/0309136", ArxivId("math/0309136")),
        ("https://arxiv.org/pdf/2501.01234", ArxivId("2501.01234")),
        ("https://arxiv.org/pdf/2501.01234v3.pdf", ArxivId("2501.01234", 3)),
        ("https://arxiv.org/pdf/hep-th/9901001v1.pdf", ArxivId("hep-th/9901001", 1)),
    ],
)
def test_prefixes_and_arxiv_urls_are_accepted(text, expected):
    assert parse_arxiv_id(text) == expected


def test_str_gives_the_versioned_form():
    assert str(parse_arxiv_id("arXiv:2501.01234v2")) == "2501.01234v2"
    assert str(parse_arxiv_id("math.GT/0309136")) == "math/0309136"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", r"'abc' is not an arXiv id \(expected e\.g\. 2501\.01234"),
        ("", "is not an arXiv id"),
        ("2501.1", r"'2501\.1' is not an arXiv id"),
        ("2513.00001", "month 13 does not exist"),
        ("2500.00001", "month 00 does not exist"),
        ("hep-th/9913001", "month 13 does not exist"),
        ("0704.12345", "5-digit numbers start in 1501"),
        ("2501.01234v0", "versions start at v1"),
        ("2501.012345", "is not an arXiv id"),
        ("HEP-TH/9901001", "is not an arXiv id"),
        ("https://example.org/abs/2501.01234", "is not an arXiv id"),
    ],
)
def test_rejections_say_why(text, reason):
    with pytest.raises(InvalidArxivId, match=reason):
        parse_arxiv_id(text)


@pytest.mark.parametrize("value", [None, 2501.01234, ["2501.01234"]])
def test_a_non_text_id_is_rejected_with_its_type(value):
    with pytest.raises(InvalidArxivId, match=f"must be text, not {type(value).__name__}"):
        parse_arxiv_id(value)


def test_a_long_rejected_value_is_cut_short_in_the_message():
    with pytest.raises(InvalidArxivId) as info:
        parse_arxiv_id("x" * 5000)
    assert len(str(info.value)) < 200
