"""The paper row of every list (newest, daily, trending, search, collections, for-you, sharpen, an
interest's suggestions): one tag, `{% paper_row paper ... %}`, built in Python like the upvote and save
buttons it holds, because a list shows fifty rows and as an included template each row cost about
0.3 ms more (a list page of 25 rows took 3x the CPU time). `paper` comes from community.rows.row_papers:
votes (with_votes), visible comments here and Hugging Face's count apart, code links with repositories.

What a list adds, each optional:
  upvote (+ voted)  the upvote button (daily, trending); `voted` defaults to the page's `voted`
  save, choose      the save button, with "Save to…" when choose
  daily, show_day   a daily entry: who submitted the paper; its day when show_day
  added             when the paper was added to the collection shown
  rec               a recommendation: its why line (library/why.html); rate_interest adds "more / less
                    like this" for that interest (library/rate_buttons.html, with `rated`)
  trend             trending's score breakdown (rows/trend.html)
  hit, q            search's match shares, and the query's words marked in the title and abstract
  owner             a collection's owner: read, save-to and remove buttons (`collection`, `read`, and
                    `interest` for the rate buttons, from the page's context)
  row_class         a class more on the <li>
  body, body_only   the row's body rendered already (trending keeps it per ranking); only the body
keys.js moves between rows (li.paper) and clicks their buttons.
"""

import html

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from papertide.community.templatetags.upvotes import upvote_button
from papertide.search.highlight import highlight

from .saving import read_button, save_button

register = template.Library()


def _urls(context) -> dict:
    """Resolved once per page, not per row."""
    urls = context.render_context.get("paper_rows")
    if urls is None:
        urls = context.render_context["paper_rows"] = {"newest": reverse("papers")}
    return urls


def _text(value: str, q: str) -> SafeString:
    return highlight(value, q) if q else escape(value)


def row_body(
    paper,
    *,
    newest: str,
    daily=None,
    show_day=False,
    added=None,
    rec=None,
    trend=None,
    hit=None,
    q: str = "",
    upvote=False,
) -> SafeString:
    url = paper.get_absolute_url()
    names = paper.authors_preview
    authors = ", ".join(names) + (", et al." if len(paper.authors) > len(names) else "")
    parts = [
        format_html(
            '<div class="row-body"><a class="title" href="{}">{}</a>'
            '<div class="meta"><span class="authors">{}</span></div>',
            url,
            _text(paper.title_display, q),
            authors,
        )
    ]
    if paper.abstract:
        parts.append(format_html('<p class="abstract">{}</p>', _text(paper.abstract_preview, q)))
    meta = [format_html('<span class="id">{}</span>', paper.arxiv_id)]
    if paper.categories:
        meta.append(
            format_html(
                '<span class="categories">{}</span>',
                format_html_join(
                    " ",
                    '<a class="category" href="{}?category={}">{}</a>',
                    ((newest, c, c) for c in paper.categories),
                ),
            )
        )
    code = paper.code_badge
    if code is not None:
        repository = code.repository
        stars = repository.stars if repository is not None else None
        if repository is not None:
            title = f"{repository} on GitHub" + (f": {stars} stars" if stars is not None else "")
        else:
            title = code.get_kind_display()
        meta.append(
            format_html(
                '<a class="code" href="{}" title="{}">code{}</a>',
                code.url,
                title,
                format_html(' <span class="stars">★ {}</span>', stars) if stars is not None else "",
            )
        )
    if not upvote:  # the upvote button shows the count and the split itself
        meta.append(
            format_html(
                '<span class="votes" title="{} here + {} on Hugging Face">▲ {}</span>',
                paper.local_votes,
                paper.imported_votes,
                paper.upvotes,
            )
        )
    here, hub = paper.comment_count, paper.hub_comments
    meta.append(
        format_html(
            '<a class="comment-count" href="{}#comments" title="{} comment{} here{}">{} comment{}{}</a>',
            url,
            here,
            "" if here == 1 else "s",
            f", {hub} on Hugging Face" if hub is not None else "",
            here,
            "" if here == 1 else "s",
            format_html(' <span class="hub-comments">· {} on HF</span>', hub) if hub else "",
        )
    )
    if daily is not None:
        if daily.submitted_by_id:
            name = daily.submitted_by.username
            meta.append(
                format_html(
                    '<span class="submitter">submitted by <a href="{}">{}</a></span>',
                    reverse("profile", args=[name]),
                    name,
                )
            )
        elif daily.source == "huggingface":
            meta.append(mark_safe('<span class="submitter">from Hugging Face daily papers</span>'))
        if show_day:
            meta.append(
                format_html(
                    '<time datetime="{}">{}</time>',
                    daily.day.isoformat(),
                    dateformat.format(daily.day, "j M"),
                )
            )
    elif paper.listed_on:
        meta.append(
            format_html(
                '<time datetime="{}">{}</time>',
                paper.listed_on.isoformat(),
                dateformat.format(paper.listed_on, "j M Y"),
            )
        )
    if added is not None:
        meta.append(
            format_html(
                '<span class="added">added <time datetime="{}">{}</time></span>',
                added.isoformat(),
                dateformat.format(added, "j M Y"),
            )
        )
    if hit is not None:
        meta.append(
            format_html(
                '<span class="why" title="share of the best keyword and meaning match among the candidates">'
                "words {}% · meaning {}%</span>",
                round(float(hit.keyword) * 100),
                round(float(hit.semantic) * 100),
            )
        )
    parts.append(format_html('<div class="meta">{}</div>', mark_safe(" ".join(meta))))
    if rec is not None:
        why = render_to_string("library/why.html", {"rec": rec, "links": True})
        parts.append(format_html('<div class="why">{}</div>', mark_safe(why)))
    if trend is not None:
        parts.append(mark_safe(render_to_string("rows/trend.html", {"trend": trend})))
    parts.append(mark_safe("</div>"))
    return mark_safe("".join(parts))


@register.simple_tag(takes_context=True)
def paper_row(
    context,
    paper,
    upvote=False,
    voted=None,
    save=False,
    choose=False,
    daily=None,
    show_day=False,
    added=None,
    rec=None,
    trend=None,
    hit=None,
    q="",
    owner=False,
    rate_interest=None,
    rated=None,
    row_class="",
    body=None,
    body_only=False,
) -> SafeString:
    if body is None:
        body = row_body(
            paper,
            newest=_urls(context)["newest"],
            daily=daily or None,
            show_day=show_day,
            added=added or None,
            rec=rec or None,
            trend=trend or None,
            hit=hit or None,
            q=q or "",
            upvote=upvote,
        )
    if body_only:
        return body
    # Plain strings for the frame, as for the buttons (community/templatetags/upvotes.py): fifty a page.
    arxiv_id = html.escape(paper.arxiv_id)
    css = html.escape(f" {row_class}") if row_class else ""
    parts: list[str] = [f'<li class="paper{css}" id="paper-{arxiv_id}" data-paper="{arxiv_id}">']
    if upvote:
        mine = voted if voted is not None else context.get("voted", ())
        parts.append(
            upvote_button(
                context,
                paper.arxiv_id,
                paper.pk,
                paper.upvotes,
                paper.local_votes,
                paper.imported_votes,
                mine,
            )
        )
    parts.append(body)
    actions: list[str] = []
    if save:
        actions.append(save_button(context, paper.arxiv_id, paper.pk, bool(choose)))
    if owner:
        collection = context["collection"]
        actions.append(read_button(context, paper.arxiv_id, paper.pk, context.get("read", ())))
        if not collection.is_reading_list:
            actions.append(save_button(context, paper.arxiv_id, paper.pk, False))
        actions.append(
            format_html(
                '<form class="remove" method="post" action="{}">'
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                '<input type="hidden" name="paper" value="{}"><input type="hidden" name="next" value="{}">'
                '<button type="submit">Remove</button></form>',
                reverse("collection-remove", args=[collection.slug]),
                str(context.get("csrf_token", "")),
                paper.arxiv_id,
                context["request"].get_full_path(),
            )
        )
        if context.get("interest"):
            rate_interest = context["interest"]
    if rate_interest:
        rate = {
            "paper": paper,
            "interest": rate_interest,
            "rated": rated,
            "next": context.get("next"),
            "request": context.get("request"),
            "csrf_token": context.get("csrf_token"),
        }
        actions.append(mark_safe(render_to_string("library/rate_buttons.html", rate)))
    if actions:
        parts.append(f'<div class="library-actions">{" ".join(actions)}</div>')
    parts.append("</li>")
    return mark_safe("".join(parts))
