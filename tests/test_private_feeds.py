"""Private Atom feeds of a reader's recommendations, at signed addresses, read back with feedparser: their
entries say why, a forged, altered, foreign or reset address is a plain 404, and a feed's queries do not
grow with its entries. Real papers of a real listing day, read two days later."""

import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
import time_machine
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags

from papertide.digests import tokens
from papertide.digests.models import Subscription
from papertide.library import private_feeds, recommend
from papertide.library.models import Collection, Entry, FeedKey, Interest
from papertide.library.why import why_text
from tests.personas import client_for
from tests.search_data import import_sample

pytestmark = pytest.mark.django_db
HARVESTED = datetime(2025, 3, 18, 20, 30, tzinfo=UTC)  # first seen on their listing day
READ_AT = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)  # within the feeds' last week
WHY = re.compile(r"for (.+?): (\d+)% match, close to “(.+?)” and “(.+?)” that you saved")


@pytest.fixture
def papers():
    with time_machine.travel(HARVESTED, tick=False):
        return import_sample()


@pytest.fixture(autouse=True)
def _reading_time():
    with time_machine.travel(READ_AT, tick=False):
        yield


def interest_from(user, papers, name, **fields) -> Interest:
    collection = Collection.create(user, name)
    Entry.objects.bulk_create(Entry(collection=collection, paper=p) for p in papers)
    interest = Interest.objects.create(owner=user, name=name, collection=collection, **fields)
    assert recommend.train(interest)
    return interest


def about(papers, word):
    return [p for p in papers if word in p.title.lower()]


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def read(client, url):
    response = client.get(path_of(url))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/atom+xml")
    assert "private" in response["Cache-Control"]
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return feed


def arxiv_id(entry) -> str:
    return entry.link.rstrip("/").rsplit("/", 1)[-1]


def week(user, interest=None, limit=300):
    ids = [interest.pk] if interest else None
    least = interest.threshold if interest else 0.0
    recs = recommend.for_you(user, READ_AT - timedelta(days=7), READ_AT, ids, limit=limit, least=least)
    return recommend.attach_papers(recs)


def test_an_interest_feed_lists_its_papers_best_first_each_saying_why(client, reader, papers):
    saved = about(papers, "diffusion")[:10]
    interest = interest_from(reader, saved, "diffusion", threshold=0.5)
    wanted = week(reader, interest)
    assert 5 <= len(wanted) < 50

    feed = read(client, private_feeds.feed_url(reader, interest))  # no log-in: the address is the key

    assert feed.feed.title == "For you on papertide: “diffusion”"
    assert [arxiv_id(e) for e in feed.entries] == [rec.paper.arxiv_id for rec in wanted]
    saved_titles = {p.title_display for p in saved}
    for entry, rec in zip(feed.entries, wanted, strict=True):
        assert entry.title == rec.paper.title_display
        summary = strip_tags(entry.summary).strip()
        assert summary.startswith(why_text(rec))  # the why line, then the abstract
        assert summary.endswith(rec.paper.abstract_display[-40:])
        name, percent, first, second = WHY.match(summary).groups()
        assert name == "diffusion" and int(percent) >= 50 and {first, second} <= saved_titles
    assert not {p.arxiv_id for p in saved} & {arxiv_id(e) for e in feed.entries}


def test_the_whole_feed_holds_every_interest_each_paper_over_its_threshold(client, reader, papers):
    diffusion = interest_from(reader, about(papers, "diffusion")[:10], "diffusion", threshold=0.6)
    splatting = interest_from(reader, about(papers, "splatting")[:6], "gaussian splatting", threshold=0.6)
    wanted = [rec for rec in week(reader) if rec.match >= rec.interest.threshold]
    assert {rec.interest for rec in wanted} == {diffusion, splatting}

    feed = read(client, private_feeds.feed_url(reader))

    assert feed.feed.title == "For you on papertide: all your interests"
    assert [arxiv_id(e) for e in feed.entries] == [rec.paper.arxiv_id for rec in wanted][:50]
    names = {WHY.match(strip_tags(e.summary).strip()).group(1) for e in feed.entries}
    assert names == {"diffusion", "gaussian splatting"}


def test_a_bad_address_is_a_404_that_names_no_one(client, reader, outsider, papers):
    interest = interest_from(reader, about(papers, "diffusion")[:10], "diffusion")
    theirs = interest_from(outsider, about(papers, "splatting")[:6], "gaussian splatting")
    good = path_of(private_feeds.feed_url(reader, interest))
    token = good.rstrip("/").rsplit("/", 1)[-1]
    payload, signature = token.rsplit(":", 1)
    signer = signing.Signer(salt=private_feeds.SALT)
    fingerprint = signer.unsign_object(token)[2]
    someone_else = signer.sign_object([outsider.pk, None, fingerprint]).rsplit(":", 1)[0]
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    forged = [
        good.replace(token, f"{payload}:{flipped}"),  # altered signature
        good.replace(token, token[:-1]),  # cut short
        # someone else's feed, with this feed's signature
        good.replace(token, f"{someone_else}:{signature}"),
        # signed by the site, but for something else: another salt, a digest link
        good.replace(token, signing.Signer(salt="elsewhere").sign_object([reader.pk, None, fingerprint])),
        good.replace(token, tokens.make(Subscription.objects.subscribe_account(reader), "manage")),
        good.replace(token, signing.dumps([reader.pk, None, fingerprint], salt=private_feeds.SALT)),
        # rightly signed, but naming someone else's interest, or one that is gone
        good.replace(token, signer.sign_object([reader.pk, theirs.pk, fingerprint])),
        good.replace(token, signer.sign_object([reader.pk, 10**9, fingerprint])),
        good.replace(token, signer.sign_object([reader.pk, None, "0" * 16])),  # signed with another key
        "/for-you/feed/not-a-token/",
        "/for-you/feed/%C3%A9%00:x/",
    ]
    for path in forged:
        response = client.get(path)
        assert response.status_code == 404, path
        page = response.content.decode()
        assert reader.username not in page and "diffusion" not in page and "splatting" not in page
    assert client.get(good).status_code == 200
    reader.is_active = False
    reader.save()
    assert client.get(good).status_code == 404  # a closed account's feeds close with it


def test_resetting_stops_every_old_address(client, reader, papers):
    interest = interest_from(reader, about(papers, "diffusion")[:10], "diffusion")
    old = [private_feeds.feed_url(reader), private_feeds.feed_url(reader, interest)]
    assert all(client.get(path_of(url)).status_code == 200 for url in old)
    own = client_for(reader)
    page = own.get("/for-you/feeds/").content.decode()
    assert "Keep these addresses secret" in page
    listed = re.findall(r'<code class="feed-url">(\S+)</code>', page)
    assert [path_of(url) for url in listed] == [path_of(url) for url in old]
    assert listed[0].startswith("http://testserver/for-you/feed/")  # absolute: ready to paste

    reset = own.post("/for-you/feeds/")

    assert reset.status_code == 302 and reset["Location"] == "/for-you/feeds/"
    assert all(client.get(path_of(url)).status_code == 404 for url in old)
    page = own.get("/for-you/feeds/").content.decode()
    assert "the old ones no longer work" in page
    new = re.findall(r'<code class="feed-url">(\S+)</code>', page)
    assert len(new) == 2 and not set(new) & set(listed)
    assert all(client.get(path_of(url)).status_code == 200 for url in new)
    assert FeedKey.objects.count() == 1


def test_the_feeds_page_is_the_readers_own(client, reader, outsider):
    response = client.get("/for-you/feeds/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post("/for-you/feeds/").status_code == 302 and not FeedKey.objects.exists()
    mine = client_for(reader).get("/for-you/feeds/").content.decode()
    theirs = client_for(outsider).get("/for-you/feeds/").content.decode()
    assert re.findall(r'<code class="feed-url">(\S+)</code>', mine) != re.findall(
        r'<code class="feed-url">(\S+)</code>', theirs
    )


def test_a_feeds_queries_do_not_grow_with_its_entries(client, reader, papers):
    interest = interest_from(reader, about(papers, "diffusion")[:10], "diffusion", threshold=0.0)
    url = path_of(private_feeds.feed_url(reader, interest))
    matches = [rec.match for rec in week(reader, interest)]
    counts = {}
    for threshold in (0.0, (matches[1] + matches[2]) / 2):
        Interest.objects.filter(pk=interest.pk).update(threshold=threshold)
        with CaptureQueriesContext(connection) as queries:
            entries = len(read(client, url).entries)
        counts[entries] = len(queries)
    assert set(counts) == {50, 2}
    assert counts[50] == counts[2], counts
