from django import template

from papertide.search.highlight import highlight

register = template.Library()


@register.simple_tag
def highlighted(text, query):
    return highlight(text or "", query or "")


@register.filter
def percent(value):
    return f"{round(float(value) * 100)}%"
