"""Deleting an account (a POST with the password) deletes its library, ratings, interests, tokens,
subscriptions, reports and sessions; its votes stay counted and its comments keep their place in their
threads, both without a link to the person, the comments without their text; other readers' rows and the
catalog stay."""

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import models
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from papertide.accounts.models import ApiToken
from papertide.catalog.models import Paper
from papertide.community.models import Comment, Report, Vote
from papertide.community.services import add_comment, set_vote
from papertide.digests.models import Subscription
from papertide.library.models import Collection, Entry, Interest, Rating, ReadMark
from tests.personal_data import leave_traces
from tests.personas import PASSWORD, client_for, crowd, person
from tests.search_data import import_sample

pytestmark = pytest.mark.django_db

LIBRARY = (Collection, Entry, ReadMark, Interest, Rating, ApiToken)


def library_of(user, papers) -> None:
    """A reading list and a collection with an interest built on it, read marks and ratings, a token."""
    Collection.reading_list(user).papers.add(papers[0])
    ideas = Collection.create(user, "Ideas")
    ideas.papers.add(*papers[1:3])
    interest = Interest.objects.create(owner=user, name="Ideas", collection=ideas)
    ReadMark.objects.create(user=user, paper=papers[0])
    Rating.objects.create(user=user, interest=interest, paper=papers[3], value=Rating.MORE)
    Rating.objects.create(user=user, interest=interest, paper=papers[4], value=Rating.LESS)
    ApiToken.issue(user, "script")


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in LIBRARY}


def test_deleting_an_account_deletes_its_library_ratings_and_interests(reader, outsider):
    papers = import_sample(5, embed=False)
    library_of(reader, papers)
    library_of(outsider, papers)
    before = counts()
    assert before == {"Collection": 4, "Entry": 6, "ReadMark": 2, "Interest": 2, "Rating": 4, "ApiToken": 2}
    client = client_for(reader)

    response = client.post(reverse("delete-account"), {"password": PASSWORD})

    assert response.status_code == 200 and "Account deleted" in response.content.decode()
    assert not User.objects.filter(username=reader.username).exists()
    assert counts() == {name: count // 2 for name, count in before.items()}  # the outsider's half stays
    assert Collection.objects.filter(owner=outsider).count() == 2
    assert Paper.objects.count() == 5  # the papers are the catalog's, not the reader's
    assert "_auth_user_id" not in client.session  # logged out


def test_a_wrong_password_deletes_nothing(reader):
    library_of(reader, import_sample(5, embed=False))
    before = counts()

    response = client_for(reader).post(reverse("delete-account"), {"password": "not my password"})

    assert response.status_code == 400
    assert "That is not your password; nothing was deleted." in response.content.decode()
    assert User.objects.filter(pk=reader.pk).exists() and counts() == before


def test_account_deletion_is_a_post_with_the_csrf_token_by_a_logged_in_reader(reader):
    assert Client().get(reverse("delete-account")).status_code == 302  # to the log-in page
    page = client_for(reader).get(reverse("delete-account"))
    assert page.status_code == 200 and "Delete my account" in page.content.decode()

    checked = Client(enforce_csrf_checks=True)
    checked.force_login(reader)
    assert checked.post(reverse("delete-account"), {"password": PASSWORD}).status_code == 403
    assert User.objects.filter(pk=reader.pk).exists()


# What stays and what goes (accounts.privacy.delete_account, docs/privacy.md).


def delete(user) -> None:
    response = client_for(user).post(reverse("delete-account"), {"password": PASSWORD})
    assert response.status_code == 200 and "Account deleted" in response.content.decode()


def vote_counts() -> dict[str, tuple[int, int]]:
    return {p.arxiv_id: (p.local_votes, p.upvotes) for p in Paper.objects.with_votes()}


def trending_votes() -> dict[str, int]:
    from papertide.community.trending import ranking

    return {row.arxiv_id: row.votes for row in ranking().ranked}


def test_votes_stay_counted_without_their_voter(reader, outsider):
    papers = import_sample(6, embed=False)
    for voter in [outsider, *crowd(2)]:
        set_vote(voter, papers[0], up=True)
    leave_traces(reader, papers, "ADA-MARK")  # votes for papers 0 and 1, a submission of paper 2 (trending)
    before, trending = vote_counts(), trending_votes()
    assert before[papers[0].arxiv_id] == (4, 4) and trending[papers[2].arxiv_id] == 0

    delete(reader)

    assert vote_counts() == before and trending_votes() == trending
    assert Vote.objects.filter(user=None).count() == 2 and Vote.objects.count() == 5
    # The one-vote-a-person rule still holds for the living, beside the votes no one owns any more.
    set_vote(outsider, papers[0], up=True)
    set_vote(person("newcomer"), papers[0], up=True)
    assert vote_counts()[papers[0].arxiv_id] == (5, 5)
    set_vote(outsider, papers[1], up=True)
    assert vote_counts()[papers[1].arxiv_id] == (2, 2)


def test_comments_keep_their_place_and_lose_their_text(reader, outsider):
    papers = import_sample(6, embed=False)
    mine = leave_traces(reader, papers, "ADA-MARK")
    reply = add_comment(outsider, papers[0], "EVE-MARK: a reply that must survive", parent_id=mine.comment.pk)
    lonely = mine.deleted_comment  # deleted by its author before, no reply: shown nowhere

    delete(reader)

    head = Comment.objects.get(pk=mine.comment.pk)
    assert (head.user, head.body, head.deleted) == (None, "", True)
    assert Comment.objects.get(pk=reply.pk).parent_id == head.pk
    assert Comment.objects.get(pk=lonely.pk).body == ""  # its text was still held until now
    assert not Comment.objects.filter(body__contains="ADA-MARK").exists()
    html = client_for(outsider).get(papers[0].get_absolute_url()).content.decode()
    assert f'id="comment-{head.pk}"' in html and "[deleted]" in html
    assert "EVE-MARK: a reply that must survive" in html and "ADA-MARK" not in html
    assert (
        f'id="comment-{lonely.pk}"'
        not in client_for(outsider).get(papers[1].get_absolute_url()).content.decode()
    )


def user_foreign_keys() -> list[tuple[type, str]]:
    """(model, field) of every column that points at a user, in every installed app."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is User
    ]


def sessions_of(user) -> list[str]:
    return [
        s.session_key for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    ]


def admin_log(staff, row) -> None:
    """What the admin writes when a staff member changes a row: its str() stays in the history."""
    kind = ContentType.objects.get_for_model(row)
    LogEntry.objects.create(
        user=staff, content_type=kind, object_id=str(row.pk), object_repr=str(row)[:200], action_flag=CHANGE
    )


def test_nothing_left_names_the_person(reader, outsider, moderator):
    papers = import_sample(6, embed=False)
    theirs = leave_traces(outsider, papers, "EVE-MARK")
    mine = leave_traces(reader, papers, "ADA-MARK", reply_to=theirs.comment)
    Subscription.objects.create(email="ADA@example.org", confirmed_at=None)  # signed up without an account
    Subscription.objects.filter(user=reader).update(email="ada-account@example.org")
    for row in (reader, mine.comment, Subscription.objects.get(user=reader), Report.objects.get(user=reader)):
        admin_log(moderator, row)
    admin_log(moderator, theirs.comment)
    phone, laptop, _ = client_for(reader), client_for(reader), client_for(outsider)
    keys = user_foreign_keys()
    # Every kind of row a person can have is among the traces (the admin's log is staff's alone).
    untested = [
        f"{m.__name__}.{f}"
        for m, f in keys
        if m is not LogEntry and not m.objects.filter(**{f: reader}).exists()
    ]
    assert not untested, f"leave_traces() makes no row of {untested}: add one, and check its export"
    assert len(sessions_of(reader)) == 2 and phone.get("/").status_code == 200

    delete(reader)

    assert not [f"{m.__name__}.{f}" for m, f in keys if m.objects.filter(**{f"{f}_id": reader.pk}).exists()]
    assert not sessions_of(reader) and sessions_of(outsider)
    for marker in ("ADA-MARK", "ada@example.org", "ada-account@example.org"):
        assert not rows_containing(marker), marker
    assert set(rows_containing("EVE-MARK")) == {  # the outsider's words stay, the admin's history of them too
        "LogEntry",
        "Comment",
        "SavedSearch",
        "ApiToken",
        "Collection",
        "Interest",
    }
    user_kind = ContentType.objects.get_for_model(User)
    assert not LogEntry.objects.filter(content_type=user_kind, object_id=str(reader.pk)).exists()
    assert "_auth_user_id" not in laptop.session


def rows_containing(text: str) -> list[str]:
    """Every model that has a row with `text` in one of its text columns (case-insensitive)."""
    found = []
    for model in apps.get_models():
        columns = [
            f.name for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)
        ]
        if columns:
            query = Q()
            for column in columns:
                query |= Q(**{f"{column}__icontains": text})
            if model.objects.filter(query).exists():
                found.append(model.__name__)
    return found


def test_an_account_deleted_in_the_admin_goes_the_same_way(reader, outsider, moderator):
    papers = import_sample(6, embed=False)
    mine = leave_traces(reader, papers, "ADA-MARK")
    reply = add_comment(outsider, papers[0], "EVE-MARK: still here", parent_id=mine.comment.pk)
    before = vote_counts()

    response = client_for(moderator).post(
        "/admin/auth/user/", {"action": "delete_selected", "_selected_action": [reader.pk], "post": "yes"}
    )

    assert response.status_code == 302 and not User.objects.filter(pk=reader.pk).exists()
    assert vote_counts() == before
    assert Comment.objects.get(pk=reply.pk).parent_id == mine.comment.pk
    assert not rows_containing("ADA-MARK") and not rows_containing(reader.email)
