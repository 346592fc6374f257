"""A real SMTP server (aiosmtpd) on a loopback port, receiving what papertide sends."""

import email
import socket
from contextlib import contextmanager
from email.message import Message

import pytest


class Inbox:
    def __init__(self):
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(handler, settings=None):
    """An SMTP server on a free loopback port with this handler; with settings, Django sends to it."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    if settings is not None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def inbox(settings):
    handler = Inbox()
    with serving(handler, settings):
        yield handler


def body(message: Message, kind: str = "plain") -> str:
    for part in message.walk():
        if part.get_content_type() == f"text/{kind}":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no text/{kind} part")
