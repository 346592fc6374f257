"""text.clean: arXiv's raw text (hard line breaks, LaTeX) made readable, on real titles and abstracts."""

import gzip
import itertools
import json

import pytest

from papertide.catalog.text import clean, join_lines
from tests.conftest import data_path

LISTINGS = "arxiv/listings-2025-03-to-2026-07.jsonl.gz"


def kaggle(arxiv_id: str) -> dict:
    with data_path("arxiv/kaggle-snapshot-head200.jsonl").open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record["id"] == arxiv_id:
                return record
    raise LookupError(arxiv_id)


def listing(arxiv_id: str, within: int = 1000) -> dict:
    """A record of the recent listings, found among the first `within` lines (the file is large)."""
    needle = f'"id": "{arxiv_id}"'
    with gzip.open(data_path(LISTINGS), "rt", encoding="utf-8") as f:
        for line in itertools.islice(f, within):
            if needle in line:
                return json.loads(line)
    raise LookupError(arxiv_id)


def test_title_with_a_hard_line_break_is_joined():
    title = kaggle("0704.0001")["title"]
    assert title == "Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies"
    assert (
        clean(title)
        == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )


def test_title_wrapped_with_indentation_in_the_oai_data_is_one_line():
    with gzip.open(data_path("arxiv/kaggle-schema-2007-15k.jsonl.gz"), "rt", encoding="utf-8") as f:
        record = next(r for r in map(json.loads, itertools.islice(f, 400)) if r["id"] == "0704.0295")
    assert "\n" in record["title"]
    assert clean(record["title"]) == (
        "On the number of topological types occurring in a parametrized family of arrangements"
    )


def test_latex_accent_in_a_kaggle_author_becomes_unicode():
    authors = kaggle("0704.0001")["authors"]
    assert authors.startswith("C. Bal\\'azs,")
    assert clean("C. Bal\\'azs") == "C. Balázs"
    assert clean(authors) == "C. Balázs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan"


def test_bare_percent_does_not_swallow_the_rest_of_the_line():
    abstract = listing("2503.11692")["summary"]
    assert "78.75% pollination success rate and" in abstract
    cleaned = clean(abstract)
    assert "achieving up to 78.75% pollination success rate and" in cleaned
    # Nothing after the % was lost: the cleaned text is the joined text, word for word.
    assert cleaned == join_lines(abstract)


def test_escaped_percent_and_math_become_plain_text():
    abstract = listing("2503.11685")["summary"]
    assert "40\\% pruning rate" in abstract
    cleaned = clean(abstract)
    assert "with 40% pruning rate, enhanced throughput up to 4.64×" in cleaned
    assert "$" not in cleaned and "\\" not in cleaned


def test_abstract_paragraphs_are_kept_and_lines_within_them_joined():
    abstract = kaggle("0704.0010")["abstract"]
    paragraphs = clean(abstract).split("\n\n")
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith(
        "Partial cubes are isometric subgraphs of hypercubes. Structures on a graph defined"
    )
    assert "Djoković's and Winkler's relations" in paragraphs[0]
    assert paragraphs[1].startswith(
        "The operations of Cartesian product and pasting, and expansion and contraction"
    )
    assert "\n" not in paragraphs[0] and "\n" not in paragraphs[1]


def test_recent_abstract_keeps_its_four_paragraphs():
    paragraphs = clean(listing("2503.12553")["summary"]).split("\n\n")
    assert [p.split()[0] for p in paragraphs] == ["Recent", "Our", "Additionally,", "Our"]


def test_indented_line_in_the_middle_of_a_sentence_is_not_a_paragraph():
    abstract = kaggle("0704.0061")["abstract"]
    assert "invoking\n  Radon transforms" in abstract
    cleaned = clean(abstract)
    assert "\n" not in cleaned
    assert "associated with sections of star bodies and invoking Radon transforms, generalized" in cleaned


def test_blackboard_letter_macros_are_kept_as_letters():
    with gzip.open(data_path("arxiv/kaggle-schema-2007-15k.jsonl.gz"), "rt", encoding="utf-8") as f:
        record = next(r for r in map(json.loads, itertools.islice(f, 400)) if r["id"] == "0704.0295")
    assert "structure over $\\R$" in record["abstract"]
    assert "structure over R," in clean(record["abstract"])


def test_urls_in_an_abstract_survive_cleaning():
    # "~" is a LaTeX space: the URL would have read "https://www.robots.ox.ac.uk/ vgg/...".
    abstract = listing("2503.16318")["summary"]
    assert "https://www.robots.ox.ac.uk/~vgg/research/dynamic-point-maps/" in abstract
    assert "https://www.robots.ox.ac.uk/~vgg/research/dynamic-point-maps/" in clean(abstract)


def test_url_with_a_query_string_survives_cleaning():
    # "&" is a LaTeX column separator: the query string would have lost it.
    comment = listing("2505.12066", within=9000)["comment"]
    url = "https://www.2025.ieeeigarss.org/view_paper.php?PaperNum=2430&SessionID=1426"
    assert url in comment
    assert url in clean(comment)


def test_a_placeholder_lookalike_in_the_source_does_not_break_cleaning():
    abstract = listing("2503.16318")["summary"] + " \ue0009\ue001"
    cleaned = clean(abstract)
    assert cleaned.endswith("\ue0009\ue001")
    assert "https://www.robots.ox.ac.uk/~vgg/research/dynamic-point-maps/" in cleaned


def test_href_shows_its_url_once():
    abstract = listing("2503.12418")["summary"]
    assert "\\href{https://github.com/xielaobanyy/causal-imt}{https://github.com/xielaobanyy/causal-imt}" in (
        abstract.replace("\n", " ")
    )
    cleaned = clean(abstract)
    assert "\\href" not in cleaned
    assert cleaned.count("https://github.com/xielaobanyy/causal-imt") == 1


def test_href_with_a_label_shows_label_and_url():
    abstract = listing("2503.13130", within=400)["summary"]
    assert "\\href{https://github.com/qinghuannn/ChainHOI}{here}" in abstract
    assert "Code is available here <https://github.com/qinghuannn/ChainHOI>." in clean(abstract)


def test_texttt_keeps_its_argument():
    abstract = listing("2506.00329", within=13000)["summary"]
    assert "\\texttt{https://github.com/STAR-Laboratory/foresight}" in abstract
    assert clean(abstract).endswith("is available at https://github.com/STAR-Laboratory/foresight.")


def test_malformed_latex_falls_back_to_the_raw_paragraph_without_raising():
    # A real abstract whose \href never closes its brace.
    abstract = listing("2503.15672")["summary"]
    assert abstract.endswith("\\href{https://research.zenseact.com/publications/gasp/.")
    cleaned = clean(abstract)
    assert cleaned == join_lines(abstract)


@pytest.mark.parametrize("broken", ["\\frac{1}", "\\href{", "{unbalanced", "$x", "\\'"])
def test_malformed_latex_appended_to_a_real_title_returns_the_raw_text(broken):
    title = join_lines(kaggle("0704.0002")["title"]) + " " + broken
    cleaned = clean(title)
    assert "%s" not in cleaned
    assert cleaned.startswith("Sparsity-certifying Graph Decompositions")


def test_empty_and_none_give_an_empty_string():
    assert clean(None) == ""
    assert clean("") == ""
    assert clean("   \n  ") == ""


def test_plain_text_is_returned_as_it_is():
    title = listing("2503.11685")["title"]
    assert clean(title) == "CORDIC Is All You Need"
