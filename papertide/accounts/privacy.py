"""What the instance holds about a person, and what deleting their account does to it (docs/privacy.md).

Accounts is the ground floor and imports no app above it, yet a person's rows live in every app. So each
app that keeps rows about a person registers a `Part` in its AppConfig.ready(): a name, a function that
returns those rows as JSON-ready data for the export, and, where the app's on_delete rules are not the
whole story, a function run just before the account is deleted (community blanks the person's comments).
`export()` assembles the parts; `delete_account()` runs the forgetting, the sessions and the delete in one
transaction, so a failure halfway leaves the account as it was.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from .models import ApiToken

# Bumped when a part's shape changes incompatibly, so that a reader's scripts can tell.
EXPORT_FORMAT = "papertide-export-1"


@dataclass(frozen=True)
class Part:
    name: str
    export: Callable[[Any], Any]
    forget: Callable[[Any], None] | None = None


_parts: dict[str, Part] = {}


def register(name: str, export: Callable[[Any], Any], forget: Callable[[Any], None] | None = None) -> None:
    """Add an app's part of a person's data under `name` (a key of the export). Registering a name again
    replaces it (ready() may run twice in tests)."""
    _parts[name] = Part(name, export, forget)


def parts() -> list[Part]:
    return list(_parts.values())


def iso(moment: date | None) -> str | None:
    """A date or time as ISO 8601, as every part of the export writes them."""
    return moment.isoformat() if moment else None


def profile_of(user) -> dict:
    return {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
        "staff": user.is_staff,
    }


def tokens_of(user) -> list[dict]:
    """Names and dates only: the digest is a hash of a secret, useless to the reader and not to be copied."""
    rows = ApiToken.objects.filter(user=user).order_by("created_at")
    return [{"name": t.name, "created": iso(t.created_at), "last_used": iso(t.last_used_at)} for t in rows]


def _database_sessions() -> bool:
    return settings.SESSION_ENGINE in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    )


def sessions_of(user) -> list[Session]:
    """The stored sessions signed in as this user. A session row names its user only inside its encoded
    data, so every row is decoded: a scan, acceptable for an export or a deletion (expired rows are pruned
    daily by the housekeeping job, so the table holds roughly the sessions of the last two weeks)."""
    if not _database_sessions():
        return []  # signed-cookie or cache sessions: nothing stored here that could be listed
    store = import_module(settings.SESSION_ENGINE).SessionStore
    wanted = str(user.pk)
    found = []
    for session in Session.objects.iterator(chunk_size=500):
        if store().decode(session.session_data).get("_auth_user_id") == wanted:
            found.append(session)
    return found


def forget_admin_log(model, pks) -> None:
    """Delete the admin's history of these rows: each entry keeps the row's str() (a comment's first
    words, a subscription's address, a user's name) after the row itself is gone or blanked."""
    ids = [str(pk) for pk in pks]
    if ids:
        kind = ContentType.objects.get_for_model(model)
        LogEntry.objects.filter(content_type=kind, object_id__in=ids).delete()


def export(user) -> dict:
    """Everything the instance holds about `user`, as one JSON-ready dict."""
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "site": settings.SITE_NAME,
        "exported_at": iso(timezone.now()),
        "profile": profile_of(user),
        "api_tokens": tokens_of(user),
        "sessions": [{"expires": iso(s.expire_date)} for s in sessions_of(user)],
    }
    for part in parts():
        data[part.name] = part.export(user)
    return data


def delete_account(user) -> None:
    """Delete the account. Each app's forget step first (comments lose their text), then the sessions
    signed in as the person, then the User row, whose on_delete rules do the rest: CASCADE for what was
    theirs alone (tokens, library, subscriptions, reports), SET_NULL for what stays without their name
    (votes, still counted; submissions; comments, shown as deleted). The admin's history of these rows
    goes too (forget_admin_log); the history of what a staff member did as staff goes with them
    (LogEntry.user, CASCADE)."""
    # Found before the transaction: on SQLite a write transaction holds the database's one write lock,
    # which the scan of every session need not hold.
    signed_in = [s.session_key for s in sessions_of(user)]
    store = import_module(settings.SESSION_ENGINE).SessionStore
    with transaction.atomic():
        for part in parts():
            if part.forget is not None:
                part.forget(user)
        for key in signed_in:
            store(session_key=key).delete()  # the store's own delete: cached_db forgets its cache too
        forget_admin_log(get_user_model(), [user.pk])
        forget_admin_log(ApiToken, ApiToken.objects.filter(user=user).values_list("pk", flat=True))
        user.delete()
