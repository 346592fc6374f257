"""find_links: code and project links in real abstracts and comments, normalised and deduplicated."""

import gzip
import itertools
import json

from papertide.catalog.codelinks import Link, find_links, normalise
from tests.conftest import data_path


def records(path: str, ids: set[str], within: int) -> dict[str, dict]:
    """Real records by id, from the first `within` lines of a gzip JSONL file (parsing only the matches)."""
    found: dict[str, dict] = {}
    needles = {f'"id": "{i}"': i for i in ids}
    with gzip.open(data_path(path), "rt", encoding="utf-8") as f:
        for line in itertools.islice(f, within):
            for needle in needles:
                if needle in line:
                    record = json.loads(line)
                    found[record["id"]] = record
            if len(found) == len(ids):
                break
    assert set(found) == ids, f"not found: {ids - set(found)}"
    return found


def listing_links(*ids: str, within: int = 6000) -> dict[str, list[Link]]:
    found = records("arxiv/listings-2025-03-to-2026-07.jsonl.gz", set(ids), within)
    return {i: find_links(r["summary"], r["comment"]) for i, r in found.items()}


def test_github_link_loses_its_sentence_full_stop_and_is_lowercased():
    [[link]] = listing_links("2503.11792").values()
    assert link == Link("https://github.com/ubc-3d-vision-lab/stylemorpheus", "github")


def test_github_io_project_page_and_repository_are_found_once_each_in_order():
    # The abstract has https://taco-group.github.io/DecAlign, https://github.com/taco-group/DecAlign. and the
    # comment https://taco-group.github.io/DecAlign/: two links, not three.
    assert listing_links("2503.11892")["2503.11892"] == [
        Link("https://taco-group.github.io/DecAlign", "project"),
        Link("https://github.com/taco-group/decalign", "github"),
    ]


def test_dot_git_and_trailing_punctuation_and_latex_braces_are_stripped():
    links = listing_links("2503.12559", "2503.12527", "2503.12418")
    assert links["2503.12559"] == [Link("https://github.com/sczwangxiao/video-flexreduc", "github")]  # .git.
    assert links["2503.12527"] == [Link("https://github.com/yiyscut/vio-ipnet", "github")]  # .git}.
    # \href{https://github.com/xielaobanyy/causal-imt}{https://github.com/xielaobanyy/causal-imt}.
    assert links["2503.12418"] == [Link("https://github.com/xielaobanyy/causal-imt", "github")]


def test_http_github_links_become_https_and_two_spellings_are_one_link():
    # "http://github.com/hustvl/MaTVLM." in the abstract, "http://github.com/hustvl/MaTVLM" in the comment.
    assert listing_links("2503.13440")["2503.13440"] == [Link("https://github.com/hustvl/matvlm", "github")]


def test_a_deep_github_path_points_at_the_repository():
    assert listing_links("2503.16983")["2503.16983"] == [
        Link("https://github.com/paddlepaddle/paddlemix", "github")
    ]


def test_latex_escaped_underscore_in_a_url_is_part_of_the_repository_name():
    # "http://github.com/SCAN-NRAD/e3nn\_U-Net." in the abstract.
    assert listing_links("2503.21829")["2503.21829"] == [
        Link("https://github.com/scan-nrad/e3nn_u-net", "github")
    ]


def test_markdown_link_gives_one_repository():
    # "[https://github.com/uirlx/DialogueAgents](https://github.com/uirlx/DialogueAgents)"
    assert listing_links("2504.14482")["2504.14482"] == [
        Link("https://github.com/uirlx/dialogueagents", "github")
    ]


def test_huggingface_and_gitlab_links_have_their_own_kinds():
    links = listing_links("2503.13399", "2504.05995")
    assert links["2503.13399"] == [
        Link("https://huggingface.co/datasets/jmhb/microvqa", "huggingface"),
        Link("https://jmhb0.github.io/microvqa", "project"),
    ]
    assert links["2504.05995"] == [Link("https://gitlab.com/nativqa/nativqa-framework", "code")]


def test_doi_links_are_ignored_and_a_project_page_keeps_its_host():
    links = listing_links("2503.19119", "2503.18862")
    # "https://trackrad2025.grand-challenge.org/)." and "https://doi.org/10.57967/hf/4539."
    assert links["2503.19119"] == [Link("https://trackrad2025.grand-challenge.org", "project")]
    assert links["2503.18862"] == []  # only https://doi.org/10.1007/978-3-658-47422-5_71


def test_arxiv_links_are_ignored():
    [record] = records("arxiv/listings-2025-03-to-2026-07.jsonl.gz", {"2510.25412"}, 40_000).values()
    assert "https://arxiv.org/abs/2510.24051" in record["summary"] + (record["comment"] or "")
    assert find_links(record["summary"], record["comment"]) == []


def test_journal_boilerplate_links_in_old_comments_are_not_project_pages():
    found = records("arxiv/kaggle-schema-2007-15k.jsonl.gz", {"0704.0086", "0704.0525"}, 600)
    # "Published at http://dx.doi.org/10.1214/07-AAP481 in the Annals of Applied Probability
    # (http://www.imstat.org/aap/) by the Institute of Mathematical Statistics (http://www.imstat.org)"
    assert "http://dx.doi.org/10.1214/07-AAP481" in found["0704.0086"]["comments"]
    assert find_links(found["0704.0086"]["abstract"], found["0704.0086"]["comments"]) == []
    # "http://arxiv.org/new/withdrawals.aug.07.html"
    assert find_links(found["0704.0525"]["abstract"], found["0704.0525"]["comments"]) == []


def test_links_over_the_first_thousand_listings_are_canonical():
    with gzip.open(data_path("arxiv/listings-2025-03-to-2026-07.jsonl.gz"), "rt", encoding="utf-8") as f:
        found = [
            (record["id"], find_links(record["summary"], record["comment"]))
            for record in map(json.loads, itertools.islice(f, 1000))
        ]
    links = [link for _, paper_links in found for link in paper_links]
    assert sum(link.kind == "github" for link in links) > 150
    for arxiv_id, paper_links in found:
        urls = [link.url for link in paper_links]
        assert len({u.lower() for u in urls}) == len(urls), arxiv_id
        for link in paper_links:
            assert not link.url.endswith((".", ",", ")", "/", ".git", ";", ":")), (arxiv_id, link)
            assert "arxiv.org" not in link.url and "doi.org" not in link.url, (arxiv_id, link)
            if link.kind == "github":
                assert link.url.startswith("https://github.com/") and link.url == link.url.lower()
                assert link.url.count("/") == 4, (arxiv_id, link)


def test_normalise_rules():
    assert normalise("HTTPS://WWW.GitHub.com/Owner/Repo.git/") == Link(
        "https://github.com/owner/repo", "github"
    )
    assert normalise("https://github.com/Owner") == Link("https://github.com/owner", "project")
    assert normalise("https://github.com/topics/diffusion") is None
    assert normalise("http://Foo.github.io/Proj/") == Link("https://foo.github.io/Proj", "project")
    assert normalise("http://example.org/page/") == Link("http://example.org/page", "project")
    assert normalise("http://ai-researcher.net:3000/.") == Link("http://ai-researcher.net:3000", "project")
    assert normalise("https://en.wikipedia.org/wiki/Foo_(bar)") == Link(
        "https://en.wikipedia.org/wiki/Foo_(bar)", "project"
    )
    assert normalise("https://localhost/x") is None
    assert normalise("https://x.org:99999/") is None


def test_nothing_to_find_gives_an_empty_list():
    assert find_links(None, "", "no links here") == []
