"""Abuse limits (accounts/throttle.py): every write of the site is limited per account and per address,
new accounts more tightly; beyond a limit, a 429 that says when to try again, as a page or as JSON."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from papertide.accounts.models import ApiToken, RateBucket
from papertide.community.models import Comment
from tests.personas import client_for, crowd, person
from tests.search_data import import_sample

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def paper():
    return import_sample(1, embed=False)[0]


@pytest.fixture
def seasoned(settings):
    """Limits of 2 an hour for an account, twice that for an address; the personas count as seasoned."""
    settings.PAPERTIDE_NEW_ACCOUNT_DAYS = 0
    for name in ("SUBMIT", "COMMENT", "REPORT", "VOTE", "SAVE", "NEW_TOKEN"):
        setattr(settings, f"PAPERTIDE_{name}_RATE", 2)
    settings.PAPERTIDE_ADDRESS_RATE_FACTOR = 2


def _comment_by(user, paper):
    return Comment.objects.create(paper=paper, user=user, body="a remark")


# Each limited action: (the POST it makes, what a further one would have done had it been allowed).
ACTIONS = {
    "submit": lambda paper: ("/daily/submit/", {"paper": "not an id"}),
    "comment": lambda paper: (f"/papers/{paper.arxiv_id}/comments/", {"body": "hello"}),
    "report": lambda paper: (
        f"/comments/{_comment_by(person(f'author{Comment.objects.count()}'), paper).pk}/report/",
        {"reason": "spam"},
    ),
    "vote": lambda paper: (f"/papers/{paper.arxiv_id}/upvote/", {"vote": "1"}),
    "save": lambda paper: (f"/papers/{paper.arxiv_id}/save/", {"saved": "1"}),
    "save to": lambda paper: (f"/papers/{paper.arxiv_id}/save-to/", {"collections": ["reading-list"]}),
    "token": lambda paper: ("/accounts/tokens/", {"name": "script"}),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_each_write_is_limited_per_account_with_a_page_that_says_when(action, paper, reader, seasoned):
    client = client_for(reader)
    for _ in range(2):
        assert client.post(*ACTIONS[action](paper)).status_code < 429
    refused = client.post(*ACTIONS[action](paper))
    assert refused.status_code == 429
    assert "your account has made 2, the most an account may in an hour" in refused.content.decode()
    assert "try again in 30 minutes" in refused.content.decode()  # 2 an hour: one token per 30 minutes
    assert refused["Retry-After"] == "1800"


def test_the_limit_counts_the_right_thing(paper, reader, seasoned):
    client = client_for(reader)
    for _ in range(2):
        client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": "hello"})
    assert Comment.objects.count() == 2
    assert client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": "hello"}).status_code == 429
    assert Comment.objects.count() == 2  # the refused one was not made
    # other actions keep their own allowance, and looking is never limited
    assert client.post(f"/papers/{paper.arxiv_id}/upvote/", {"vote": "1"}).status_code == 302
    assert client.get(paper.get_absolute_url()).status_code == 200
    # revoking a token is not making one
    client.post("/accounts/tokens/", {"name": "a"})
    client.post("/accounts/tokens/", {"name": "b"})
    for token in ApiToken.objects.all():
        assert client.post("/accounts/tokens/", {"revoke": token.pk}).status_code == 200
    assert not ApiToken.objects.exists()


def test_the_allowance_comes_back_as_the_hour_goes_by(paper, reader, seasoned):
    client = client_for(reader)
    url = f"/papers/{paper.arxiv_id}/upvote/"
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(url, {"vote": "1"})
        client.post(url, {"vote": "0"})
        assert client.post(url, {"vote": "1"}).status_code == 429
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.post(url, {"vote": "1"})["Retry-After"] == "60"
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        assert client.post(url, {"vote": "1"}).status_code == 302


def test_a_script_gets_the_api_error_shape(paper, reader, seasoned):
    client = client_for(reader)
    for _ in range(2):
        assert client.post(f"/papers/{paper.arxiv_id}/upvote/", {"vote": "1"}, **JSON).status_code == 200
        assert client.post(f"/papers/{paper.arxiv_id}/save/", {"saved": "1"}, **JSON).status_code == 200
    for url, data in (
        (f"/papers/{paper.arxiv_id}/upvote/", {"vote": "1"}),
        (f"/papers/{paper.arxiv_id}/save/", {"saved": "1"}),
    ):
        refused = client.post(url, data, **JSON)
        assert refused.status_code == 429 and refused["Retry-After"] == "1800"
        assert refused.json() == {
            "error": refused.json()["error"],
            "status": 429,
        } and refused.json()["error"].startswith(("Upvotes: your account", "Saves: your account"))


def test_an_address_shared_by_several_accounts_has_its_own_larger_limit(paper, seasoned):
    first, second, third = crowd(3)
    url = f"/papers/{paper.arxiv_id}/comments/"
    lab = {"REMOTE_ADDR": "10.0.0.7"}
    for _ in range(2):
        assert client_for(first).post(url, {"body": "x"}, **lab).status_code == 302
    assert client_for(first).post(url, {"body": "x"}, **lab).status_code == 429  # the account's limit
    for _ in range(2):
        assert client_for(second).post(url, {"body": "x"}, **lab).status_code == 302
    refused = client_for(third).post(url, {"body": "x"}, **lab)  # a fresh account, an address used up
    assert refused.status_code == 429
    assert "your network address has sent 4, the most one address may" in refused.content.decode()
    assert client_for(third).post(url, {"body": "x"}, REMOTE_ADDR="10.0.0.8").status_code == 302
    # the third's refused comment was counted nowhere: its account still has both of its two
    assert client_for(third).post(url, {"body": "x"}, REMOTE_ADDR="10.0.0.8").status_code == 302


def test_a_new_account_is_held_to_a_share_of_each_limit(paper, settings):
    settings.PAPERTIDE_COMMENT_RATE = 10
    settings.PAPERTIDE_NEW_ACCOUNT_DAYS = 3
    settings.PAPERTIDE_NEW_ACCOUNT_RATE_SHARE = 0.2
    newcomer = person("newcomer")
    veteran = person("veteran", date_joined=timezone.now() - timedelta(days=4))
    url = f"/papers/{paper.arxiv_id}/comments/"
    for _ in range(2):
        assert client_for(newcomer).post(url, {"body": "x"}).status_code == 302
    refused = client_for(newcomer).post(url, {"body": "x"})
    assert refused.status_code == 429 and "the most a new account may" in refused.content.decode()
    for _ in range(10):
        assert client_for(veteran).post(url, {"body": "x"}).status_code == 302
    assert client_for(veteran).post(url, {"body": "x"}).status_code == 429
    # three days on, the newcomer is new no more
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        assert client_for(newcomer).post(url, {"body": "x"}).status_code == 302


def test_signed_out_clicks_go_to_log_in_and_spend_nothing(client, paper, seasoned):
    for _ in range(5):
        assert (
            "/accounts/login/" in client.post(f"/papers/{paper.arxiv_id}/upvote/", {"vote": "1"})["Location"]
        )
    assert not RateBucket.objects.exists()


def test_the_api_limit_per_token_says_when_in_its_error_shape(client, paper, reader, settings):
    settings.PAPERTIDE_TOKEN_RATE = 1
    _, token = ApiToken.issue(reader, "script")
    url = f"/api/papers/{paper.arxiv_id}/upvote"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.post(url, {"vote": True}, content_type="application/json", **auth).status_code == 200
    refused = client.post(url, {"vote": True}, content_type="application/json", **auth)
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    assert refused.json()["status"] == 429 and "try again in 60 minutes" in refused.json()["error"]


def test_no_bucket_keeps_an_address_in_the_clear(client, paper, reader, seasoned):
    client_for(reader).post(f"/papers/{paper.arxiv_id}/upvote/", {"vote": "1"}, REMOTE_ADDR="203.0.113.9")
    client.post(
        "/accounts/login/", {"username": "someone@example.org", "password": "x"}, REMOTE_ADDR="198.51.100.4"
    )
    subscribe = {
        "email": "someone@example.org",
        "frequency": "daily",
        "hour": 8,
        "time_zone": "UTC",
        "top_n": 3,
    }
    assert client.post("/digests/", subscribe, REMOTE_ADDR="198.51.100.4").status_code == 200
    keys = list(RateBucket.objects.values_list("key", flat=True))
    # the vote per account and per address, log-in and subscribing per address, the mails per address
    assert len(keys) == 5 and RateBucket.digest("digest-mail:someone@example.org") in keys
    stored = " ".join(str(row) for row in RateBucket.objects.values_list())
    for clear in (
        "203.0.113.9",
        "198.51.100.4",
        "someone@example.org",
        "vote",
        "login",
        str(reader.pk) + ":",
    ):
        assert clear not in stored
    assert RateBucket.digest("vote:address:203.0.113.9") in keys


@pytest.mark.django_db(transaction=True)
def test_the_migration_forgets_the_buckets_kept_in_the_clear():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0002_api_tokens")])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_ratebucket (key, tokens, updated_at) VALUES (%s, %s, %s)",
            ["signup:203.0.113.9", 3.0, timezone.now()],
        )
    executor = MigrationExecutor(connection)  # a fresh graph: it knows what is applied now
    executor.migrate(executor.loader.graph.leaf_nodes("accounts"))
    assert not RateBucket.objects.exists()
    assert RateBucket.take("signup:203.0.113.9", 3, 3600)  # and the table works as the model says
