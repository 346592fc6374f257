"""bench/crash_kill.py tells a digest repeated in the documented crash window from one repeated beyond it."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "crash_kill.py"
spec = importlib.util.spec_from_file_location("crash_kill", SCRIPT)
assert spec and spec.loader
crash_kill = importlib.util.module_from_spec(spec)
spec.loader.exec_module(crash_kill)


def received(at: float, message_id: str):
    return crash_kill.Received(at, f"{message_id}@example.org", message_id)


def test_a_repeat_whose_first_copy_was_the_last_before_a_worker_kill_is_in_the_window():
    messages = [received(1.0, "a"), received(2.0, "b"), received(9.0, "b"), received(10.0, "c")]
    assert crash_kill.repeats(messages, worker_kills=[2.05]) == (1, 0)


def test_a_repeat_without_a_worker_kill_after_its_first_copy_is_beyond_the_window():
    messages = [received(1.0, "a"), received(2.0, "a")]
    assert crash_kill.repeats(messages, worker_kills=[0.5]) == (0, 1)
    assert crash_kill.repeats(messages, worker_kills=[]) == (0, 1)


def test_a_repeat_whose_first_copy_was_followed_by_other_messages_before_the_kill_is_beyond_it():
    # The worker went on sending after "a" was accepted: it had recorded "a" as sent, or should have.
    messages = [received(1.0, "a"), received(2.0, "b"), received(8.0, "a")]
    assert crash_kill.repeats(messages, worker_kills=[3.0]) == (0, 1)


def test_three_copies_count_two_repeats():
    messages = [received(1.0, "a"), received(5.0, "a"), received(9.0, "a")]
    assert crash_kill.repeats(messages, worker_kills=[1.5, 5.5]) == (2, 0)
    assert crash_kill.repeats(messages, worker_kills=[1.5]) == (1, 1)
