"""Services tell `on_progress(done, total)` how far they are: counts rise to the total.

The CLI draws these as progress bars; here the callbacks are checked on their own, so a bar
that stops short of its total (or overshoots it) fails a test rather than a lender's eye.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from _privacy_seed import seed

from faircollect.access.rotation import rotate_master_key
from faircollect.access.shredding import shred_erased
from faircollect.portfolio.generator import generate_portfolio
from faircollect.retention.run import run_retention
from faircollect.subject.erase import erase_subject


class Calls(list[tuple[int, int]]):
    def __call__(self, done: int, total: int) -> None:
        self.append((done, total))

    def rises_to_its_total(self) -> bool:
        done = [d for d, _ in self]
        return bool(self) and done == sorted(done) and self[-1][0] == self[-1][1] and all(
            d <= t for d, t in self)


def test_generate_reports_every_thousand_borrowers_and_the_end(tmp_path: Path) -> None:
    calls = Calls()
    generate_portfolio(tmp_path, borrowers=2500, as_of=date(2026, 10, 31), on_progress=calls)
    assert calls == [(0, 2500), (1000, 2500), (2000, 2500), (2500, 2500)]


def test_retention_counts_each_erasure(app: Any) -> None:
    seed(app, last_payment=date(2026, 2, 1))
    calls = Calls()
    done = run_retention(app.store, app.vault, actor="retention", as_of=date(2029, 2, 1),
                         on_progress=calls)
    assert len(done) == 2 and calls == [(0, 2), (1, 2), (2, 2)]


def test_rotation_and_shred_count_rewrapped_data_keys(app: Any) -> None:
    seed(app)
    calls = Calls()
    rotation = rotate_master_key(app.store, app.keys, app.vault, actor="t", on_progress=calls)
    assert rotation.rewrapped == 3 and calls[0] == (0, 3) and calls[-1] == (3, 3)
    assert calls.rises_to_its_total()
    erase_subject(app.store, app.vault, actor="t", borrower_id="b-1")
    shred = Calls()
    done = shred_erased(app.store, app.keys, app.vault, actor="t", on_progress=shred)
    assert done.rewrapped == 2 and shred[-1] == (2, 2) and shred.rises_to_its_total()


def test_demo_steps_reach_the_total(tmp_path: Path) -> None:
    from faircollect.bootstrap import build_app
    from faircollect.config import Secret, Settings
    from faircollect.demo import run_demo

    home = tmp_path / "home"
    home.mkdir()
    app = build_app(Settings(home=home, database_url=Secret(f"sqlite:///{home / 'fc.db'}")))
    try:
        calls = Calls()
        run_demo(app, borrowers=30, seed=3, as_of=date(2026, 11, 28), say=lambda _: None,
                 simulate_days=2, on_progress=calls)
    finally:
        app.store.dispose()
    # generate, import, approve, two days, compliance report, snapshot, verify.
    assert [d for d, _ in calls] == list(range(9)) and {t for _, t in calls} == {8}


def test_the_compliance_report_counts_its_steps(app: Any) -> None:
    from faircollect.reports.compliance import REPORT_STEPS, build_report

    seed(app)
    calls = Calls()
    with app.store.read() as conn:
        report = build_report(conn, date(2026, 11, 1), date(2026, 11, 2), on_progress=calls)
    assert report.start == date(2026, 11, 1)
    assert calls == [(n, REPORT_STEPS) for n in range(1, REPORT_STEPS + 1)]


def test_consent_review_counts_the_consents_it_examines(app: Any) -> None:
    from datetime import UTC, datetime

    from faircollect.consent.ledger import ConsentLedger

    seed(app)
    ledger = ConsentLedger(app.store, app.keys)
    for borrower in ("b-1", "b-2"):
        ledger.grant(actor="t", borrower_id=borrower, purpose="electronic_communications",
                     notice_text="We send reminders by SMS. You can withdraw at any time.",
                     policy_version="pp-1", channel="app")
    calls = Calls()
    ledger.review(actor="t", as_of=datetime.now(UTC), on_progress=calls)
    assert calls.rises_to_its_total() and calls[-1][1] >= 2
