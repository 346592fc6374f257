"""Running code in several threads at once, each with its own database connection."""

import threading


def at_once(work, times: int) -> list[Exception]:
    """Call work(i) in `times` threads released together; return the exceptions they raised."""
    barrier = threading.Barrier(times)
    errors: list[Exception] = []

    def run(i):
        from django.db import connections

        try:
            barrier.wait()
            work(i)
        except Exception as exc:  # noqa: BLE001 (returned to the test)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
