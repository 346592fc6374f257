"""Deleting an account (a POST with the password) deletes its library, ratings and interests, and ends the
session; other readers' rows and the catalog stay."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from papertide.accounts.models import ApiToken
from papertide.catalog.models import Paper
from papertide.library.models import Collection, Entry, Interest, Rating, ReadMark
from tests.personas import PASSWORD, client_for
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
