"""One JSON error shape for the whole API: {"error": message, "status": code}.

`error` is the key Hugging Face's API and huggingface_hub use for the message.
"""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from papertide.accounts.throttle import Throttled
from papertide.search.engine import SearchError


def error(api: NinjaAPI, request, status: int, message: str):
    return api.create_response(request, {"error": message, "status": status}, status=status)


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
