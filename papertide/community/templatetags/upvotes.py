"""The upvote button, built in Python from plain strings: a list page shows fifty of them, and as an
included template (or with format_html, which escapes each argument through Django's lazy machinery)
they cost more than the rest of the page. Every value put in is escaped here or is an integer."""

from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from papertide.catalog.paper_urls import paper_url

register = template.Library()

SIGNED_OUT = (
    '<form class="upvote" method="get" action="{login}"><input type="hidden" name="next" value="{path}">'
    '<button type="submit" aria-pressed="false" title="log in to upvote ({local} here + {imported} on Hugging'
    ' Face)">▲ <span class="count">{count}</span></button></form>'
)
SIGNED_IN = (
    '<form class="upvote" method="post" action="{action}">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    '<input type="hidden" name="vote" value="{vote}"><input type="hidden" name="next" value="{path}">'
    '<button type="submit" class="{css}" aria-pressed="{pressed}" title="{title}">'
    '▲ <span class="count">{count}</span></button></form>'
)


def page_of(context) -> dict:
    """What every button of a page shares, resolved and escaped once per page: the user and the CSRF
    token are lazy objects, and the path is the same for every row. Signed out, no CSRF token, so the page
    is the same for every visitor (and sets no cookie)."""
    page = context.render_context.get("page_buttons")
    if page is None:
        request = context["request"]
        signed_in = request.user.is_authenticated
        page = context.render_context["page_buttons"] = {
            "signed_in": signed_in,
            "path": escape(request.get_full_path()),
            "token": escape(str(context.get("csrf_token", ""))) if signed_in else "",
            "login": escape(reverse("login")),
        }
    return page


@register.simple_tag(takes_context=True)
def upvote_button(
    context, arxiv_id: str, paper_id: int, count: int, local: int, imported: int, voted
) -> SafeString:
    """Signed in: a POST form that toggles the vote (upvote.js sends it without a reload). Signed out: a
    form to the log-in page and back."""
    page = page_of(context)
    counts = {"count": int(count), "local": int(local), "imported": int(imported)}
    if not page["signed_in"]:
        return mark_safe(SIGNED_OUT.format(login=page["login"], path=page["path"], **counts))
    on = paper_id in voted
    return mark_safe(
        SIGNED_IN.format(
            action=escape(paper_url("upvote", arxiv_id)),
            token=page["token"],  # one token a page: masking one costs 50 µs
            vote="0" if on else "1",
            path=page["path"],
            css="voted" if on else "",
            pressed="true" if on else "false",
            title=f"{counts['local']} here + {counts['imported']} on Hugging Face" if imported else "upvote",
            count=counts["count"],
        )
    )
