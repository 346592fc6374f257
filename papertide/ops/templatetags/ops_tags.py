from django import template
from django.utils import timezone

from papertide.ops.status import age

register = template.Library()


@register.filter
def ago(when) -> str:
    """How long ago `when` was ("12 min"), or "never"."""
    return age(timezone.now() - when) if when else "never"
