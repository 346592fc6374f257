"""Counts of the catalog for pages, remembered per process for a minute.

Counting a million papers took 450 ms in PostgreSQL (a scan of the table: no index holds only the real,
non-synthetic papers), and the paper list and the search page counted on every view. The numbers they
show (pages, papers embedded) may lag the catalog by up to COUNT_SECONDS; commands count exactly.
"""

import threading
import time
from collections.abc import Callable

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_SECONDS = 60.0
_lock = threading.Lock()
_counts: dict[str, tuple[float, int]] = {}


def remembered(key: str, count: Callable[[], int]) -> int:
    """count(), or the value it gave for this key less than COUNT_SECONDS ago in this process."""
    now = time.monotonic()
    with _lock:
        hit = _counts.get(key)
    if hit is not None and now - hit[0] < COUNT_SECONDS:
        return hit[1]
    value = count()
    with _lock:
        _counts[key] = (now, value)
    return value


def forget() -> None:
    with _lock:
        _counts.clear()


class RememberedCountPaginator(Paginator):
    """A Paginator whose total comes from remembered(): one count a minute per list, not per view."""

    def __init__(self, object_list, per_page, count_key: str, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self) -> int:
        return remembered(self.count_key, lambda: Paginator.count.func(self))
