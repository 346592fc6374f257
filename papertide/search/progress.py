"""Progress of a long embedding run as lines of text, for output that is not a terminal.

tqdm's bar turns itself off when its output is a log file or a service manager's journal, and then
nothing showed that `papertide embed` or the worker was working. Progress writes a line (papers done,
rate, time left) when EVERY seconds have passed since the last one, and a last one when the run ends.
"""

import time
from collections.abc import Callable

EVERY = 60.0  # seconds between two lines: the issue asks for at least one a minute


def duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


class Progress:
    """Call update(n) after each batch; lines go to write(). `total` may be a function that counts what
    is left: it is asked once, for the first line (a count a short run never needs)."""

    def __init__(
        self,
        total: int | Callable[[], int] | None,
        write: Callable[[str], None],
        what: str = "papers embedded",
        every: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.total, self.write, self.what, self.clock = total, write, what, clock
        self.every = EVERY if every is None else every
        self.done = 0
        self.started = self.last = clock()

    def line(self) -> str:
        if callable(self.total):
            self.total = self.done + self.total()
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.done:,}" + (f" of {self.total:,}" if self.total else "") + f" {self.what}"
        text += f", {rate:.1f}/s"
        if self.total and rate > 0 and self.done < self.total:
            text += f", about {duration((self.total - self.done) / rate)} left"
        return text + f" ({duration(elapsed)} so far)"

    def update(self, n: int) -> None:
        self.done += n
        if self.clock() - self.last >= self.every:
            self.last = self.clock()
            self.write(self.line())

    def close(self) -> None:
        """A last line, when the run wrote at least one before (a short run needs none)."""
        if self.last != self.started and self.done:
            self.write(self.line())
