"""A dispatch worker whose file channel is slow, for the kill tests (run as a script).

Usage: python dispatch_slow_worker.py DB_URL HOME OUT_DIR LEASE_SECONDS [MODE]
MODE `mid` (default): the batch is written one line at a time with sleeps around each, so a
SIGKILL lands mid-batch, between the claim and some writes. MODE `after`: the whole batch
is written at once, then the channel hangs before handing back, so a SIGKILL lands after
every message went out but before the outcome transaction commits.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from faircollect.bootstrap import build_app
from faircollect.config import Secret, Settings
from faircollect.dispatch.channels.base import SendError, SendResult
from faircollect.dispatch.channels.file import FileChannel
from faircollect.dispatch.message import Delivery
from faircollect.dispatch.worker import Worker, WorkerOptions


class SlowFileChannel(FileChannel):
    """A file channel that takes its time around each line of a batch."""

    def send_batch(self, deliveries: Sequence[Delivery]) -> list[SendResult | SendError]:
        out: list[SendResult | SendError] = []
        for delivery in deliveries:
            time.sleep(0.15)
            out.extend(super().send_batch([delivery]))
            time.sleep(0.15)
        return out


class HangingFileChannel(FileChannel):
    """A file channel that writes the batch, then never returns (until killed)."""

    def send_batch(self, deliveries: Sequence[Delivery]) -> list[SendResult | SendError]:
        out = super().send_batch(deliveries)
        print("written", flush=True)
        time.sleep(600)
        return out


def main() -> None:
    db_url, home, out_dir, lease = sys.argv[1:5]
    mode = sys.argv[5] if len(sys.argv) > 5 else "mid"
    app = build_app(Settings(home=Path(home), database_url=Secret(db_url)))
    kind = SlowFileChannel if mode == "mid" else HangingFileChannel
    channel = kind(Path(out_dir))
    options = WorkerOptions(worker_id="slow", batch=100, lease=timedelta(seconds=float(lease)))
    print("ready", flush=True)
    Worker(app.store, app.vault, channel, options).run(until_empty=True)


if __name__ == "__main__":
    main()
