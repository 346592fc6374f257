"""Comments' Markdown as safe HTML: Python-Markdown renders, nh3 (ammonia) keeps only harmless tags."""

import html as html_module

import markdown as md
import nh3

TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4"}
ATTRIBUTES = {"a": {"href", "title"}}


def render(text: str) -> str:
    try:
        html = md.markdown(text, extensions=["fenced_code"], output_format="html")
    except RecursionError:
        # Python-Markdown parses nested lists recursively: a few hundred levels ("- - - ... x") exhaust the
        # stack, and every page showing the comment failed. Such a comment is shown as its plain text.
        html = "".join(f"<p>{html_module.escape(p)}</p>" for p in text.split("\n\n") if p.strip())
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )
