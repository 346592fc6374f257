"""Limits shared by the API's parameters, each defined once and shown in the OpenAPI schema."""

import re
from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

from papertide.community.periods import PATTERNS
from papertide.library.models import Collection

# PostgreSQL's text cannot hold the NUL character: free text carrying one is a 400 on either database.
NO_NUL = r"^[^\x00]*$"
# An arXiv id as people write it (2501.01234, arXiv:2501.01234v2, an arxiv.org URL): parse_arxiv_id
# (catalog/ids.py) has the last word on what is one; this only bounds the text it is given.
ID_CHARS = 200
ID_DESCRIPTION = "an arXiv id (2501.01234, 2501.01234v2, hep-th/9901001), arXiv:... or an arxiv.org URL"
# The largest primary key either database holds (SQLite overflows past it).
MAX_ID = 2**63 - 1
# A collection's slug, as Collection.create makes it (Django's slugify: ASCII letters, digits, - and _).
SLUG = r"^[-a-zA-Z0-9_]+$"
SLUG_CHARS = Collection._meta.get_field("slug").max_length


class JsonBody(BaseModel):
    """A request body: a JSON object whose fields have their JSON types exactly (true, not "yes"). Ninja's
    Schema reads any JSON value as an object, so a body of `[]` or `5` was taken as one with no fields
    (an upvote, with `vote` at its default)."""

    model_config = ConfigDict(strict=True)


def _written_as_a_day(value):
    """Pydantic reads a number ("0.0") as a Unix time and makes a date of it: a day is YYYY-MM-DD only."""
    if isinstance(value, date) or (isinstance(value, str) and re.fullmatch(PATTERNS["day"], value)):
        return value
    raise ValueError("a day is written YYYY-MM-DD")


# A day parameter (the search's from and until): a date, written as the daily list's days are.
Day = Annotated[date, BeforeValidator(_written_as_a_day)]
