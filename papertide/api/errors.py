"""One JSON error shape for the whole API: {"error": message, "status": code}.

`error` is the key Hugging Face's API and huggingface_hub use for the message. Every operation declares
the error statuses it can answer (`answers()`), so that the OpenAPI schema lists them with this shape.
"""

from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import ConfigDict, Field

from papertide.accounts.throttle import Throttled
from papertide.search.engine import SearchError

# What each error status means, wherever the API answers it: the schema's description of that response.
MEANING = {
    400: "Bad request: a parameter or the body is malformed or out of its limits, or the request cannot be "
    "done (the message says which and why)",
    401: "No valid personal token: send `Authorization: Bearer pt_...`",
    404: "Not found: no such paper, collection or interest (the message names it)",
    429: "Too many writes: this token has used its allowance (PAPERTIDE_TOKEN_RATE an hour); wait a while",
}


class ApiError(Schema):
    """The one error shape."""

    model_config = ConfigDict(extra="forbid")  # the schema says so: these two keys, no others

    error: str = Field(description="what went wrong, for a person to read")
    status: int = Field(description="the HTTP status code, again")


def answers(ok, *statuses: int) -> dict:
    """The `response` and `openapi_extra` of an operation that answers `ok` with 200, or ApiError with one
    of `statuses`, each described by MEANING."""
    return {
        "response": {200: ok, **dict.fromkeys(statuses, ApiError)},
        "openapi_extra": {"responses": {status: {"description": MEANING[status]} for status in statuses}},
    }


def error(api: NinjaAPI, request, status: int, message: str):
    return api.create_response(request, {"error": message, "status": status}, status=status)


@csrf_exempt  # no form posts here: a POST to a mistyped route is a 404 too, not the CSRF page's 403
def not_found(request, *args, **kwargs):
    """Any other URL under /api/ (or a path parameter its route cannot take, a newline in an id): the one
    shape too, not the site's HTML page."""
    return JsonResponse({"error": f"no API route {request.path}", "status": 404}, status=404)


def _validation_message(exc) -> str:  # ninja types the handler's argument as the class or an instance
    parts = []
    for item in exc.errors:
        where = ".".join(str(p) for p in item.get("loc", ())[1:]) or "request"
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _throttled(api: NinjaAPI, request, exc):
    response = error(api, request, 429, str(exc))
    response["Retry-After"] = str(exc.retry_after)
    return response


def install(api: NinjaAPI) -> None:
    api.add_exception_handler(ValidationError, lambda r, e: error(api, r, 400, _validation_message(e)))
    api.add_exception_handler(SearchError, lambda r, e: error(api, r, 400, str(e)))
    api.add_exception_handler(Http404, lambda r, e: error(api, r, 404, str(e) or "not found"))
    api.add_exception_handler(AuthenticationError, lambda r, e: error(api, r, 401, "authentication required"))
    api.add_exception_handler(Throttled, lambda r, e: _throttled(api, r, e))
    api.add_exception_handler(HttpError, lambda r, e: error(api, r, e.status_code, str(e)))
