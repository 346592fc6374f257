"""An operator never meets a 500 that left no trace, and a visitor whose mail the server refused is told
so (503), with nothing left half-done: asking again works. A real SMTP server refuses the transaction."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from papertide.digests.models import Subscription
from tests.smtp import Inbox, serving

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


class Refusing:
    """An SMTP server that refuses every message at the end of DATA, as a full or strict server does."""

    def __init__(self):
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        self.refused += 1
        return "554 5.7.1 Message refused"


SIGN_UP = {"username": "ada", "email": "ada@example.org", "password1": "a quiet lab at night"}
SIGN_UP["password2"] = SIGN_UP["password1"]
SUBSCRIBE = {"email": "ada@example.org", "frequency": "daily", "hour": 8, "time_zone": "UTC", "top_n": 3}


def refused_then_delivered(settings, caplog, ask):
    """Ask once while the mail server refuses, then again while it delivers; return both answers and the
    delivered messages."""
    refusing = Refusing()
    with caplog.at_level(logging.ERROR, logger="papertide.mail"), serving(refusing, settings):
        refused = ask()
    assert refusing.refused == 1
    [record] = [r for r in caplog.records if r.name == "papertide.mail"]
    assert "could not send" in record.getMessage() and record.exc_info  # logged with its traceback
    inbox = Inbox()
    with serving(inbox, settings):
        delivered = ask()
    return refused, delivered, inbox.messages


def test_a_refused_confirmation_mail_is_a_503_and_signing_up_again_works(client, settings, caplog):
    refused, delivered, messages = refused_then_delivered(
        settings, caplog, lambda: client.post("/accounts/signup/", SIGN_UP)
    )
    assert refused.status_code == 503 and refused["Retry-After"]
    assert "could not be sent" in refused.content.decode()
    assert delivered.status_code == 200 and "Check your e-mail" in delivered.content.decode()
    assert [m["To"] for m in messages] == ["ada@example.org"]
    assert User.objects.filter(username="ada").count() == 1


def test_a_refused_digest_confirmation_is_a_503_and_subscribing_again_works(client, settings, caplog):
    refused, delivered, messages = refused_then_delivered(
        settings, caplog, lambda: client.post("/digests/", SUBSCRIBE)
    )
    assert refused.status_code == 503
    assert delivered.status_code == 200 and "Check your e-mail" in delivered.content.decode()
    assert [m["Subject"] for m in messages] == ["Confirm your papertide digest"]
    assert Subscription.objects.filter(email="ada@example.org").count() == 1


def test_a_refused_password_reset_mail_is_a_503_and_asking_again_works(client, settings, caplog, reader):
    refused, delivered, messages = refused_then_delivered(
        settings, caplog, lambda: client.post("/accounts/password/reset/", {"email": reader.email})
    )
    assert refused.status_code == 503
    assert delivered.status_code == 302
    assert [m["Subject"] for m in messages] == ["Reset your papertide password"]


# The web process's logging as configured by settings, in a process of its own: a view that raises.
FORCED_500 = """
import django
django.setup()
from django.test import Client
from papertide.pages import papers

def broken(request):
    raise RuntimeError("the catalog fell over")

papers.paper_list = broken  # before the first request imports the URL map
answer = Client(raise_request_exception=False).get("/", HTTP_HOST="localhost")
print("status", answer.status_code)
"""


def test_a_server_error_is_logged_with_its_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERTIDE_", "DATABASE_URL"))}
    env.update(PAPERTIDE_HOME=str(tmp_path), PYTHONPATH=str(ROOT))
    env["DJANGO_SETTINGS_MODULE"] = "papertide.settings"
    run = subprocess.run(
        [sys.executable, "-c", FORCED_500], env=env, capture_output=True, text=True, timeout=120
    )
    assert "status 500" in run.stdout, run.stderr
    assert "ERROR django.request" in run.stderr and "Internal Server Error: /" in run.stderr
    assert "Traceback (most recent call last)" in run.stderr
    assert "RuntimeError: the catalog fell over" in run.stderr
