"""Fuzzing: every operation of the API's OpenAPI schema, reads and token-authenticated writes, against a live
server holding real papers (tests/fuzzing.py says what is sent and checked). Bounded and seeded here; the
long run is bench/api_fuzz.py."""

from datetime import UTC, datetime
from itertools import islice

import pytest
import time_machine

from papertide.accounts.models import ApiToken
from papertide.catalog.services import ingest
from papertide.catalog.sources.hf_daily import read_hf_daily
from papertide.community.models import DailyEntry
from tests.conftest import data_path
from tests.fuzzing import fuzz, library_of, one_error_shape
from tests.replay import ReplayServer, Reply
from tests.search_data import import_sample, listing_rows

EXAMPLES = 6  # an operation, in each mode (valid requests, requests that break a limit)
SEED = 20261129
LISTED = datetime(2025, 3, 18, 20, 30, tzinfo=UTC)  # when the listing papers are imported here
NEXT_MORNING = datetime(2025, 3, 19, 9, 0, tzinfo=UTC)  # when the fuzzing runs: the papers are a day old
HF = "hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json"
NO_PAPERS = "arxiv-api/recorded-2026/id_0000.0000_s0_m100_8b51d9633a68.json"  # arXiv's answer: no such paper


@pytest.fixture
def arxiv(settings):
    """arXiv's API as it answers an id it has no paper for (a real recording), whatever the id: a
    submission of a paper the catalog lacks asks it."""
    import json

    empty = json.loads(data_path(NO_PAPERS).read_text())["body"].encode("latin-1")
    with ReplayServer(respond=lambda path, headers: Reply(200, empty)) as server:
        settings.PAPERTIDE_ARXIV_API_URL = server.url + "/api/query"
        yield server


@pytest.fixture
def served(live_server, settings, arxiv, reader, outsider):
    """A live server with real papers (listings, embedded; Hugging Face's daily list with its upvotes), the
    reader's token and library; what it holds, for the cases that need an id that exists."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    settings.PAPERTIDE_TOKEN_RATE = 100_000  # the writes themselves get fuzzed, not the allowance
    settings.PAPERTIDE_SUBMIT_DAILY_CAP = 100_000
    with time_machine.travel(LISTED, tick=False):
        papers = import_sample(80)
        ingest(islice(read_hf_daily(data_path(HF)), 60), "hf-daily")
        library = library_of(reader, outsider, papers)
    _, token = ApiToken.issue(reader, "fuzzing")
    ids = [p.arxiv_id for p in papers[:3]]
    days = sorted({d.isoformat() for d in DailyEntry.objects.values_list("day", flat=True)})
    absent = listing_rows()[100]["id"]  # a real paper, not imported: a 404 where the catalog is asked
    known = {
        "path_parameters": {"arxiv_id": [*ids, f"{ids[0]}v1", absent], "slug": library["slugs"]},
        "query": {"date": days[-3:], "interest": library["interests"]},
        "body": {"paper": [*ids, f"https://arxiv.org/abs/{ids[1]}", absent]},
    }
    return live_server.url, token, known


@pytest.mark.django_db(transaction=True)  # the live server's thread sees the data committed
def test_every_operation_answers_as_its_schema_says(served):
    url, token, known = served
    with time_machine.travel(NEXT_MORNING, tick=True):
        report = fuzz(url, token, known, examples=EXAMPLES, seed=SEED, log=print)
    print(report.summary())
    assert report.failures == [], "\n\n".join(report.failures)
    assert len(report.operations) == 11 and report.server_errors == 0
    assert {200, 400, 401, 404} <= set(report.statuses), report.statuses  # every kind of answer was reached


def test_the_schema_gives_every_answer_its_shape():
    from papertide.api.urls import api

    schema = api.get_openapi_schema()
    operations = [(f"{m.upper()} {p}", op) for p, ops in schema["paths"].items() for m, op in ops.items()]
    assert len(operations) == 11
    for label, op in operations:
        answers = {int(status): answer for status, answer in op["responses"].items()}
        assert "$ref" in str(answers[200]["content"]["application/json"]["schema"]), label
        errors = set(answers) - {200}
        for status in errors:
            assert answers[status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ApiError"
            }, label
        if op.get("security"):
            assert 401 in errors, label  # no valid token
            if not label.startswith("GET"):
                assert 429 in errors, label  # writes spend the token's allowance
        if op.get("parameters") or op.get("requestBody"):
            assert 400 in errors, label
    error = schema["components"]["schemas"]["ApiError"]
    assert set(error["required"]) == {"error", "status"} and error["additionalProperties"] is False


class _Answer:
    def __init__(self, status: int, body):
        self.status_code, self.body, self.text = status, body, str(body)

    def json(self):
        if isinstance(self.body, Exception):
            raise self.body
        return self.body


@pytest.mark.parametrize(
    "status, body",
    [
        (400, {"error": "bad", "status": 400, "detail": "more"}),  # a key too many
        (404, {"detail": "Not Found"}),  # ninja's own shape
        (401, {"error": "authentication required", "status": 400}),  # another status inside
        (400, {"error": "", "status": 400}),  # no message
        (404, ValueError("not JSON")),  # Django's HTML page
    ],
)
def test_the_error_shape_check_fails_on_any_other_shape(status, body):
    with pytest.raises(AssertionError):
        one_error_shape(None, _Answer(status, body), None)
    assert one_error_shape(None, _Answer(status, {"error": "a reason", "status": status}), None)
