"""Small samples of the real data (../shared/data) that the property tests start from and mutate.

Each loader reads a few hundred real values at most, once per process. The `*_or_none` loaders are for
`@example(...)` decorators, which run at import: they give an empty list when the data is absent (the tests
themselves then skip through data_path). Everything else skips the test with data_path's message.
"""

import gzip
import itertools
import json
import re
from functools import cache
from pathlib import Path

from tests.conftest import SHARED_DATA, data_path

LISTINGS = "arxiv/listings-2025-03-to-2026-07.jsonl.gz"
KAGGLE = "arxiv/kaggle-snapshot-head200.jsonl"
KAGGLE_2007 = "arxiv/kaggle-schema-2007-15k.jsonl.gz"
OAI_CHAIN_PAGE = "oai-pmh/listrecords-chain-2018/page_00.xml"
OAI_RECORDED = "oai-pmh/recorded-2018/bodies"
OAI_HEPCRAWL = "oai-pmh/hepcrawl"
API_RECORDED = "arxiv-api/recorded-2026/bodies"
API_2016 = "arxiv-api/xml-2016"
HF_CAPTURES = "hf-daily-papers/2404589803_newsletter-chinese_2024-05_to_2026-08/snapshots.jsonl.gz"
HF_SCRAPE = "hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json"
HF_EXCERPT = (
    "hf-daily-papers/deep-diver_paper-reviewer_api_excerpt/daily_papers_2024-10-25_first2entries.json"
)
SCIFACT = "scifact/corpus.jsonl"
# Enough lines of each file to cover its shapes; reading more only slows the test process's start.
LINES = 300


def _head(path: Path, count: int = LINES) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n") for line in itertools.islice(f, count) if line.strip()]


@cache
def listing_lines() -> list[str]:
    return _head(data_path(LISTINGS))


@cache
def kaggle_lines() -> list[str]:
    return _head(data_path(KAGGLE)) + _head(data_path(KAGGLE_2007), 100)


@cache
def atom_bodies() -> list[bytes]:
    """Real arXiv API answers small enough to parse many times (15 entries at most), the error feed too."""
    paths = sorted(data_path(API_RECORDED).glob("*.xml")) + sorted(data_path(API_2016).glob("*.xml"))
    bodies = [p.read_bytes() for p in paths]
    return [b for b in bodies if b.count(b"<entry>") <= 15]


@cache
def oai_bodies() -> list[bytes]:
    """Real OAI-PMH pages: the recorded ListRecords and GetRecord answers and the hepcrawl sets."""
    paths = sorted(data_path(OAI_RECORDED).glob("*.xml")) + sorted(data_path(OAI_HEPCRAWL).glob("*.xml"))
    return [p.read_bytes() for p in paths]


@cache
def oai_chain_pages() -> list[bytes]:
    """The first page of the real ListRecords chain (1,000 records) cut after its 1st, 7th and 30th record,
    with its real resumptionToken and end: pages of real records small enough to parse many times."""
    page = data_path(OAI_CHAIN_PAGE).read_bytes()
    tail = page[page.rindex(b"<resumptionToken") :]
    ends = [m.end() for m in re.finditer(rb"</record>\s*", page)]
    return [page[: ends[k - 1]] + tail for k in (1, 7, 30)]


@cache
def hf_responses() -> list[list]:
    """Real daily_papers API lists: the first 40 archived captures (2024 and 2025 schemas) and the excerpt."""
    with gzip.open(data_path(HF_CAPTURES), "rt", encoding="utf-8") as f:
        captures = [json.loads(line) for line in itertools.islice(f, 40)]
    return [c["response"] for c in captures] + [json.loads(data_path(HF_EXCERPT).read_text())]


@cache
def hf_capture_lines() -> list[str]:
    return _head(data_path(HF_CAPTURES), 20)


@cache
def hf_scrape() -> dict:
    return json.loads(data_path(HF_SCRAPE).read_text())


@cache
def abstracts() -> list[str]:
    """Real raw arXiv titles, abstracts and comments (LaTeX, hard line breaks, URLs) from the listings."""
    texts = []
    for line in listing_lines():
        record = json.loads(line)
        texts += [record["title"], record["summary"], record.get("comment") or ""]
    return [t for t in texts if t]


@cache
def latex_texts() -> list[str]:
    """The real abstracts and titles that hold LaTeX: the cleaning's hard cases."""
    texts = [t for t in abstracts() if re.search(r"[\\$~{}^_%]", t)]
    for line in kaggle_lines():
        record = json.loads(line)
        texts += [t for t in (record.get("title"), record.get("abstract")) if t and re.search(r"[\\$]", t)]
    return texts


# For @example at import: real values, or nothing when the data is absent.


def _exists(relative: str) -> bool:
    return (SHARED_DATA / relative).exists()


def real_ids_or_none() -> list[str]:
    """Real arXiv ids as the sources write them: new style of 2007 and 2025, old style, versioned."""
    if not (_exists(KAGGLE) and _exists(LISTINGS) and _exists(API_2016)):
        return []
    ids = [json.loads(line)["id"] for line in _head(SHARED_DATA / KAGGLE, 20)]
    ids += [json.loads(line)["id"] for line in _head(SHARED_DATA / LISTINGS, 20)]
    # The 2016 answers' entry ids: abs URLs with versions, old style among them (cond-mat/0607501v2).
    for path in sorted((SHARED_DATA / API_2016).glob("*.xml")):
        ids += re.findall(r"<id>(http://arxiv\.org/abs/[^<]+)</id>", path.read_text())
    return sorted(set(ids))
