"""A dispatch worker whose file channel is slow, for the kill test (run as a script).

Usage: python dispatch_slow_worker.py DB_URL HOME OUT_DIR LEASE_SECONDS
It sleeps before and after writing each line, so a SIGKILL can land between the claim and
the write, or between the write and recording the outcome.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

from faircollect.bootstrap import build_app
from faircollect.config import Secret, Settings
from faircollect.dispatch.channels.base import SendResult
from faircollect.dispatch.channels.file import FileChannel
from faircollect.dispatch.message import Delivery
from faircollect.dispatch.worker import Worker, WorkerOptions


class SlowFileChannel(FileChannel):
    """A file channel that takes its time around each write."""

    def send(self, delivery: Delivery) -> SendResult:
        time.sleep(0.15)
        result = super().send(delivery)
        time.sleep(0.15)
        return result


def main() -> None:
    db_url, home, out_dir, lease = sys.argv[1:5]
    app = build_app(Settings(home=Path(home), database_url=Secret(db_url)))
    channel = SlowFileChannel(Path(out_dir))
    options = WorkerOptions(worker_id="slow", batch=100, lease=timedelta(seconds=float(lease)))
    print("ready", flush=True)
    Worker(app.store, app.vault, channel, options).run(until_empty=True)


if __name__ == "__main__":
    main()
