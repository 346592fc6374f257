"""A reader downloads everything the instance holds about them (accounts.privacy.export): one JSON file with
a part from every app, nothing of anyone else, and no secret (token digests, the feed key)."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from papertide.accounts.models import ApiToken
from tests.personal_data import leave_traces
from tests.personas import client_for
from tests.search_data import import_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers():
    return import_sample(6, embed=False)


def download(client) -> tuple[dict, str]:
    response = client.post(reverse("export-data"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    body = response.content.decode()
    return json.loads(body), body


def test_the_export_holds_every_kind_of_the_readers_data(papers, reader, outsider):
    theirs = leave_traces(outsider, papers, "EVE-MARK")
    mine = leave_traces(reader, papers, "ADA-MARK", reply_to=theirs.comment)
    client = client_for(reader)

    data, body = download(client)

    assert data["format"] == "papertide-export-1"
    assert data["profile"]["username"] == reader.username and data["profile"]["email"] == reader.email
    assert data["profile"]["joined"] and "last_login" in data["profile"]
    community = data["community"]
    assert [v["paper"] for v in community["votes"]] == [papers[0].arxiv_id, papers[1].arxiv_id]
    assert [s["paper"] for s in community["submissions"]] == [papers[2].arxiv_id]
    comments = {c["text"]: c for c in community["comments"]}
    assert comments["ADA-MARK: a comment"]["paper"] == papers[0].arxiv_id
    assert comments["ADA-MARK: a comment"]["reply_to"] == theirs.comment.pk
    assert comments["ADA-MARK: regretted at once"]["deleted"] is True  # its text is still held: shown
    assert [(r["comment"], r["reason"]) for r in community["reports"]] == [
        (theirs.comment.pk, "ADA-MARK: off topic")
    ]

    [subscription] = data["digests"]
    assert subscription["email"] == reader.email
    assert [s["query"] for s in subscription["saved_searches"]] == ["ADA-MARK graph networks"]
    assert [d["papers"] for d in subscription["deliveries"]] == [[papers[3].arxiv_id]]

    assert [t["name"] for t in data["api_tokens"]] == ["ADA-MARK script"]
    assert set(data["api_tokens"][0]) == {"name", "created", "last_used"}
    assert ApiToken.objects.get(user=reader).digest not in body and mine.token not in body

    library = data["library"]
    collections = {c["name"]: c for c in library["collections"]}
    assert [p["paper"] for p in collections["Reading list"]["papers"]] == [papers[0].arxiv_id]
    assert {p["paper"] for p in collections["ADA-MARK ideas"]["papers"]} == {
        papers[1].arxiv_id,
        papers[2].arxiv_id,
    }
    assert [m["paper"] for m in library["read_marks"]] == [papers[0].arxiv_id]
    [interest] = library["interests"]
    assert interest["query"] == "ADA-MARK transformers"
    assert interest["seeds"] == [papers[3].arxiv_id, papers[4].arxiv_id]
    assert [(r["paper"], r["interest"], r["value"]) for r in library["ratings"]] == [
        (papers[4].arxiv_id, "ADA-MARK words", "more")
    ]
    assert library["feed_key"]["exists"] is True and mine.feed_key not in body
    assert len(data["sessions"]) == 1  # the client's own

    # Nothing of the other person: their texts, name and address, and their secrets.
    for foreign in ("EVE-MARK", outsider.email, f'"{outsider.username}"', theirs.token, theirs.feed_key):
        assert foreign not in body


def test_a_reader_with_nothing_gets_empty_parts(reader):
    data, _ = download(client_for(reader))
    assert data["community"] == {"votes": [], "submissions": [], "comments": [], "reports": []}
    assert data["digests"] == [] and data["api_tokens"] == []
    assert data["library"]["collections"] == [] and data["library"]["feed_key"]["exists"] is False


def test_the_export_page_is_for_signed_in_readers_and_linked_from_their_profile(reader):
    assert Client().get(reverse("export-data")).status_code == 302  # to the log-in page
    assert Client().post(reverse("export-data")).status_code == 302
    client = client_for(reader)
    page = client.get(reverse("export-data")).content.decode()
    assert "Download my data (JSON)" in page and "docs/privacy.md" in page
    profile = client.get(reverse("profile", args=[reader.username])).content.decode()
    assert reverse("export-data") in profile and "docs/privacy.md" in profile
