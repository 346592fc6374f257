"""The upvote button, built in Python: a list page shows fifty of them, and as an included template
they cost more than the rest of the page."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def upvote_button(context, arxiv_id: str, paper_id: int, count: int, local: int, imported: int, voted) -> str:
    """Signed in: a POST form that toggles the vote (upvote.js sends it without a reload). Signed out: a
    form to the log-in page and back, with no CSRF token, so the page is the same for every visitor."""
    request = context["request"]
    # Resolved once per page, not per button: the user and the token are lazy objects.
    page = context.render_context.get("upvote_button")
    if page is None:
        signed_in = request.user.is_authenticated
        page = context.render_context["upvote_button"] = {
            "signed_in": signed_in,
            "path": request.get_full_path(),
            "token": str(context.get("csrf_token", "")) if signed_in else "",  # signed out: no CSRF cookie
        }
    if not page["signed_in"]:
        return format_html(
            '<form class="upvote" method="get" action="{}"><input type="hidden" name="next" value="{}">'
            '<button type="submit" aria-pressed="false"'
            ' title="log in to upvote ({} here + {} on Hugging Face)">'
            '▲ <span class="count">{}</span></button></form>',
            reverse("login"),
            page["path"],
            local,
            imported,
            count,
        )
    on = paper_id in voted
    return format_html(
        '<form class="upvote" method="post" action="{}">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="vote" value="{}"><input type="hidden" name="next" value="{}">'
        '<button type="submit" class="{}" aria-pressed="{}" title="{}">'
        '▲ <span class="count">{}</span></button></form>',
        reverse("upvote", args=[arxiv_id]),
        page["token"],  # one token a page: masking one costs 50 µs
        "0" if on else "1",
        page["path"],
        "voted" if on else "",
        "true" if on else "false",
        f"{local} here + {imported} on Hugging Face" if imported else "upvote",
        count,
    )
