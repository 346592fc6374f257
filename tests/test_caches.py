"""The one mechanism for per-process caches: time to live, generation, reset."""

from papertide import caches


def test_value_is_computed_once_within_its_time_to_live():
    now = [100.0]
    cache = caches.ProcessCache("test-ttl", ttl=10, clock=lambda: now[0])
    calls = []
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert cache.get("k", compute) == 1
    now[0] += 9.9
    assert cache.get("k", compute) == 1
    now[0] += 0.2
    assert cache.get("k", compute) == 2


def test_a_clock_that_goes_back_makes_the_value_stale():
    now = [100.0]
    cache = caches.ProcessCache("test-back", ttl=10, clock=lambda: now[0])
    cache.set("k", "old")
    now[0] -= 1
    assert cache.get("k", lambda: "new") == "new"


def test_generation_moves_on_each_store_and_reset():
    cache = caches.ProcessCache("test-generation")
    first = cache.generation
    cache.set("k", 1)
    assert cache.generation == first + 1
    cache.reset()
    assert cache.generation == first + 2
    assert cache.peek("k") is None


def test_reset_all_forgets_every_registered_cache():
    one, two = caches.ProcessCache("test-one"), caches.ProcessCache("test-two")
    one.set("a", 1)
    two.set("b", 2)
    caches.reset_all()
    assert one.peek("a") is None and two.peek("b") is None
    assert one in caches.registered() and two in caches.registered()


def test_the_catalog_counts_are_remembered_for_a_minute_and_forgotten_with_the_others():
    from papertide.catalog import counts

    assert counts.COUNTS in caches.registered() and counts.COUNTS.ttl == 60
    assert counts.remembered("papers:test", lambda: 1) == 1
    assert counts.remembered("papers:test", lambda: 2) == 1
    caches.reset_all()
    assert counts.remembered("papers:test", lambda: 3) == 3
