"""A worker killed (SIGKILL) mid-batch, or after sending a batch but before recording it,
sends nothing twice; the next worker finishes the job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from dispatch_seed import audit_actions, enqueue_many, seed_borrower
from sqlalchemy import select

from faircollect.dispatch.channels import open_channel
from faircollect.dispatch.outbox import counts
from faircollect.dispatch.worker import Worker, WorkerOptions
from faircollect.store.tables.dispatch import contact_history

HERE = Path(__file__).parent
COUNT = 20
LEASE = 3.0


def _sent_ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(x)["message_id"] for x in path.read_text().splitlines() if x.strip()]


def _start(settings: Any, out: Path, mode: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), *sys.path]))
    return subprocess.Popen(
        [
            sys.executable,
            str(HERE / "dispatch_slow_worker.py"),
            settings.database_url.value,
            str(settings.home),
            str(out),
            str(LEASE),
            mode,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _kill_when(proc: subprocess.Popen[bytes], out: Path, lines: int) -> None:
    """SIGKILL the worker once `lines` lines are in the file."""
    try:
        deadline = time.monotonic() + 60
        while len(_sent_ids(out / "messages.jsonl")) < lines and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def _finish_and_check(app: Any, settings: Any, out: Path, ids: list[str]) -> Any:
    """Run a second worker after the lease ran out; every message written exactly once."""
    time.sleep(LEASE + 0.2)  # let the dead worker's lease run out
    channel = open_channel(f"file:{out}", home=settings.home)
    try:
        stats = Worker(app.store, app.vault, channel, WorkerOptions(worker_id="second")).run(
            until_empty=True
        )
    finally:
        channel.close()
    sent = _sent_ids(out / "messages.jsonl")
    assert Counter(sent).most_common(1)[0][1] == 1  # no message written twice
    assert sorted(sent) == sorted(ids)
    with app.store.read() as conn:
        assert counts(conn) == {"sent": COUNT}
        per_message = Counter(r.message_id for r in conn.execute(select(contact_history)))
    assert set(per_message.values()) == {1} and len(per_message) == COUNT
    return stats


def test_killed_worker_sends_nothing_twice(app: Any, settings: Any, tmp_path: Path) -> None:
    seed_borrower(app)
    ids = enqueue_many(app, COUNT, planned_at=app.store.clock() - timedelta(minutes=1))
    out = tmp_path / "out"
    _kill_when(_start(settings, out, "mid"), out, 5)
    written_before = len(_sent_ids(out / "messages.jsonl"))
    assert 5 <= written_before < COUNT  # killed mid-batch
    with app.store.read() as conn:
        assert counts(conn).get("sending", 0) > 0  # the dead worker's claims are stranded
    stats = _finish_and_check(app, settings, out, ids)
    assert stats.reconciled > 0


def test_worker_killed_after_sending_before_recording(
    app: Any, settings: Any, tmp_path: Path
) -> None:
    seed_borrower(app)
    ids = enqueue_many(app, COUNT, planned_at=app.store.clock() - timedelta(minutes=1))
    out = tmp_path / "out"
    _kill_when(_start(settings, out, "after"), out, COUNT)
    assert len(_sent_ids(out / "messages.jsonl")) == COUNT  # every line went out
    with app.store.read() as conn:
        assert counts(conn) == {"sending": COUNT}  # and none was recorded
    stats = _finish_and_check(app, settings, out, ids)
    assert stats.reconciled == COUNT and stats.sent == 0  # recorded, not resent
    assert audit_actions(app, "message:").count("dispatch.reconciled") == COUNT
