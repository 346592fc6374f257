"""A digest sender killed (SIGKILL) in the middle of a batch, then restarted: every subscriber still gets
exactly one digest. The sender is the real `papertide digest send` in a subprocess, on its own SQLite
home holding 300 real listing papers, sending to a real SMTP server (aiosmtpd) in this process."""

import gzip
import itertools
import os
import signal
import subprocess
import sys
from collections import Counter

from tests.conftest import data_path
from tests.smtp import Inbox, serving

SUBSCRIBERS = 25
KILL_AT = 8  # the sender dies while the server holds the 8th message, before it accepts it
SETUP = f"""
from datetime import datetime, UTC
from papertide.catalog.models import Paper
from papertide.digests.models import Subscription, SavedSearch
# First seen as the daily harvest after Tuesday 18 March's announcement would have (digests take new papers).
Paper.objects.update(first_seen=datetime(2025, 3, 19, 0, 30, tzinfo=UTC))
for i in range({SUBSCRIBERS}):
    s = Subscription.objects.create(
        email=f"s{{i}}@example.org", top_n=0, confirmed_at=datetime(2025, 3, 18, 12, tzinfo=UTC)
    )
    SavedSearch.objects.create(subscription=s, query="image segmentation")
"""


class KillingInbox(Inbox):
    def __init__(self):
        super().__init__()
        self.sender = None
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.seen == KILL_AT:
            os.kill(self.sender.pid, signal.SIGKILL)
            return "451 4.3.0 the sender is gone anyway"
        return await super().handle_DATA(server, session, envelope)


def test_a_sender_killed_mid_batch_and_restarted_sends_each_digest_once(tmp_path):
    sample = tmp_path / "sample.jsonl"
    with gzip.open(data_path("arxiv/listings-2025-03-to-2026-07.jsonl.gz"), "rt", encoding="utf-8") as f:
        sample.write_text("".join(itertools.islice(f, 300)))
    handler = KillingInbox()
    with serving(handler) as controller:
        status = run_and_kill(handler, controller.port, tmp_path, sample)
    received = Counter(m["To"] for m in handler.messages)
    assert len(received) == SUBSCRIBERS and set(received.values()) == {1}
    assert f"sent {SUBSCRIBERS}" in status
    assert "image segmentation" in handler.messages[0].get_payload()[0].get_payload(decode=True).decode()


def run_and_kill(handler: KillingInbox, port: int, tmp_path, sample) -> str:
    """Kill the first sender mid-batch, restart it before and after its claims run out; the outbox status."""
    env = {k: v for k, v in os.environ.items() if not (k.startswith("PAPERTIDE_") or k == "DATABASE_URL")}
    env.update(
        PAPERTIDE_HOME=str(tmp_path),
        PAPERTIDE_EMAIL_HOST="127.0.0.1",
        PAPERTIDE_EMAIL_PORT=str(port),
        PAPERTIDE_DIGEST_LEASE_SECONDS="30",
    )

    def papertide(*args, **kwargs):
        command = [sys.executable, "-m", "papertide.cli", *args]
        return subprocess.run(
            command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, **kwargs
        )

    for step in (["migrate", "-v0"], ["ingest", "snapshot", str(sample)], ["shell", "-c", SETUP]):
        assert papertide(*step).returncode == 0
    send = [sys.executable, "-m", "papertide.cli", "digest", "send", "--batch-size", "5", "--no-progress"]
    handler.sender = subprocess.Popen(
        [*send, "--now", "2025-03-19T09:00+00:00"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    handler.sender.wait(timeout=300)
    assert handler.sender.returncode == -signal.SIGKILL
    assert len(handler.messages) == KILL_AT - 1

    # Restarted before the dead sender's claims ran out: it sends the rest, not the claimed rows.
    early = papertide("digest", "send", "--no-progress", "--now", "2025-03-19T09:00:10+00:00")
    assert "recovered 0" in early.stdout, early.stdout + early.stderr
    assert len(handler.messages) < SUBSCRIBERS
    # Once the claims have run out, a run takes the dead sender's rows back and sends them.
    late = papertide("digest", "send", "--no-progress", "--now", "2025-03-19T09:05+00:00")
    assert "recovered " in late.stdout and "recovered 0" not in late.stdout, late.stdout
    status = papertide("digest", "status").stdout
    return status
