"""The people of the tests, made in one place.

Four personas, each a pytest fixture (registered for every test by tests/conftest.py) that makes the account
in the test's database:

- reader: reads, upvotes, comments, subscribes to the digest; the everyday signed-in user;
- submitter: puts papers on the daily list;
- moderator: staff with every admin permission (the admin's moderation actions, the catalog's pages);
- outsider: an account with no part in what the test set up: someone else's comment, subscription or
  token, which it must not be able to touch.

client_for(user) is a test client already logged in as that user; crowd(n) makes n more readers (voters);
person() makes an account unlike the personas (an odd name, no address), and is what they are made by.
All share one password, PASSWORD, for the tests that log in through the form.
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client

PASSWORD = "a quiet lab at night"


def person(username: str, email: str | None = None, **fields) -> User:
    """An account. The address is username@example.org unless given ("" for none)."""
    email = f"{username}@example.org" if email is None else email
    return User.objects.create_user(username, email, PASSWORD, **fields)


def crowd(n: int, prefix: str = "voter") -> list[User]:
    """n readers, voter0 to voter{n-1}: the many people behind a vote count."""
    return [person(f"{prefix}{i}") for i in range(n)]


def client_for(user: User) -> Client:
    """A fresh test client, logged in as user (no password or log-in page involved)."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reader(db) -> User:
    return person("ada")


@pytest.fixture
def submitter(db) -> User:
    return person("grace")


@pytest.fixture
def moderator(db) -> User:
    return person("mod", is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db) -> User:
    return person("eve")
