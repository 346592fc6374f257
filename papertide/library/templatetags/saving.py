"""The save and read buttons, built in Python like the upvote button (community/templatetags/upvotes.py):
a list page shows fifty of them, and as included templates they would cost more than the rest of the page.
library.js sends them without a reload; without it they are plain forms that come back to the page."""

from html import escape
from urllib.parse import quote

from django import template
from django.utils.safestring import SafeString, mark_safe

from papertide.catalog.paper_urls import paper_url
from papertide.community.templatetags.upvotes import page_of
from papertide.library import saving
from papertide.library.models import ReadMark

register = template.Library()

# Plain strings, not format_html: every value put in is escaped here (see upvotes.py for why).
TOGGLE = (
    '<form class="{css}" method="post" action="{action}" data-paper="{paper}">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    '<input type="hidden" name="{field}" value="{value}"><input type="hidden" name="next" value="{path}">'
    '<button type="submit" class="{state}" aria-pressed="{pressed}" data-on="{on_text}"'
    ' data-off="{off_text}">{text}</button></form>'
)
SAVE_SIGNED_OUT = (
    '<form class="save" method="get" action="{login}"><input type="hidden" name="next" value="{path}">'
    '<button type="submit" aria-pressed="false" title="log in to save">Save</button></form>'
)
SAVE_TO = '{button} <a class="save-to" href="{url}?next={next}">Save to…</a>'


def _toggle(page, css: str, url_name: str, arxiv_id: str, field: str, on: bool, on_text: str, off_text: str):
    return TOGGLE.format(
        css=css,
        action=escape(paper_url(url_name, arxiv_id)),
        paper=escape(arxiv_id),
        token=page["token"],
        field=field,
        value="0" if on else "1",
        path=page["path"],
        state="on" if on else "",
        pressed="true" if on else "false",
        on_text=on_text,
        off_text=off_text,
        text=on_text if on else off_text,
    )


@register.simple_tag(takes_context=True)
def save_button(context, arxiv_id: str, paper_id: int, choose: bool = True) -> SafeString:
    """Signed in: a form that saves the paper to the reading list or takes it out ("Saved"), and a
    "Save to…" link to choose collections (choose=False leaves it out). Signed out: a form to the log-in
    page and back, with no CSRF token, so the page is the same for every anonymous visitor."""
    page = page_of(context)
    if not page["signed_in"]:
        return mark_safe(SAVE_SIGNED_OUT.format(login=page["login"], path=page["path"]))
    on = paper_id in context.get("saved_papers", ())
    button = _toggle(page, "save", "save", arxiv_id, "saved", on, "Saved", "Save")
    if not choose:
        return mark_safe(button)
    if "next_query" not in page:  # the page's path as a query value, once per page
        page["next_query"] = escape(quote(context["request"].get_full_path(), safe=""))
    return mark_safe(
        SAVE_TO.format(button=button, url=escape(paper_url("save-to", arxiv_id)), next=page["next_query"])
    )


@register.simple_tag(takes_context=True)
def read_button(context, arxiv_id: str, paper_id: int, read) -> SafeString:
    """Mark as read, or unread again; `read` is the set of the page's papers the reader has read."""
    page = page_of(context)
    if not page["signed_in"]:
        return mark_safe("")
    on = paper_id in read
    return mark_safe(_toggle(page, "read-mark", "mark-read", arxiv_id, "read", on, "Read ✓", "Mark read"))


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
