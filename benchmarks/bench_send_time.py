"""The cost of re-deciding every message at send time, measured side by side in one run.

    python benchmarks/bench_send_time.py            # full: a cycle day of 30,000 borrowers
    python benchmarks/bench_send_time.py --quick    # 5,000 borrowers

One synthetic portfolio is planned for one day by the daily cycle; the database is copied,
and two workers with the file channel (`--batch 5000`) drain the same day's messages at
their planned times, one re-deciding each message before it is sent (the default), one
with the send-time check switched off. A worker is a long-running process: what it loads
once before its first batch (the packs in force, their lexicons, the lint of the approved
templates; `Worker.warm_up`) is timed apart and printed as its own row, and the
throughput figures time the draining. Targets (issue: send-time enforcement): the
re-decision costs at most 25 % of the worker's throughput, and the checking worker stays
at or above 3,000 messages/s.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

AS_OF = date(2026, 10, 31)
DAY = date(2026, 11, 1)
THROUGHPUT_TARGET = 3_000.0
COST_TARGET = 0.25


def _drain(home: Path, db: Path, check: bool) -> tuple[int, float, float]:
    from faircollect.bootstrap import build_app
    from faircollect.config import Secret, Settings
    from faircollect.dispatch.channels.file import FileChannel
    from faircollect.dispatch.worker import Worker, WorkerOptions

    app = build_app(Settings(home=home, database_url=Secret(f"sqlite:///{db}")))
    up_to = datetime(2026, 11, 2, 12, tzinfo=UTC)
    app.store.clock = lambda: datetime(2026, 10, 31, 12, tzinfo=UTC)
    channel = FileChannel(db.parent / ("out-check" if check else "out-plain"))
    worker = Worker(app.store, app.vault, channel,
                    WorkerOptions(batch=5000, poll_interval=0, send_time_check=check))
    if check:  # as in a fresh worker process: nothing loaded yet (the cycle ran in this one)
        from faircollect.content.lexicon import load
        from faircollect.policy.content_check import content_lint
        from faircollect.policy.pack import builtin_packs

        for cache in (load, content_lint, builtin_packs):
            cache.cache_clear()
    try:
        start_up = worker.warm_up()  # once per process: packs, lexicons, templates' lint
        t = time.perf_counter()
        stats = worker.drain(up_to, at_planned_time=True)
        took = time.perf_counter() - t
    finally:
        channel.close()
        app.store.dispose()
    return stats.claimed, took, start_up


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Measure and return the table rows."""
    from faircollect.bootstrap import build_app
    from faircollect.config import Secret, Settings
    from faircollect.cycle import run_cycle
    from faircollect.demo import approve_starter_library
    from faircollect.portfolio.generator import generate_portfolio
    from faircollect.portfolio.importer import import_portfolio

    people = 5_000 if quick else 30_000
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        db = home / "fc.db"
        app = build_app(Settings(home=home, database_url=Secret(f"sqlite:///{db}")))
        # The ordinary order of a lender's day: the portfolio (with its payments) is
        # imported before the cycle plans, so no payment looks "recorded since planning".
        app.store.clock = lambda: datetime(2026, 10, 31, 11, tzinfo=UTC)
        generate_portfolio(home / "pf", borrowers=people, seed=3, as_of=AS_OF)
        import_portfolio(app, home / "pf", actor="bench")
        approve_starter_library(app)
        run_cycle(app, DAY, now=datetime(2026, 10, 31, 12, tzinfo=UTC))
        app.store.dispose()
        plain_db = home / "plain.db"
        shutil.copy(db, plain_db)
        n_plain, plain_s, _ = _drain(home, plain_db, check=False)
        n_check, check_s, start_up = _drain(home, db, check=True)
    plain, checked = n_plain / plain_s, n_check / check_s
    cost = 1 - checked / plain
    return [{
        "figure": f"worker with send-time decisions, one cycle day ({n_check:,} messages)",
        "ours": round(checked, 1), "unit": "msg/s",
        "peer": "the same worker without them", "peer_value": round(plain, 1),
        "ratio": round(checked / plain, 3),
        "target": f">= {THROUGHPUT_TARGET:,.0f} msg/s and cost <= {COST_TARGET:.0%}"
                  f" (measured cost {cost:.1%})",
        "met": checked >= THROUGHPUT_TARGET and cost <= COST_TARGET,
    }, {
        "figure": "send-time check start-up, once per worker process (packs, lexicons,"
                  " approved templates' lint)",
        "ours": round(start_up, 2), "unit": "s",
        "peer": "draining the day with the check", "peer_value": round(check_s, 2),
        "ratio": round(start_up / check_s, 3), "target": None, "met": None,
    }]


if __name__ == "__main__":
    import sys

    for r in run(quick="--quick" in sys.argv):
        print(json.dumps(r))
