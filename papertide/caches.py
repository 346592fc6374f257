"""Per-process caches, one mechanism for all of them: values by key, a time to live, a generation, a reset.

A web process remembers a few things it would otherwise ask the database on every request (catalog
counts, the trending ranking, the search vectors, word frequencies). Each such memory is a ProcessCache;
every ProcessCache is registered here, so that tests (whose database starts empty each time) forget them
all with one call to reset_all(). Values are computed outside the lock: two threads that miss at once may
both compute, and the later result is kept, which is cheaper than making every reader wait.
"""

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

_registry: list["ProcessCache"] = []


class ProcessCache:
    """Values by key, each kept `ttl` seconds (None: until reset) by `clock`; at most `max_entries` of
    them (None: no bound), the one stored longest ago going first.

    `generation` moves on each time a value is stored, so a derived cache (a rendered fragment) can be
    keyed by it. The clock is a setting of the cache: time.monotonic by default, time.time where the
    value depends on the wall clock (and tests travel in time).
    """

    def __init__(
        self,
        name: str,
        ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int | None = None,
    ):
        self.name, self.ttl, self.clock, self.max_entries = name, ttl, clock, max_entries
        self.generation = 0
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        _registry.append(self)

    def __repr__(self) -> str:
        return f"<ProcessCache {self.name} ttl={self.ttl} entries={len(self._entries)}>"

    def _fresh(self, key: Hashable, now: float) -> tuple[bool, Any]:
        with self._lock:
            hit = self._entries.get(key)
        if hit is None:
            return False, None
        stored_at, value = hit
        # A clock that went backwards (a test travelling in time) makes the value stale, not eternal.
        return self.ttl is None or 0 <= now - stored_at < self.ttl, value

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value for key, computed (and stored) when missing or older than the time to live."""
        now = self.clock()
        fresh, value = self._fresh(key, now)
        if fresh:
            return value
        value = compute()
        self.set(key, value, now)
        return value

    def current(self, key: Hashable, state: Hashable, compute: Callable[[], Any]) -> Any:
        """The value computed for key while the world was in `state` (what it depends on, read cheaply on
        each request), computed again when the state moved on or the time to live passed."""
        kept = self.get(key, lambda: (state, compute()))
        if kept[0] != state:
            kept = (state, compute())
            self.set(key, kept)
        return kept[1]

    def peek(self, key: Hashable, default: Any = None) -> Any:
        """The stored value, fresh or not, without computing anything."""
        with self._lock:
            hit = self._entries.get(key)
        return default if hit is None else hit[1]

    def set(self, key: Hashable, value: Any, now: float | None = None) -> None:
        with self._lock:
            self._entries.pop(key, None)  # stored again at the end: the order is the order of storing
            self._entries[key] = (self.clock() if now is None else now, value)
            if self.max_entries is not None and len(self._entries) > self.max_entries:
                # Keys a visitor chooses (a daily list's day) must not grow a process without bound.
                del self._entries[next(iter(self._entries))]
            self.generation += 1

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def reset(self) -> None:
        """Forget every value. The generation keeps counting, so keys derived from it never repeat."""
        with self._lock:
            self._entries.clear()
            self.generation += 1


def reset_all() -> None:
    """Forget every per-process cache (tests call this before each test)."""
    for cache in _registry:
        cache.reset()


def registered() -> list[ProcessCache]:
    return list(_registry)
