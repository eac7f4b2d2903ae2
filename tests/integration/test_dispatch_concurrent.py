"""Two workers at once on PostgreSQL (SKIP LOCKED): every message is sent exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dispatch_seed import enqueue_many, seed_borrower

from faircollect.bootstrap import build_app
from faircollect.config import Secret, Settings
from faircollect.dispatch.channels.base import Reconciliation, SendResult
from faircollect.dispatch.message import Delivery
from faircollect.dispatch.outbox import counts
from faircollect.dispatch.worker import Worker, WorkerOptions

COUNT = 60


class CountingChannel:
    """Records every send call (no dedupe of its own, so a double claim would show)."""

    name = "counting"
    needs_address = False

    def __init__(self, log: list[tuple[str, str]], lock: threading.Lock, worker: str) -> None:
        self.log, self.lock, self.worker = log, lock, worker

    def send(self, delivery: Delivery) -> SendResult:
        time.sleep(0.005)  # long enough for the other worker to claim meanwhile
        with self.lock:
            self.log.append((delivery.message_id, self.worker))
        return SendResult(provider_ref=delivery.message_id, at=datetime.now(UTC))

    def reconcile(self, message_id: str, idempotency_key: str) -> Reconciliation:
        return Reconciliation("not_sent")

    def close(self) -> None:
        pass


@pytest.mark.postgres
def test_two_workers_share_the_outbox_without_overlap(pg_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings(home=home, database_url=Secret(pg_url))
    app = build_app(settings)
    try:
        seed_borrower(app)
        ids = enqueue_many(app, COUNT, planned_at=app.store.clock() - timedelta(seconds=1))
        log: list[tuple[str, str]] = []
        lock = threading.Lock()
        stats: dict[str, Any] = {}
        start = threading.Barrier(2)

        def work(name: str) -> None:
            channel = CountingChannel(log, lock, name)
            worker = Worker(
                app.store,
                app.vault,
                channel,
                WorkerOptions(worker_id=name, batch=5, poll_interval=0.01),
            )
            start.wait()
            stats[name] = worker.run(until_empty=True)

        threads = [threading.Thread(target=work, args=(n,)) for n in ("w1", "w2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        sent = Counter(message_id for message_id, _ in log)
        assert sorted(sent) == sorted(ids) and set(sent.values()) == {1}
        by_worker = Counter(worker for _, worker in log)
        assert by_worker["w1"] > 0 and by_worker["w2"] > 0  # both took a share
        assert stats["w1"].sent + stats["w2"].sent == COUNT
        with app.store.read() as conn:
            assert counts(conn) == {"sent": COUNT}
    finally:
        app.store.dispose()


@pytest.mark.postgres
def test_racing_enqueue_many_of_one_key_stores_it_once(pg_url: str, tmp_path: Path) -> None:
    """Two transactions enqueue the same keys at once: the second waits, then reuses them."""
    from dispatch_seed import message

    from faircollect.dispatch.outbox import enqueue_many as enqueue_bulk

    app = build_app(Settings(home=tmp_path / "home", database_url=Secret(pg_url)))
    try:
        seed_borrower(app)
        batch = [message(n) for n in range(3)]
        inserted, go = threading.Event(), threading.Event()
        results: dict[str, Any] = {}

        def first() -> None:
            with app.store.transaction("test") as uow:
                results["first"] = enqueue_bulk(uow, app.vault, batch)
                inserted.set()
                go.wait(timeout=30)  # hold the uncommitted rows while the second tries

        def second() -> None:
            inserted.wait(timeout=30)
            with app.store.transaction("test") as uow:
                results["second"] = enqueue_bulk(uow, app.vault, [message(5), *batch])

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        time.sleep(0.5)  # the second is now blocked on the first's unique keys
        go.set()
        for t in threads:
            t.join(timeout=60)
        assert [e.created for e in results["first"]] == [True] * 3
        assert [e.created for e in results["second"]] == [True, False, False, False]
        with app.store.read() as conn:
            assert counts(conn) == {"pending": 4}
    finally:
        app.store.dispose()
