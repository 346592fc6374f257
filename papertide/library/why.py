"""A recommendation's why line as a string, for code that needs one (the digest composes its reasons as
strings). Its words are defined once, by the template library/why.html; this renders that template
without autoescaping, so the text and the HTML say the same.

And where a reader changes what an interest recommends (its threshold, whether it is in the digest).
"""

from django.template import Context, Engine
from django.urls import reverse

from .models import Interest
from .recommend import Recommendation


def why_text(rec: Recommendation) -> str:
    """ "for diffusion: 82% match, close to “X” and “Y” that you saved": rec with its papers attached."""
    template = Engine.get_default().get_template("library/why.html")
    return template.render(Context({"rec": rec}, autoescape=False)).strip()


def settings_path(interest: Interest) -> str:
    """The interests page, at this interest."""
    return f"{reverse('interests')}#interest-{interest.pk}"
