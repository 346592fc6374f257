"""The paper row every list shows (templates/rows/paper_row.html, fed by community.rows): on real Hugging
Face papers, with their real upvotes, code links, discussion counts and the GitHub stars Hugging Face
reported; and a search's query count, flat in the number of hits."""

import html
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papertide.catalog.github import link_repositories, record_answer, repository_name
from papertide.catalog.models import Paper, Repository
from papertide.catalog.sources.github import Quota, RepoAnswer
from papertide.community.models import Comment
from papertide.community.rows import row_papers
from tests.hf_captures import captures, committed_at, serve
from tests.search_data import import_sample

pytestmark = pytest.mark.django_db
DAY = "2026-08-21"
PAPER = "2608.14022"  # ForgeWM: 1 comment on Hugging Face, its repository at 76 stars as Hugging Face read it


@pytest.fixture
def day(hub):
    """The real capture of Hugging Face's daily list of 2026-08-21, imported through its API, and the GitHub
    stars of each linked repository as that capture reported them (its `githubStars`)."""
    [capture] = captures(DAY)
    serve(hub, DAY, capture)
    call_command("ingest", "hf-api", "--date", DAY, stdout=io.StringIO(), stderr=io.StringIO())
    link_repositories()
    for item in capture["response"]:
        paper = item["paper"]
        if paper.get("githubRepo") and paper.get("githubStars") is not None:
            name = repository_name(paper["githubRepo"])
            repository = Repository.objects.get(name=name.lower())
            answer = RepoAnswer(200, Quota(), full_name=name, stars=paper["githubStars"])
            record_answer(repository, answer, committed_at(capture))
    return {item["paper"]["id"]: item for item in capture["response"]}


def row_of(page: str, arxiv_id: str) -> str:
    found = re.search(rf'<li class="paper[^"]*" id="paper-{re.escape(arxiv_id)}".*?</li>', page, re.S)
    assert found, f"no row for {arxiv_id}"
    return found.group(0)


def test_a_row_shows_authors_abstract_code_with_stars_votes_and_both_comment_counts(
    client, day, reader, outsider, settings
):
    settings.PAPERTIDE_TRENDING_DAYS = 100_000  # the capture's day is in the window, whatever today is
    item = day[PAPER]
    paper = Paper.objects.get(arxiv_id=PAPER)
    Comment.objects.create(paper=paper, user=reader, body="Does the world model run on one GPU?")
    Comment.objects.create(paper=paper, user=outsider, body="spam", hidden=True)  # hidden: not counted
    for url in (f"/daily/{DAY}/", "/trending/", "/"):
        row = html.unescape(row_of(client.get(url).content.decode(), PAPER))
        assert paper.title_display in row
        names = [a["name"] for a in item["paper"]["authors"] if not a.get("hidden")]
        assert ", ".join(names[:6]) in row
        assert ("et al." in row) == (len(names) > 6)
        assert paper.abstract_preview in row and paper.abstract_preview.split()[0] in item["paper"]["summary"]
        assert 'class="abstract"' in row
        assert re.search(r'<a class="code" href="https://github.com/asdfo123/forgewm/?"', row, re.I)
        assert '<span class="stars">★ 76</span>' in row
        assert f"{item['paper']['upvotes']}" in row
        assert "0 here + " + str(item["paper"]["upvotes"]) + " on Hugging Face" in row
        assert "1 comment here, 1 on Hugging Face" in row  # the title
        assert re.search(r'>1 comment <span class="hub-comments">· 1 on HF</span></a>', row)
        for category in paper.categories:
            assert f'href="/?category={category}"' in row
    daily = html.unescape(row_of(client.get(f"/daily/{DAY}/").content.decode(), PAPER))
    assert "from Hugging Face daily papers" in daily and "added" not in daily


def test_the_row_helper_counts_only_visible_comments_and_keeps_hugging_faces_apart(day, reader, outsider):
    paper = Paper.objects.get(arxiv_id=PAPER)
    Comment.objects.create(paper=paper, user=reader, body="one")
    Comment.objects.create(paper=paper, user=reader, body="two")
    Comment.objects.create(paper=paper, user=outsider, body="gone", deleted=True)
    found = row_papers(Paper.objects.values_list("pk", flat=True))
    shown = found[paper.pk]
    assert (shown.comment_count, shown.hub_comments) == (2, day[PAPER]["numComments"])
    assert shown.upvotes == shown.imported_votes == day[PAPER]["paper"]["upvotes"]
    assert shown.code_badge.repository.stars == day[PAPER]["paper"]["githubStars"]
    # A paper Hugging Face never listed has no count of theirs.
    import_sample(1, embed=False)
    other = Paper.objects.exclude(arxiv_id__in=day).get()
    assert row_papers([other.pk])[other.pk].hub_comments is None


def count_search(client, q: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/search/", {"q": q}).content.decode()
    return len(queries), page.count('<li class="paper')


def test_search_page_query_count_does_not_grow_with_its_hits(client):
    import_sample(4, embed=False)
    client.get("/search/", {"q": "learning"})  # the coverage is counted once a while
    few, few_rows = count_search(client, "learning")
    import_sample(200, embed=False)
    client.get("/search/", {"q": "learning"})
    many, many_rows = count_search(client, "learning")
    assert many_rows > 5 * max(few_rows, 1)
    assert few == many
