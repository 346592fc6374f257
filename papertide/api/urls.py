from ninja import NinjaAPI

from . import errors, search

api = NinjaAPI(title="papertide API", version="1", urls_namespace="api")
errors.install(api)
api.add_router("", search.router)
