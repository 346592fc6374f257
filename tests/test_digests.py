"""E-mail digests over real papers, sent to a real SMTP server (aiosmtpd) and read back with the email
package: double opt-in, contents and headers, one-click unsubscribe, and exactly one digest per subscriber
and period through reruns, concurrent workers, a flaky server and permanent failures."""

import random
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.db import connection
from django.test import Client

from papertide.catalog.models import Paper
from papertide.catalog.services import ingest
from papertide.catalog.sources.snapshot import from_listing
from papertide.community.services import set_vote, submit
from papertide.digests import delivery, schedule
from papertide.digests.models import Delivered, Digest, SavedSearch, Subscription
from tests.concurrency import at_once
from tests.personas import client_for, crowd, person
from tests.search_data import import_sample, listing_rows
from tests.smtp import Inbox, body, inbox, serving  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
LISTED = date(2025, 3, 18)  # the announcement day of the sample papers (a Tuesday)
CONFIRMED = datetime(2025, 3, 18, 12, 0, tzinfo=UTC)
WEDNESDAY_9 = datetime(2025, 3, 19, 9, 0, tzinfo=UTC)  # after the 08:00 UTC send time
# Half an hour after arXiv announced Tuesday's papers (20:00 in New York, summer time: 00:00 UTC).
HARVESTED = datetime(2025, 3, 19, 0, 30, tzinfo=UTC)
LINK = re.compile(r"https?://testserver(/\S+?)(?=[\s\"<>]|$)")


@pytest.fixture
def papers(settings):
    settings.PAPERTIDE_SITE_URL = "http://testserver"
    with time_machine.travel(HARVESTED):  # first seen when the daily harvest would have found them
        return {p.arxiv_id: p for p in import_sample()}


def subscriber(email: str, searches=(), top_n: int = 3, **fields) -> Subscription:
    subscription = Subscription.objects.create(email=email, top_n=top_n, confirmed_at=CONFIRMED, **fields)
    for query in searches:
        SavedSearch.objects.create(subscription=subscription, query=query)
    return subscription


def header(message, name: str) -> str:
    return "".join(message[name].split())  # unfolded, as a mail client reads it


def recipients(inbox) -> Counter:  # noqa: F811
    return Counter(m["To"] for m in inbox.messages)


def test_schedule_covers_every_day_once():
    weekdays = Subscription(frequency="weekdays", hour=8, time_zone="UTC", confirmed_at=CONFIRMED)
    due = schedule.latest_due(weekdays, WEDNESDAY_9)
    assert (due.due_on, due.period_start, due.period_end) == (date(2025, 3, 19), LISTED, LISTED)
    assert schedule.latest_due(weekdays, WEDNESDAY_9, last_end=LISTED) is None  # planned already
    monday = schedule.latest_due(weekdays, datetime(2025, 3, 24, 9, tzinfo=UTC), last_end=date(2025, 3, 20))
    assert (monday.period_start, monday.period_end) == (date(2025, 3, 21), date(2025, 3, 23))  # Fri to Sun
    saturday = schedule.latest_due(weekdays, datetime(2025, 3, 22, 9, tzinfo=UTC), last_end=LISTED)
    assert saturday.due_on == date(2025, 3, 21)  # no weekday digest on Saturday: Friday's is still due
    weekly = Subscription(frequency="weekly", hour=8, time_zone="UTC", confirmed_at=CONFIRMED)
    assert schedule.latest_due(weekly, datetime(2025, 3, 31, 9, tzinfo=UTC)).period_start == date(2025, 3, 24)
    tokyo = Subscription(frequency="daily", hour=8, time_zone="Asia/Tokyo", confirmed_at=CONFIRMED)
    assert schedule.latest_due(tokyo, datetime(2025, 3, 19, 22, 59, tzinfo=UTC)).due_on == date(2025, 3, 19)
    assert schedule.latest_due(tokyo, datetime(2025, 3, 19, 23, 0, tzinfo=UTC)).due_on == date(2025, 3, 20)
    # A sender stopped for three days: the next digest covers the missed days too, up to a week.
    late = schedule.latest_due(weekdays, datetime(2025, 3, 21, 9, tzinfo=UTC), last_end=date(2025, 3, 17))
    assert (late.period_start, late.period_end) == (LISTED, date(2025, 3, 20))
    assert schedule.latest_due(weekdays, datetime(2025, 3, 18, 9, tzinfo=UTC)) is None  # before confirming
    assert schedule.latest_due(Subscription(confirmed_at=None), WEDNESDAY_9) is None


def test_subscribe_without_an_account_is_double_opt_in(client, papers, inbox):  # noqa: F811
    page = client.post(
        "/digests/",
        {"email": "Ada@Example.org", "frequency": "weekdays", "hour": 8, "time_zone": "UTC", "top_n": 3},
    )
    assert page.status_code == 200 and "Check your e-mail" in page.content.decode()
    subscription = Subscription.objects.get(email="ada@example.org")
    assert subscription.confirmed_at is None
    [message] = inbox.messages
    assert message["Subject"] == "Confirm your papertide digest"
    path = LINK.search(body(message)).group(1)
    assert path in body(message, "html")
    delivery.send_due(WEDNESDAY_9)
    assert len(inbox.messages) == 1  # nothing for an address not yet confirmed

    assert "Confirm your digest" in client.get(path).content.decode()  # a mail scanner's GET does nothing
    assert Subscription.objects.get(pk=subscription.pk).confirmed_at is None
    manage = client.post(path)
    assert manage.status_code == 302 and manage["Location"].startswith("/digests/manage/")
    Subscription.objects.filter(pk=subscription.pk).update(confirmed_at=CONFIRMED)  # as if confirmed then
    added = client.post(
        manage["Location"], {"action": "add", "query": "autonomous driving", "threshold": 0.5}
    )
    assert added.status_code == 302 and subscription.searches.get().query == "autonomous driving"

    # Asking again for an address that gets the digest changes nothing and tells only its owner.
    again = client.post(
        "/digests/",
        {"email": "ada@example.org", "frequency": "daily", "hour": 3, "time_zone": "UTC", "top_n": 1},
    )
    assert again.status_code == 200 and "<h1>Check your e-mail</h1>" in again.content.decode()
    assert Subscription.objects.get(pk=subscription.pk).frequency == "weekdays"
    assert "already receives" in body(inbox.messages[-1])
    assert "/digests/manage/" in body(inbox.messages[-1])

    report = delivery.send_due(WEDNESDAY_9)
    assert report.sent == 1 and recipients(inbox)["ada@example.org"] == 3
    bad = client.get("/digests/confirm/not-a-token/")
    assert bad.status_code == 400 and "not valid" in bad.content.decode()


SIGN_UP = {"email": "ada@example.org", "frequency": "daily", "hour": 8, "time_zone": "UTC", "top_n": 3}


def test_a_sign_up_racing_another_for_its_address_is_no_error(client, papers, inbox, monkeypatch):  # noqa: F811
    """The other request's row lands between this one's look and its insert (a double click): the unique
    address refuses the second row, and the page answers as the other request will (it sends the mail)."""
    from papertide.digests.models import SubscriptionQuerySet

    real_first = SubscriptionQuerySet.first

    def look_before_the_other_request_lands(self):
        seen = real_first(self)  # nobody has the address yet...
        Subscription.objects.bulk_create([Subscription(email=SIGN_UP["email"])])  # ...and now someone has
        return seen

    monkeypatch.setattr(SubscriptionQuerySet, "first", look_before_the_other_request_lands)
    page = client.post("/digests/", SIGN_UP)
    assert page.status_code == 200 and "Check your e-mail" in page.content.decode()
    assert Subscription.objects.filter(email="ada@example.org").count() == 1
    assert inbox.messages == []  # the mail is the other request's to send


@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_sign_up_makes_one_subscription(papers, inbox):  # noqa: F811
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip(
            "in-memory SQLite does not serialise writers like a file or PostgreSQL (the PostgreSQL run)"
        )
    pages = []
    errors = at_once(lambda _: pages.append(Client().post("/digests/", SIGN_UP)), 4)
    assert not errors
    assert [p.status_code for p in pages] == [200] * 4
    assert all("Check your e-mail" in p.content.decode() for p in pages)
    assert Subscription.objects.filter(email="ada@example.org").count() == 1
    assert 1 <= recipients(inbox)["ada@example.org"] <= 3  # the later asks re-send, up to the day's 3


def test_a_digest_says_why_each_paper_is_there(papers, inbox, submitter):  # noqa: F811
    readers = crowd(3)
    ids = list(papers)
    for n, arxiv_id in enumerate(ids[:4]):  # four papers submitted to the day's list, voted on
        submit(submitter, arxiv_id, today=LISTED)
        for reader in readers[: 3 - min(n, 2)]:
            set_vote(reader, papers[arxiv_id], True)
    subscriber("ada@example.org", searches=["medical image segmentation"])
    report = delivery.send_due(WEDNESDAY_9)
    assert report.sent == 1
    [message] = inbox.messages

    assert re.fullmatch(r"papertide: papers of Tue 18 Mar 2025, \d+ for you", message["Subject"])
    count = int(re.search(r"(\d+) for you", message["Subject"]).group(1))
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(
        r"<https?://testserver/digests/unsubscribe/\S+/>", header(message, "List-Unsubscribe")
    )
    assert message["List-Id"] == "papertide digest <digest.testserver>"
    digest = Digest.objects.get()
    assert message["Message-ID"] == f"<digest-{digest.pk}-20250319@testserver>" == digest.message_id
    text, html = body(message), body(message, "html")
    assert "== Trending ==" in text and "== New for “medical image segmentation” ==" in text
    whys = re.findall(r"^Why: (.+)$", text, re.M)
    assert len(whys) == count == digest.papers == Delivered.objects.count()
    assert sum(w.startswith("trending: ") for w in whys) == 3
    assert any("matches your search “medical image segmentation”: words 100% · meaning" in w for w in whys)
    first = Digest.objects.get().subscription.delivered.order_by("id").first().paper
    assert first.title_display in text and f"https://arxiv.org/abs/{first.arxiv_id}" in html

    client = Client(enforce_csrf_checks=True)  # as a mail client: no cookie, no CSRF token
    for path in {p for p in LINK.findall(text) if "/papers/" in p}:
        assert client.get(path).status_code == 200
    manage = LINK.search(text[text.index("Change this digest") :]).group(1)
    assert "medical image segmentation" in client.get(manage).content.decode()
    unsubscribe = urlsplit(header(message, "List-Unsubscribe").strip("<>")).path
    assert "Stop sending" in client.get(unsubscribe).content.decode()
    assert Subscription.objects.get().state == "active"
    done = client.post(
        unsubscribe, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200 and Subscription.objects.get().state == "unsubscribed"
    assert delivery.send_due(WEDNESDAY_9 + timedelta(days=1)).planned == 0


def test_reruns_and_the_next_period_never_repeat(papers, inbox, submitter):  # noqa: F811
    first = list(papers)[0]
    submit(submitter, first, today=LISTED)
    for i in range(5):
        subscriber(f"s{i}@example.org", searches=["autonomous driving"])
    assert delivery.send_due(WEDNESDAY_9).sent == 5
    assert delivery.send_due(WEDNESDAY_9).sent == 0  # a rerun sends nothing
    assert delivery.send_due(WEDNESDAY_9 + timedelta(minutes=5)).planned == 0
    assert len(inbox.messages) == 5 and set(recipients(inbox).values()) == {1}
    # The same paper is in Wednesday's daily list too: Thursday's digest leaves it out for everyone.
    submit(submitter, first, today=date(2025, 3, 19))
    report = delivery.send_due(WEDNESDAY_9 + timedelta(days=1))
    assert report.planned == 5 and report.sent == 0 and report.skipped == 5  # nothing new: skipped
    assert Delivered.objects.filter(paper__arxiv_id=first).count() == 5


def test_a_paper_harvested_after_its_days_digest_went_out_is_in_the_next_one_once(inbox):  # noqa: F811
    rows = [from_listing(dict(r)) for r in listing_rows()[:40]]
    late = rows.pop()  # announced on Tuesday with the others, but the harvest missed it
    with time_machine.travel(HARVESTED):
        ingest(rows, "test")
    searches = [rows[0].title, late.title]
    subscription = subscriber("ada@example.org", searches=searches, top_n=0, frequency="daily")
    arxiv_link = f"arxiv.org/abs/{late.arxiv_id}"

    assert delivery.send_due(WEDNESDAY_9).sent == 1  # Tuesday's papers went out, without the late one
    assert f"arxiv.org/abs/{rows[0].arxiv_id}" in body(inbox.messages[0])
    assert arxiv_link not in body(inbox.messages[0])
    with time_machine.travel(WEDNESDAY_9 + timedelta(hours=1)):  # the reconciliation brings it in
        ingest([late], "test")
    assert Paper.objects.get(arxiv_id=late.arxiv_id).listed_on == LISTED  # Tuesday's, not Wednesday's
    for day in (1, 2, 3):  # Thursday's digest has it; Friday's and Saturday's do not
        delivery.send_due(WEDNESDAY_9 + timedelta(days=day))

    having = [m for m in inbox.messages if arxiv_link in body(m)]
    assert len(having) == 1 and "papers of Wed 19 Mar 2025" in having[0]["Subject"]
    delivered = Delivered.objects.get(subscription=subscription, paper__arxiv_id=late.arxiv_id)
    assert delivered.digest.due_on == date(2025, 3, 20)


def test_moving_the_send_hour_later_leaves_no_gap_in_new_papers(inbox):  # noqa: F811
    rows = [from_listing(dict(r)) for r in listing_rows()[:40]]
    late = rows.pop()
    with time_machine.travel(HARVESTED):
        ingest(rows, "test")
    searches = [rows[0].title, late.title]
    subscription = subscriber("ada@example.org", searches=searches, top_n=0, frequency="daily")
    assert delivery.send_due(WEDNESDAY_9).sent == 1  # due at 08:00
    Subscription.objects.filter(pk=subscription.pk).update(hour=12)
    with time_machine.travel(WEDNESDAY_9 + timedelta(hours=1)):  # 10:00: after the old hour, before the new
        ingest([late], "test")

    assert delivery.send_due(WEDNESDAY_9 + timedelta(days=1, hours=4)).sent == 1  # Thursday 13:00

    assert f"arxiv.org/abs/{late.arxiv_id}" in body(inbox.messages[1])


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_digest_once(papers, inbox, settings):  # noqa: F811
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip(
            "in-memory SQLite does not serialise writers like a file or PostgreSQL (the PostgreSQL run)"
        )
    settings.PAPERTIDE_DIGEST_BATCH = 3
    for i in range(30):
        subscriber(f"s{i}@example.org", searches=["large language model reasoning"], top_n=0)
    reports = []
    errors = at_once(lambda _: reports.append(delivery.send_due(WEDNESDAY_9)), 2)
    assert not errors
    assert sum(r.sent for r in reports) == 30
    assert len(inbox.messages) == 30 and set(recipients(inbox).values()) == {1}


class FlakyInbox(Inbox):
    """Refuses (451) or drops the connection on a share of transactions, at random with a fixed seed."""

    def __init__(self, share: float, seed: int = 8):
        super().__init__()
        self.share, self.random, self.refused, self.dropped = share, random.Random(seed), 0, 0

    async def handle_DATA(self, server, session, envelope):
        if self.random.random() < self.share:
            if self.random.random() < 0.5:
                self.refused += 1
                return "451 4.3.0 try again later"
            self.dropped += 1
            server.transport.close()  # the connection is lost before any reply
            return "421 closing"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def flaky(settings):
    handler = FlakyInbox(0.2)
    with serving(handler, settings):
        yield handler


def test_a_flaky_server_still_gets_exactly_one_each(papers, flaky, settings):
    settings.PAPERTIDE_DIGEST_MAX_ATTEMPTS = 30
    settings.PAPERTIDE_DIGEST_RETRY_SECONDS = 1
    for i in range(40):
        subscriber(f"s{i}@example.org", searches=["diffusion"], top_n=0)
    now, runs = WEDNESDAY_9, 0
    while Digest.objects.exclude(state="sent").exists() or not Digest.objects.exists():
        delivery.send_due(now)
        now += timedelta(minutes=10)  # past the backoff of the first nine tries, within the same day
        runs += 1
        assert runs < 30
    assert flaky.refused and flaky.dropped  # both kinds of failure happened
    assert len(flaky.messages) == 40 and set(recipients(flaky).values()) == {1}
    # Every failed try was retried, and each digest's tries are its failures plus the one that went through.
    assert sum(d.attempts for d in Digest.objects.all()) == 40 + flaky.refused + flaky.dropped
    assert all(d.last_error == "" for d in Digest.objects.all())


class BouncingInbox(Inbox):
    def __init__(self, bounce: str):
        super().__init__()
        self.bounce = bounce

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.bounce:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_permanent_failures_are_recorded_and_pause_after_repeats(papers, settings):
    handler = BouncingInbox("gone@example.org")
    settings.PAPERTIDE_DIGEST_SKIP_EMPTY = False
    with serving(handler, settings):
        gone = subscriber("gone@example.org", searches=["diffusion"], frequency="daily")
        subscriber("here@example.org", searches=["diffusion"], frequency="daily")
        for day in range(settings.PAPERTIDE_DIGEST_MAX_BOUNCES + 1):
            delivery.send_due(WEDNESDAY_9 + timedelta(days=day))
    failed = Digest.objects.filter(subscription=gone)
    assert failed.count() == settings.PAPERTIDE_DIGEST_MAX_BOUNCES  # then no more tries
    assert {d.state for d in failed} == {"failed"} and "550" in failed.first().last_error
    gone.refresh_from_db()
    assert gone.state == "paused" and "550" in gone.paused_reason
    assert recipients(handler)["here@example.org"] == settings.PAPERTIDE_DIGEST_MAX_BOUNCES + 1


def test_empty_digests_are_skipped_unless_set_otherwise(papers, inbox, settings):  # noqa: F811
    subscriber("quiet@example.org", top_n=0)  # no saved search, no trending: nothing to send
    assert delivery.send_due(WEDNESDAY_9).skipped == 1 and not inbox.messages
    settings.PAPERTIDE_DIGEST_SKIP_EMPTY = False
    assert delivery.send_due(WEDNESDAY_9 + timedelta(days=1)).sent == 1
    assert "Nothing new" in body(inbox.messages[0])


def test_saved_searches_from_a_profile(papers, reader, outsider):
    client = client_for(reader)
    page = client.get("/digests/mine/").content.decode()
    assert "Start the digest" in page and "data-browser-zone" in page  # timezone.js proposes the zone
    assert client.post("/digests/mine/", {"action": "subscribe"}).status_code == 400  # no settings chosen
    assert not Subscription.objects.exists()
    start = {"action": "subscribe", "frequency": "daily", "hour": 7, "time_zone": "Asia/Tokyo", "top_n": 5}
    assert client.post("/digests/mine/", start).status_code == 302
    subscription = Subscription.objects.get(user=reader)
    assert subscription.receives  # the address was confirmed at sign-up
    assert (subscription.hour, subscription.time_zone, subscription.top_n) == (7, "Asia/Tokyo", 5)
    assert "data-browser-zone" not in client.get("/digests/mine/").content.decode()  # the chosen zone stays

    assert (
        client.post(
            "/digests/mine/", {"action": "add", "query": "autonomous driving", "threshold": 0.5}
        ).status_code
        == 302
    )
    search = SavedSearch.objects.get()
    assert search.vector is not None and search.model
    before = search.vector.copy()
    client.post(
        "/digests/mine/",
        {"action": "edit", "search": search.pk, "query": "medical image segmentation", "threshold": 0.6},
    )
    search.refresh_from_db()
    assert search.query == "medical image segmentation" and search.threshold == 0.6
    assert float(before @ search.vector) < 0.9  # the meaning was computed again
    refused = client.post("/digests/mine/", {"action": "add", "query": "the of and", "threshold": 0.5})
    assert refused.status_code == 400 and "Give some words" in refused.content.decode()
    out_of_range = client.post("/digests/mine/", {"action": "add", "query": "robots", "threshold": 7})
    assert out_of_range.status_code == 400
    assert (
        client.post(
            "/digests/mine/", {"action": "edit", "search": 99999, "query": "x", "threshold": 0.5}
        ).status_code
        == 404
    )
    client.post(
        "/digests/mine/",
        {"action": "settings", "frequency": "weekly", "hour": 7, "time_zone": "Europe/Berlin", "top_n": 5},
    )
    subscription.refresh_from_db()
    assert (subscription.frequency, subscription.hour, subscription.time_zone) == (
        "weekly",
        7,
        "Europe/Berlin",
    )
    bad_zone = client.post(
        "/digests/mine/",
        {"action": "settings", "frequency": "weekly", "hour": 7, "time_zone": "Mars/Olympus", "top_n": 5},
    )
    assert bad_zone.status_code == 400
    client.post("/digests/mine/", {"action": "delete", "search": search.pk})
    assert not SavedSearch.objects.exists()
    theirs = SavedSearch.objects.create(
        subscription=subscriber(outsider.email, user=outsider), query="robots"
    )
    assert client.post("/digests/mine/", {"action": "delete", "search": theirs.pk}).status_code == 404
    for garbage in ("abc", "", "1e3", "-1"):  # a tampered form: 404, never a 500
        assert client.post("/digests/mine/", {"action": "delete", "search": garbage}).status_code == 404
    assert client.post("/digests/mine/", {"action": "explode"}).status_code == 400
    assert client.post("/digests/mine/", {"action": "settings", "hour": "noon"}).status_code == 400


def test_an_account_without_an_address_is_told_so():
    client = client_for(person("root", email=""))  # createsuperuser allows an account without one
    assert "no e-mail address" in client.get("/digests/mine/").content.decode()
    assert client.post("/digests/mine/", {"action": "subscribe"}).status_code == 400
    assert not Subscription.objects.exists()


def test_each_state_change_of_a_subscription_is_one_update_the_instance_follows(
    settings, django_assert_num_queries
):
    subscription = Subscription.objects.create(email="ada@example.org")
    with django_assert_num_queries(1):
        subscription.confirm(now=CONFIRMED)
    assert subscription.receives and Subscription.objects.get().confirmed_at == CONFIRMED

    limit = settings.PAPERTIDE_DIGEST_MAX_BOUNCES
    for _ in range(limit):
        Subscription.objects.filter(pk=subscription.pk).record_bounce("550 5.1.1 no such user")
    subscription.refresh_from_db()
    assert (subscription.state, subscription.bounces) == ("paused", limit)
    assert (
        subscription.paused_reason
        == f"{limit} permanent delivery failures in a row; the last: 550 5.1.1 no such user"
    )
    with django_assert_num_queries(1):
        subscription.resume()
    assert Subscription.objects.values_list("state", "bounces", "paused_reason").get() == ("active", 0, "")
    Subscription.objects.filter(pk=subscription.pk).record_bounce("550")
    assert Subscription.objects.filter(pk=subscription.pk).clear_bounces() == 1
    assert Subscription.objects.get().bounces == 0

    subscription.unsubscribe()
    for _ in range(limit):  # bounces after unsubscribing pause nothing: the owner left already
        Subscription.objects.filter(pk=subscription.pk).record_bounce("550")
    assert Subscription.objects.get().state == "unsubscribed"
    subscription.resubscribe(frequency="daily", hour=3, time_zone="Asia/Tokyo", top_n=1)
    assert not subscription.receives  # nothing is sent until the address is confirmed anew
    stored = Subscription.objects.get()
    assert (stored.state, stored.confirmed_at, stored.frequency, stored.hour, stored.time_zone) == (
        "active",
        None,
        "daily",
        3,
        "Asia/Tokyo",
    )


def test_an_account_takes_over_the_subscription_of_its_address(reader):
    earlier = Subscription.objects.create(email=reader.email)  # asked before signing up, never confirmed
    started = Subscription.objects.subscribe_account(reader, now=CONFIRMED)
    assert started.pk == earlier.pk and started.receives
    stored = Subscription.objects.get()
    assert (stored.user, stored.confirmed_at, stored.state) == (reader, CONFIRMED, "active")
