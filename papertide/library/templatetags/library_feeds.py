"""{% private_feeds user as feeds %}: the (label, address) pairs of a reader's private feeds
(library.private_feeds.feed_urls), absolute from the page's request."""

from django import template

from papertide.library.private_feeds import feed_urls

register = template.Library()


@register.simple_tag(takes_context=True)
def private_feeds(context, user) -> list[tuple[str, str]]:
    if not user.is_authenticated:  # nobody's: no feeds (and no key made)
        return []
    return feed_urls(user, context.get("request"))
