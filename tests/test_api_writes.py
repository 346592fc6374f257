"""Token-authenticated writes: submit and upvote through the API, limited per token."""

import re
from datetime import date

import pytest
import time_machine

from papertide.accounts.models import ApiToken
from papertide.catalog.services import ingest
from papertide.catalog.sources.hf_daily import read_hf_daily
from papertide.community.models import DailyEntry, Vote
from tests.conftest import data_path
from tests.personas import client_for

pytestmark = pytest.mark.django_db
HF = "hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json"


@pytest.fixture
def token(submitter):
    page = client_for(submitter).post("/accounts/tokens/", {"name": "my script"}).content.decode()
    return re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)


def auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_token_is_shown_once_and_only_its_hash_is_kept(token):
    stored = ApiToken.objects.get()
    assert token.startswith("pt_") and token not in stored.digest and stored.digest == ApiToken.hash(token)


def test_upvote_and_submit_with_a_token(client, token, submitter):
    ingest(read_hf_daily(data_path(HF)), "hf-daily")
    paper = DailyEntry.objects.filter(day=date(2024, 4, 5)).first().paper
    url = f"/api/papers/{paper.arxiv_id}/upvote"
    voted = client.post(url, {"vote": True}, content_type="application/json", **auth(token)).json()
    assert voted["voted"] is True and voted["votes"] == 1
    assert (
        client.post(url, {"vote": True}, content_type="application/json", **auth(token)).json()["votes"] == 1
    )
    with time_machine.travel(date(2024, 4, 6)):
        made = client.post(
            "/api/daily_papers", {"paper": paper.arxiv_id}, content_type="application/json", **auth(token)
        )
        assert made.status_code == 200 and made.json() == {
            "paper": paper.arxiv_id,
            "day": "2024-04-06",
            "submitter": submitter.username,
        }
        again = client.post(
            "/api/daily_papers", {"paper": paper.arxiv_id}, content_type="application/json", **auth(token)
        )
        assert again.status_code == 400 and "in today's list already" in again.json()["error"]
    assert (
        client.get("/api/daily_papers?date=2024-04-06").json()[0]["submitter"] == submitter.username
    )  # reading needs no token


def test_writes_without_a_valid_token_are_refused(client, token, submitter):
    ingest(read_hf_daily(data_path(HF)), "hf-daily")
    paper = DailyEntry.objects.first().paper
    url = f"/api/papers/{paper.arxiv_id}/upvote"
    for headers in ({}, auth("pt_wrong"), {"HTTP_AUTHORIZATION": "Basic abc"}):
        response = client.post(url, {"vote": True}, content_type="application/json", **headers)
        assert response.status_code == 401 and response.json() == {
            "error": "authentication required",
            "status": 401,
        }
    assert Vote.objects.count() == 0
    submitter.is_active = False  # a suspended person's token stops working
    submitter.save()
    assert client.post(url, {"vote": True}, content_type="application/json", **auth(token)).status_code == 401


def test_a_body_that_is_not_a_json_object_is_a_400_not_an_upvote(client, token):
    ingest(read_hf_daily(data_path(HF)), "hf-daily")
    url = f"/api/papers/{DailyEntry.objects.first().paper.arxiv_id}/upvote"
    for body in ("[]", "5", '"yes"', "null", '{"vote": "yes"}', '{"vote": 1}'):
        response = client.post(url, body, content_type="application/json", **auth(token))
        assert response.status_code == 400 and response.json()["error"].startswith("body"), body
    assert Vote.objects.count() == 0


def test_writes_are_limited_per_token(client, token, settings):
    ingest(read_hf_daily(data_path(HF)), "hf-daily")
    paper = DailyEntry.objects.first().paper
    settings.PAPERTIDE_TOKEN_RATE = 3
    url = f"/api/papers/{paper.arxiv_id}/upvote"
    codes = [
        client.post(url, {"vote": True}, content_type="application/json", **auth(token)).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    limited = client.post(url, {"vote": True}, content_type="application/json", **auth(token)).json()
    assert limited["status"] == 429 and "writes in the last hour" in limited["error"]


def test_tokens_can_be_revoked_by_their_owner_only(client, token, submitter, outsider):
    client_for(outsider).post("/accounts/tokens/", {"revoke": ApiToken.objects.get().pk})
    assert ApiToken.objects.count() == 1
    client_for(submitter).post("/accounts/tokens/", {"revoke": ApiToken.objects.get().pk})
    assert ApiToken.objects.count() == 0
    assert (
        client.post(
            "/api/daily_papers", {"paper": "2404.04167"}, content_type="application/json", **auth(token)
        ).status_code
        == 401
    )


def test_revoking_garbage_is_a_400(token, submitter):
    response = client_for(submitter).post("/accounts/tokens/", {"revoke": "abc"})
    assert response.status_code == 400 and "not given as a number" in response.content.decode()
    assert ApiToken.objects.count() == 1
