"""The daily list on real Hugging Face papers; submissions (arXiv replayed) and upvotes."""

import json
from datetime import date
from urllib.parse import urlsplit

import pytest
import time_machine
from django.db import connection

from papertide.catalog.services import ingest
from papertide.catalog.sources.hf_daily import read_hf_daily
from papertide.community.models import DailyEntry, Vote
from papertide.community.services import Refused, set_vote, submit
from tests.concurrency import at_once
from tests.conftest import data_path
from tests.personas import crowd
from tests.replay import ReplayServer, Reply

pytestmark = pytest.mark.django_db
HF = "hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json"


@pytest.fixture
def hf_papers():
    ingest(read_hf_daily(data_path(HF)), "hf-daily")
    return json.loads(data_path(HF).read_text())


def listed_ids(response) -> list[str]:
    import re

    return re.findall(r'<li class="paper" id="paper-([^"]+)"', response.content.decode())


def test_default_is_the_latest_day_ordered_by_upvotes(client, hf_papers):
    response = client.get("/daily/")
    ids = listed_ids(response)
    expected = sorted(
        (k for k, v in hf_papers.items() if v["publication_date"].startswith("2024-04-05")),
        key=lambda k: -hf_papers[k]["upvotes"],
    )
    assert ids == expected
    assert "5 April 2024" in response.content.decode()


def test_week_and_month_views_with_navigation(client, hf_papers):
    week = client.get("/daily/week/2024-W14/")
    in_week = [k for k, v in hf_papers.items() if "2024-04-01" <= v["publication_date"][:10] <= "2024-04-07"]
    ids = listed_ids(week)
    assert sorted(ids) == sorted(in_week)
    upvotes = [hf_papers[i]["upvotes"] for i in ids]
    assert upvotes == sorted(upvotes, reverse=True)
    page = week.content.decode()
    assert 'href="/daily/week/2024-W13/"' in page and 'href="/daily/week/2024-W15/"' in page
    month = client.get("/daily/month/2024-03/")
    assert len(listed_ids(month)) == sum(
        v["publication_date"].startswith("2024-03") for v in hf_papers.values()
    )
    assert client.get("/daily/week/2024-W99/").status_code == 404
    assert client.get("/daily/not-a-day/").status_code == 404


def test_daily_page_query_count_does_not_grow(client, hf_papers, reader, django_assert_max_num_queries):
    client.force_login(reader)
    # the community's state, session, user, entries, the rows (community.rows) and their code links, my
    # votes, my saved papers
    with django_assert_max_num_queries(8):
        small = client.get("/daily/2024-04-05/")  # 4 papers
    with django_assert_max_num_queries(8):
        large = client.get("/daily/month/2024-03/")  # hundreds
    assert len(listed_ids(large)) > 10 * len(listed_ids(small))
    # Again, nothing changed: the rows are kept; the state, session, user, my votes and saved papers.
    with django_assert_max_num_queries(5):
        again = client.get("/daily/month/2024-03/")
    assert listed_ids(again) == listed_ids(large)


def test_kept_daily_page_shows_a_new_vote_and_comment_at_once(client, hf_papers, reader, outsider):
    from papertide.community.models import Comment

    first = client.get("/daily/2024-04-05/").content.decode()
    paper = DailyEntry.objects.filter(day=date(2024, 4, 5)).order_by("-imported_upvotes").first().paper
    before = hf_papers[paper.arxiv_id]["upvotes"]
    assert f'<span class="count">{before}</span>' in first
    set_vote(reader, paper, True)
    assert f'<span class="count">{before + 1}</span>' in client.get("/daily/2024-04-05/").content.decode()
    Comment.objects.create(paper=paper, user=outsider, body="the ablation in section 4 is the key part")
    row = client.get("/daily/2024-04-05/").content.decode().split(f'id="paper-{paper.arxiv_id}"')[1]
    assert "1 comment here" in row.split("</li>")[0]


def test_upvote_toggles_and_counts_once(client, hf_papers, reader):
    paper = DailyEntry.objects.filter(day=date(2024, 4, 5)).first().paper
    imported = hf_papers[paper.arxiv_id]["upvotes"]
    client.force_login(reader)
    url = f"/papers/{paper.arxiv_id}/upvote/"
    json_accept = {"HTTP_ACCEPT": "application/json"}
    first = client.post(url, {"vote": "1"}, **json_accept).json()
    again = client.post(url, {"vote": "1"}, **json_accept).json()
    assert first == again == {"upvotes": imported + 1, "votes": 1, "imported": imported, "voted": True}
    off = client.post(url, {"vote": "0"}, **json_accept).json()
    assert off["upvotes"] == imported and off["voted"] is False
    assert client.get(url).status_code == 405  # no state change on GET


def test_anonymous_upvote_leads_to_log_in_and_back(client, hf_papers):
    paper = DailyEntry.objects.filter(day=date(2024, 4, 5)).first().paper
    url = f"/papers/{paper.arxiv_id}/upvote/"
    response = client.post(url, {"vote": "1", "next": "/daily/2024-04-05/"})
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/accounts/login/"
    assert "next=/daily/2024-04-05/" in response["Location"]
    scripted = client.post(url, {"vote": "1"}, HTTP_ACCEPT="application/json")
    assert scripted.status_code == 401 and scripted.json()["login"].startswith("/accounts/login/")
    assert Vote.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_fifty_people_voting_at_once_count_exactly(hf_papers):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip(
            "in-memory SQLite does not serialise writers like a file or PostgreSQL (the PostgreSQL run)"
        )
    paper = DailyEntry.objects.filter(day=date(2024, 4, 5)).first().paper
    people = crowd(50)

    def vote(i):
        set_vote(people[i], paper, up=True)
        set_vote(people[i], paper, up=True)  # a double click

    assert not at_once(vote, 50)
    assert Vote.objects.filter(paper=paper).count() == 50


@pytest.fixture
def arxiv(settings):
    """The arXiv API replayed from the real recording of 1605.08386."""
    recording = json.loads(
        data_path("arxiv-api/recorded-2026/id_1605.08386_s0_m100_199195aa31ad.json").read_text()
    )
    with ReplayServer(
        ignore_params=("sortBy", "sortOrder", "search_query", "start", "max_results")
    ) as server:
        server.add("/api/query", {"id_list": "1605.08386"}, Reply(200, recording["body"].encode("latin-1")))
        settings.PAPERTIDE_ARXIV_API_URL = server.url + "/api/query"
        yield server


def test_submission_fetches_a_paper_the_catalog_lacks(client, arxiv, submitter):
    client.force_login(submitter)
    with time_machine.travel(date(2016, 5, 28)):
        response = client.post("/daily/submit/", {"paper": "https://arxiv.org/abs/1605.08386v1"})
    assert response.status_code == 302 and response["Location"] == "/daily/2016-05-28/#paper-1605.08386"
    entry = DailyEntry.objects.get()
    assert (entry.paper.arxiv_id, entry.day, entry.submitted_by) == (
        "1605.08386",
        date(2016, 5, 28),
        submitter,
    )
    assert len(arxiv.log) == 1


def test_submission_refusals_say_why(client, arxiv, settings, submitter, outsider):
    with time_machine.travel(date(2016, 5, 28)):
        submit(submitter, "1605.08386")
        with pytest.raises(
            Refused,
            match=f"in today's list already \\(submitted by {submitter.username}\\): upvote it instead",
        ):
            submit(outsider, "1605.08386")
        with pytest.raises(Refused, match="'not-a-paper' is not an arXiv id"):
            submit(submitter, "not-a-paper")
        settings.PAPERTIDE_SUBMIT_DAILY_CAP = 1
        with pytest.raises(Refused, match="you have submitted 1 papers today"):
            submit(submitter, "1605.08386")
    with time_machine.travel(date(2016, 7, 1)):
        with pytest.raises(
            Refused, match="appeared on 26 May 2016, 36 days ago; the daily list takes papers up to 7"
        ):
            submit(submitter, "1605.08386")
    client.force_login(submitter)
    page = client.post("/daily/submit/", {"paper": "abc"})
    assert page.status_code == 400 and "is not an arXiv id" in page.content.decode()


def test_submission_when_arxiv_cannot_be_reached(settings, submitter):
    settings.PAPERTIDE_ARXIV_API_URL = "http://127.0.0.1:9/api/query"
    settings.PAPERTIDE_HTTP_RETRIES = 0
    with pytest.raises(Refused, match="arXiv could not be asked about 2501.01234 just now"):
        submit(submitter, "2501.01234")


def test_submitting_needs_an_account(client):
    response = client.get("/daily/submit/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_upvote_never_sends_people_off_site(client, hf_papers, reader):
    client.force_login(reader)
    paper = DailyEntry.objects.filter(day=date(2024, 4, 5)).first().paper
    for target in ("//evil.example/", "https://evil.example/"):
        response = client.post(f"/papers/{paper.arxiv_id}/upvote/", {"vote": "1", "next": target})
        assert response.status_code == 302 and response["Location"] == "/"


def test_periods_at_the_end_of_the_calendar_are_404(client):
    assert client.get("/daily/9999-12-31/").status_code == 404
    assert client.get("/daily/month/0001-01/").status_code == 404
