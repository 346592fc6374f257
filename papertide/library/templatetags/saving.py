"""The save and read buttons, built in Python like the upvote button (community/templatetags/upvotes.py):
a list page shows fifty of them, and as included templates they would cost more than the rest of the page.
library.js sends them without a reload; without it they are plain forms that come back to the page."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from papertide.library import saving
from papertide.library.models import ReadMark

register = template.Library()


def _page(context) -> dict:
    """Resolved once per page, not per button: the user and the CSRF token are lazy objects."""
    page = context.render_context.get("library_buttons")
    if page is None:
        request = context["request"]
        signed_in = request.user.is_authenticated
        page = context.render_context["library_buttons"] = {
            "signed_in": signed_in,
            "path": request.get_full_path(),
            "token": str(context.get("csrf_token", "")) if signed_in else "",  # signed out: no CSRF cookie
        }
    return page


def _toggle(page, css: str, action: str, arxiv_id: str, field: str, on: bool, on_text: str, off_text: str):
    return format_html(
        '<form class="{}" method="post" action="{}" data-paper="{}">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="{}" value="{}"><input type="hidden" name="next" value="{}">'
        '<button type="submit" class="{}" aria-pressed="{}" data-on="{}" data-off="{}">{}</button></form>',
        css,
        action,
        arxiv_id,
        page["token"],
        field,
        "0" if on else "1",
        page["path"],
        "on" if on else "",
        "true" if on else "false",
        on_text,
        off_text,
        on_text if on else off_text,
    )


@register.simple_tag(takes_context=True)
def save_button(context, arxiv_id: str, paper_id: int, choose: bool = True) -> str:
    """Signed in: a form that saves the paper to the reading list or takes it out ("Saved"), and a
    "Save to…" link to choose collections (choose=False leaves it out). Signed out: a form to the log-in
    page and back, with no CSRF token, so the page is the same for every anonymous visitor."""
    page = _page(context)
    if not page["signed_in"]:
        return format_html(
            '<form class="save" method="get" action="{}"><input type="hidden" name="next" value="{}">'
            '<button type="submit" aria-pressed="false" title="log in to save">Save</button></form>',
            reverse("login"),
            page["path"],
        )
    button = _toggle(
        page,
        "save",
        reverse("save", args=[arxiv_id]),
        arxiv_id,
        "saved",
        paper_id in context.get("saved_papers", ()),
        "Saved",
        "Save",
    )
    if not choose:
        return button
    return format_html(
        '{} <a class="save-to" href="{}?{}">Save to…</a>',
        button,
        reverse("save-to", args=[arxiv_id]),
        urlencode({"next": page["path"]}),
    )


@register.simple_tag(takes_context=True)
def read_button(context, arxiv_id: str, paper_id: int, read) -> str:
    """Mark as read, or unread again; `read` is the set of the page's papers the reader has read."""
    page = _page(context)
    if not page["signed_in"]:
        return ""
    on = paper_id in read
    return _toggle(
        page, "read-mark", reverse("mark-read", args=[arxiv_id]), arxiv_id, "read", on, "Read ✓", "Mark read"
    )


@register.inclusion_tag("library/paper_controls.html", takes_context=True)
def paper_library(context, paper) -> dict:
    """The paper page's controls: save, read, and the choice of collections. Two queries for a reader,
    none for an anonymous visitor (pages/papers.py stays as it was)."""
    request = context["request"]
    found = {"request": request, "paper": paper, "csrf_token": context.get("csrf_token")}
    if not request.user.is_authenticated:
        return found
    collections = saving.collections_with(request.user, paper)
    read = ReadMark.objects.filter(user=request.user, paper=paper).exists()
    return {
        **found,
        "collections": collections,
        "read": {paper.pk} if read else set(),
        "saved_papers": {paper.pk} if any(c.is_reading_list and c.has for c in collections) else set(),
    }
