"""Counts of the catalog for pages, remembered per process for a minute.

Counting a million papers took 450 ms in PostgreSQL (a scan of the table: no index holds only the real,
non-synthetic papers), and the paper list and the search page counted on every view. The numbers they
show (pages, papers embedded) may lag the catalog by up to COUNT_SECONDS; commands count exactly.
"""

from collections.abc import Callable

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from papertide.caches import ProcessCache

COUNT_SECONDS = 60.0
COUNTS = ProcessCache("catalog counts", ttl=COUNT_SECONDS)


def remembered(key: str, count: Callable[[], int]) -> int:
    """count(), or the value it gave for this key less than COUNT_SECONDS ago in this process."""
    return COUNTS.get(key, count)


class RememberedCountPaginator(Paginator):
    """A Paginator whose total comes from remembered(): one count a minute per list, not per view."""

    def __init__(self, object_list, per_page, count_key: str, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self) -> int:
        return remembered(self.count_key, lambda: Paginator.count.func(self))  # type: ignore[attr-defined]
