"""The digest's "For you" sections: a reader with an account gets the period's new papers ranked by each of
their interests in the digest, above its threshold, each saying why, sent to a real SMTP server. Real
papers of a real listing day, harvested that night; the digest goes out the next morning."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.utils.html import escape

from papertide.digests import delivery, schedule
from papertide.digests.models import Delivered, Digest, SavedSearch, Subscription
from papertide.library import recommend
from papertide.library.models import Collection, Entry, Interest
from papertide.library.why import why_text
from tests.search_data import import_sample
from tests.smtp import body, inbox  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
CONFIRMED = datetime(2025, 3, 18, 12, 0, tzinfo=UTC)
HARVESTED = datetime(2025, 3, 19, 0, 30, tzinfo=UTC)  # the night after arXiv announced Tuesday's papers
WEDNESDAY_9 = datetime(2025, 3, 19, 9, 0, tzinfo=UTC)  # after the 08:00 UTC send time
# The new papers of that first digest: from the send time on the period's first day to its own.
SINCE, UNTIL = datetime(2025, 3, 18, 8, 0, tzinfo=UTC), datetime(2025, 3, 19, 8, 0, tzinfo=UTC)
WHY = re.compile(r"^Why: (.+)$", re.M)
FOR_YOU_WHY = re.compile(r"for (.+?): (\d+)% match, close to “(.+?)” and “(.+?)” that you saved")


@pytest.fixture
def papers(settings):
    settings.PAPERTIDE_SITE_URL = "http://testserver"
    with time_machine.travel(HARVESTED):
        return import_sample()


def interest_from(user, papers, name, **fields) -> Interest:
    collection = Collection.create(user, name)
    Entry.objects.bulk_create(Entry(collection=collection, paper=p) for p in papers)
    interest = Interest.objects.create(owner=user, name=name, collection=collection, **fields)
    assert recommend.train(interest)
    return interest


def about(papers, word):
    return [p for p in papers if word in p.title.lower()]


def section(text: str, title: str) -> str:
    """The part of a text digest under the heading `== title ==`, up to the next heading or the footer."""
    start = text.index(f"== {title} ==")
    rest = text[start + len(title) + 6 :]
    end = min(i for i in (rest.find("\n== "), rest.find("\n--\n")) if i >= 0)
    return rest[:end]


def text_of(message) -> str:
    return body(message).replace("\r\n", "\n")


def arxiv_ids(text: str) -> list[str]:
    return re.findall(r"https://arxiv\.org/abs/(\S+)", text)


def expected(user, interest, limit=5):
    """What the interest recommends for the digest's period, straight from the ranking."""
    recs = recommend.for_you(user, SINCE, UNTIL, [interest.pk], limit=limit, least=interest.threshold)
    return recommend.attach_papers(recs)


def test_a_reader_gets_a_for_you_section_per_interest_saying_why(reader, papers, inbox):  # noqa: F811
    saved = about(papers, "diffusion")[:10]
    interest = interest_from(reader, saved, "diffusion", threshold=0.5)
    subscription = Subscription.objects.subscribe_account(reader, now=CONFIRMED)
    assert schedule.new_papers_window(subscription, CONFIRMED.date(), UNTIL, None) == (SINCE, UNTIL)
    wanted = expected(reader, interest)
    assert len(wanted) == 5

    report = delivery.send_due(WEDNESDAY_9)

    assert report.sent == 1
    [message] = inbox.messages
    assert message["To"] == reader.email
    text, html = text_of(message), body(message, "html")
    part = section(text, "For you: diffusion")
    assert arxiv_ids(part) == [rec.paper.arxiv_id for rec in wanted]  # best first, five at most
    whys = WHY.findall(part)
    assert whys == [why_text(rec) for rec in wanted]
    saved_titles = {p.title_display for p in saved}
    for why in whys:
        name, percent, first, second = FOR_YOU_WHY.fullmatch(why).groups()
        assert name == "diffusion" and 50 <= int(percent) <= 100
        assert {first, second} <= saved_titles  # close to papers the reader saved
    for rec in wanted:  # the HTML part says the same (escaped as HTML)
        assert f"https://arxiv.org/abs/{rec.paper.arxiv_id}" in html
        assert f"Why: {escape(why_text(rec))}" in html
    assert not {p.arxiv_id for p in saved} & set(arxiv_ids(text)), "papers already saved are left out"
    # The section links to the interest's settings, where its threshold is changed.
    link = re.search(r"Change this interest: its threshold .+?: (\S+)", part).group(1)
    assert link.startswith("http://testserver/") and link.endswith(f"#interest-{interest.pk}")
    assert f'href="{link}"' in html
    digest = Digest.objects.get()
    assert digest.papers == 5 and f", {digest.papers} for you" in message["Subject"]
    delivered = set(Delivered.objects.values_list("paper__arxiv_id", flat=True))
    assert delivered == {rec.paper.arxiv_id for rec in wanted}


def test_the_threshold_leaves_out_papers_matching_less(reader, papers, inbox):  # noqa: F811
    interest = interest_from(reader, about(papers, "diffusion")[:10], "diffusion", threshold=0.0)
    ranked = expected(reader, interest, limit=300)
    matches = [rec.match for rec in ranked]
    # Between the third and the fourth best match: only three papers reach it.
    Interest.objects.filter(pk=interest.pk).update(threshold=(matches[2] + matches[3]) / 2)
    Subscription.objects.subscribe_account(reader, now=CONFIRMED)

    assert delivery.send_due(WEDNESDAY_9).sent == 1

    part = section(text_of(inbox.messages[0]), "For you: diffusion")
    assert arxiv_ids(part) == [rec.paper.arxiv_id for rec in ranked[:3]]
    percents = [int(FOR_YOU_WHY.fullmatch(why).group(2)) for why in WHY.findall(part)]
    assert percents == [rec.percent for rec in ranked[:3]]


def test_an_interest_left_out_of_the_digest_gets_no_section(reader, papers, inbox):  # noqa: F811
    interest_from(reader, about(papers, "diffusion")[:10], "diffusion", threshold=0.5)
    interest_from(
        reader, about(papers, "splatting")[:6], "gaussian splatting", threshold=0.5, in_digest=False
    )
    Subscription.objects.subscribe_account(reader, now=CONFIRMED)

    assert delivery.send_due(WEDNESDAY_9).sent == 1

    text = text_of(inbox.messages[0])
    assert "== For you: diffusion ==" in text
    assert "For you: gaussian splatting" not in text and "for gaussian splatting:" not in text


def test_a_digest_with_only_interests_left_out_is_empty_and_not_sent(reader, papers, inbox):  # noqa: F811
    interest_from(reader, about(papers, "diffusion")[:10], "diffusion", in_digest=False)
    subscription = Subscription.objects.subscribe_account(reader, now=CONFIRMED)
    Subscription.objects.filter(pk=subscription.pk).update(top_n=0)

    report = delivery.send_due(WEDNESDAY_9)

    assert report.sent == 0 and report.skipped == 1 and not inbox.messages


def test_an_interest_whose_threshold_no_paper_reaches_leaves_no_empty_section(reader, papers, inbox):  # noqa: F811
    interest_from(reader, about(papers, "diffusion")[:10], "diffusion", threshold=1.0)
    subscription = Subscription.objects.subscribe_account(reader, now=CONFIRMED)
    SavedSearch.objects.create(subscription=subscription, query="gaussian splatting")

    assert delivery.send_due(WEDNESDAY_9).sent == 1

    text = text_of(inbox.messages[0])
    assert "== New for “gaussian splatting” ==" in text and "For you" not in text


def test_an_address_without_an_account_gets_no_for_you_section(reader, papers, inbox):  # noqa: F811
    # The reader's own address, subscribed without the account: interests go with accounts, not addresses.
    interest_from(reader, about(papers, "diffusion")[:10], "diffusion", threshold=0.5)
    subscription = Subscription.objects.create(email=reader.email, confirmed_at=CONFIRMED, top_n=0)
    SavedSearch.objects.create(subscription=subscription, query="diffusion models")
    assert subscription.user is None

    assert delivery.send_due(WEDNESDAY_9).sent == 1

    text = text_of(inbox.messages[0])
    assert "== New for “diffusion models” ==" in text
    assert "For you" not in text and "% match, close to" not in text


def test_a_paper_both_searched_and_recommended_shows_once_with_both_reasons(reader, papers, inbox):  # noqa: F811
    interest = interest_from(reader, about(papers, "diffusion")[:10], "diffusion", threshold=0.5)
    subscription = Subscription.objects.subscribe_account(reader, now=CONFIRMED)
    SavedSearch.objects.create(subscription=subscription, query="diffusion")
    Subscription.objects.filter(pk=subscription.pk).update(top_n=0)

    assert delivery.send_due(WEDNESDAY_9).sent == 1

    text = text_of(inbox.messages[0])
    ids = arxiv_ids(text)
    assert len(ids) == len(set(ids)), "a paper shows once"
    both = [w for w in WHY.findall(text) if "matches your search “diffusion”" in w and "for diffusion: " in w]
    assert both, "a recommended paper the search found too carries both reasons, in the search's section"
    recommended = {rec.paper.arxiv_id for rec in expected(reader, interest)}
    assert recommended <= set(ids)
