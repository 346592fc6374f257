"""Comments' Markdown as safe HTML: Python-Markdown renders, nh3 (ammonia) keeps only harmless tags."""

import markdown as md
import nh3

TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4"}
ATTRIBUTES = {"a": {"href", "title"}}


def render(text: str) -> str:
    html = md.markdown(text, extensions=["fenced_code"], output_format="html")
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )
