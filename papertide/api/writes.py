"""Write endpoints for scripts: submit to the daily list and upvote, with a personal token
(Authorization: Bearer pt_...), limited per token (PAPERTIDE_TOKEN_RATE writes an hour)."""

from django.shortcuts import get_object_or_404
from ninja import Path, Router, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer
from pydantic import Field

from papertide.accounts.models import ApiToken
from papertide.accounts.throttle import spend_token_write
from papertide.catalog.ids import InvalidArxivId, parse_arxiv_id
from papertide.catalog.models import Paper
from papertide.community import services
from papertide.community.models import Vote

from .errors import answers
from .params import ID_CHARS, ID_DESCRIPTION, JsonBody


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = ApiToken.user_for(token)
        if found is None:
            return None
        spend_token_write(found.pk)  # Throttled: a 429 in the API's error shape (errors.py)
        request.user = found.user
        return found


# Before the daily router: its /papers/{id} would otherwise take /papers/{id}/upvote.
router = Router(tags=["writes"], auth=TokenAuth())


class VoteBody(JsonBody):
    vote: bool = Field(True, description="true to upvote, false to withdraw the upvote")


class Voted(Schema):
    paper: str = Field(description="the arXiv id")
    upvotes: int = Field(description="votes here plus imported Hugging Face upvotes, as every view shows")
    votes: int = Field(description="votes cast here")
    imported: int = Field(description="upvotes imported from Hugging Face")
    voted: bool = Field(description="whether the token's owner upvotes the paper now")


@router.post(
    "/papers/{path:arxiv_id}/upvote",
    summary="Upvote a paper (or withdraw it with vote=false)",
    **answers(Voted, 400, 401, 404, 429),
)
def upvote(
    request, body: VoteBody, arxiv_id: str = Path(..., max_length=ID_CHARS, description=ID_DESCRIPTION)
):
    try:
        arxiv_id = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId as exc:
        raise HttpError(400, str(exc)) from None
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    services.set_vote(request.user, paper, up=body.vote)
    counted = Paper.objects.with_votes().get(pk=paper.pk)
    voted = Vote.objects.filter(user=request.user, paper=paper).exists()
    return {
        "paper": arxiv_id,
        "upvotes": counted.upvotes,
        "votes": counted.local_votes,
        "imported": counted.imported_votes,
        "voted": voted,
    }
