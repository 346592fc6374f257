"""What every page's save buttons need to know: which papers the reader has saved.

A context processor rather than code in each view: the daily and trending views belong to community, a
floor below the library, and may not import it (templates are not imports). Lazy, so a page without
save buttons (or an anonymous visit) costs no query, and a page with fifty costs one."""

from django.utils.functional import SimpleLazyObject

from .saving import saved_ids


def library(request):
    def saved():
        user = getattr(request, "user", None)
        return saved_ids(user) if user is not None and user.is_authenticated else frozenset()

    return {"saved_papers": SimpleLazyObject(saved)}
