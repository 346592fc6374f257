"""Every e-mail papertide sends is built by build(): a template trio, emails/<name>-subject.txt,
-body.txt and -body.html, rendered with the site's name, as one message with a plain-text and an HTML part.

A message that carries an unsubscribe link gets it as the List-Unsubscribe header too, with
List-Unsubscribe-Post, so mail providers can offer one-click unsubscribing (RFC 8058). send() builds and
sends at once; a sender that keeps its own SMTP connection (the digest outbox) builds and sends itself.
"""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.shortcuts import render
from django.template.loader import render_to_string

log = logging.getLogger("papertide.mail")

PARTS = ("subject.txt", "body.txt", "body.html")


def templates(name: str) -> list[str]:
    """The trio of template names of e-mail `name`."""
    return [f"emails/{name}-{part}" for part in PARTS]


def build(
    name: str,
    to: str,
    context: dict,
    *,
    unsubscribe: str | None = None,
    headers: dict | None = None,
) -> EmailMultiAlternatives:
    """E-mail `name` to one address. `unsubscribe`, an absolute signed link, becomes both the context's
    `unsubscribe` and the RFC 8058 headers; `headers` are added as they are (Message-ID, List-Id...)."""
    context = {"site_name": settings.SITE_NAME, **context}
    extra = dict(headers or {})
    if unsubscribe:
        context["unsubscribe"] = unsubscribe
        extra["List-Unsubscribe"] = f"<{unsubscribe}>"
        extra["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    subject_template, text_template, html_template = templates(name)
    # A subject is one line whatever the template's line breaks (a header cannot hold a newline).
    subject = " ".join(render_to_string(subject_template, context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(text_template, context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=extra,
    )
    message.attach_alternative(render_to_string(html_template, context), "text/html")
    return message


class MailNotSent(Exception):
    """The mail server refused the message or could not be reached; the failure is logged already."""


def send(name: str, to: str, context: dict, **options) -> None:
    """Build e-mail `name` (options as for build()) and send it through the configured mail backend.

    Raises MailNotSent when the server refuses or cannot be reached, after logging why with the traceback:
    the caller undoes what it did for this mail, and answers with not_sent_page()."""
    try:
        build(name, to, context, **options).send()
    except (smtplib.SMTPException, OSError) as exc:
        log.exception("could not send the %s mail to %s", name, to)
        raise MailNotSent(str(exc)) from exc


def not_sent_page(request):
    """The visitor's answer when their mail could not be sent: 503, try again later."""
    response = render(request, "mail_not_sent.html", status=503)
    response["Retry-After"] = "300"
    return response
