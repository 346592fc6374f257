from ninja import NinjaAPI

from . import daily, errors, library, search, writes

api = NinjaAPI(title="papertide API", version="1", urls_namespace="api")
errors.install(api)
api.add_router("", search.router)  # before daily: /papers/search is not a paper id
api.add_router("", writes.router)  # before daily: /papers/{id} would take /papers/{id}/upvote
api.add_router("", daily.router)
api.add_router("", library.router)  # /me/...: the reader's own library
