"""Accounts: sign-up confirmed by e-mail (a real SMTP server), log-in, password reset, throttling."""

import re

import pytest
from django.contrib.auth.models import User

from papertide.community.models import DailyEntry
from tests.personas import PASSWORD, person
from tests.smtp import body, inbox  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://testserver(/\S+)")


def sign_up(client, name="ada", email="ada@example.org", password="a quiet lab at night"):
    return client.post(
        "/accounts/signup/",
        {"username": name, "email": email, "password1": password, "password2": password},
    )


def test_sign_up_confirm_by_email_then_log_in(client, inbox):  # noqa: F811
    response = sign_up(client)
    assert response.status_code == 200 and "Check your e-mail" in response.content.decode()
    user = User.objects.get(username="ada")
    assert not user.is_active
    assert (
        client.post("/accounts/login/", {"username": "ada", "password": "a quiet lab at night"}).status_code
        == 200
    )

    [message] = inbox.messages
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "Confirm your papertide account"
    path = LINK.search(body(message)).group(1)
    assert path in body(message, "html")

    page = client.get(path)  # a mail scanner's GET confirms nothing
    assert page.status_code == 200 and "Confirm the account" in page.content.decode()
    assert not User.objects.get(username="ada").is_active
    assert client.post(path).status_code == 302
    assert User.objects.get(username="ada").is_active
    assert client.get(path).status_code == 400  # used once, it stops working

    client.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"username": "ada", "password": "a quiet lab at night"})
    assert response.status_code == 302


def test_passwords_are_hashed_with_argon2(client, inbox, settings):  # noqa: F811
    from papertide import settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS  # the tests' fast hasher aside, for this test
    sign_up(client)
    assert User.objects.get(username="ada").password.startswith("argon2")


def test_sign_up_refusals_say_why(client, inbox):  # noqa: F811
    sign_up(client)
    again = sign_up(client, name="ada2")
    assert again.status_code == 400
    assert "An account with this e-mail address exists already" in again.content.decode()
    weak = sign_up(client, name="bob", email="bob@example.org", password="123")
    assert weak.status_code == 400 and "too short" in weak.content.decode()
    assert len(inbox.messages) == 1


def test_a_forged_confirmation_link_is_refused(client, inbox):  # noqa: F811
    sign_up(client)
    path = LINK.search(body(inbox.messages[0])).group(1)
    forged = path.rstrip("/")[:-3] + "abc/"
    assert client.post(forged).status_code == 400
    assert client.post("/accounts/confirm/not-base64/whatever/").status_code == 400
    assert not User.objects.get(username="ada").is_active


def test_password_reset_by_email(client, inbox, reader):  # noqa: F811
    response = client.post("/accounts/password/reset/", {"email": reader.email})
    assert response.status_code == 302
    [message] = inbox.messages
    assert message["Subject"] == "Reset your papertide password"
    path = LINK.search(body(message)).group(1)
    form = client.get(path, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )
    assert done.status_code == 302
    assert User.objects.get(pk=reader.pk).check_password("a brand new passphrase")


def test_forms_are_throttled_per_client(client, inbox, settings):  # noqa: F811
    settings.PAPERTIDE_ACCOUNT_RATE = 3
    for _ in range(3):
        assert client.post("/accounts/login/", {"username": "x", "password": "y"}).status_code == 200
    blocked = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert blocked.status_code == 429 and "Too many attempts" in blocked.content.decode()
    assert client.get("/accounts/login/").status_code == 200  # looking is never limited
    # another form keeps its own budget
    assert sign_up(client).status_code == 200


def test_logout_needs_a_post(client, reader):
    client.login(username=reader.username, password=PASSWORD)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get(f"/users/{reader.username}/").status_code == 200
    assert "_auth_user_id" in client.session


def test_profile_lists_submissions_and_escapes_names(client):
    from tests.search_data import import_sample

    paper = import_sample(1, embed=False)[0]
    # The sign-up form allows letters, digits and @.+-_ only; an account made otherwise is still escaped.
    user = person("<b>eve", "eve@example.org")
    DailyEntry.objects.create(paper=paper, day=paper.listed_on, submitted_by=user)
    page = client.get("/users/%3Cb%3Eeve/").content.decode()
    assert "&lt;b&gt;eve" in page and "<b>eve" not in page
    assert paper.title_display in page
    assert client.get("/users/nobody/").status_code == 404


def test_every_form_carries_a_csrf_token(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    for url in ("/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"):
        assert "csrfmiddlewaretoken" in client.get(url).content.decode()
        assert strict.post(url, {}).status_code == 403
