"""The regulator report of a simulated month opens as a PDF, and its figures equal a recount
from the audit log (entries before the report's checkpoint)."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import orjson
from pypdf import PdfReader
from sqlalchemy import select

from faircollect.audit import checkpoint as cp
from faircollect.audit.service import AuditService
from faircollect.bootstrap import build_app
from faircollect.cases.complaints import open_complaint
from faircollect.config import Secret, Settings
from faircollect.cycle import run_range
from faircollect.demo import approve_starter_library
from faircollect.governance.regulator import to_csv, to_html, to_pdf
from faircollect.governance.regulator_service import regulator_report
from faircollect.governance.training import Course
from faircollect.governance.training_service import TrainingService
from faircollect.portfolio.generator import generate_portfolio
from faircollect.portfolio.importer import import_portfolio
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.foundation import borrowers

START = date(2026, 3, 2)
DAYS = 30


class MovingClock:
    def __init__(self) -> None:
        self.now = datetime.combine(START - timedelta(days=1), time(8), tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _recount(app, jur: str, size: int) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    """The report's figures, counted from the first `size` audit entries alone."""
    with app.store.read() as conn:
        where = {b: j for b, j in conn.execute(select(borrowers.c.borrower_id,
                                                      borrowers.c.jurisdiction))}
        rows = conn.execute(select(audit_entries.c.record).where(audit_entries.c.seq < size)
                            .order_by(audit_entries.c.seq)).scalars().all()
    out: dict[str, dict[str, int]] = {"complaints": {}, "contact_persons": {}, "holds": {},
                                      "denials_by_rule": {}}

    def add(section: str, key: str, n: int = 1) -> None:
        out[section][key] = out[section].get(key, 0) + n

    for text in rows:
        e = orjson.loads(text)
        action, subject, payload = e["action"], e["subject"], e["payload"]
        owner = where.get(subject.removeprefix("borrower:"))
        if action == "case.complaint.open" and owner == jur:
            add("complaints", f"{payload['from']}/{payload['category']}")
        elif action == "case.dispute.open" and owner == jur:
            add("holds", "dispute_open")
        elif action == "case.hardship" and owner == jur:
            add("holds", "hardship_pause")
        elif action == "cycle.batch":
            t = payload["tally"].get(jur, {})
            for rule, n in t.get("denied_by_rule", {}).items():
                add("denials_by_rule", rule, n)
            for purpose, n in t.get("contact_persons", {}).items():
                add("contact_persons", purpose, n)
    return out


def test_regulator_report_of_a_simulated_month(tmp_path: Path) -> None:
    # SQLite only: a month of cycles is the slowest set-up here; the queries it checks are
    # plain counts, and the strategy and training tests run on both databases.
    home = tmp_path / "home"
    home.mkdir()
    settings = Settings(home=home, database_url=Secret(f"sqlite:///{tmp_path / 'r.db'}"))
    clock = MovingClock()
    app = build_app(settings, clock=clock)
    try:
        generate_portfolio(tmp_path / "pf", borrowers=25, seed=5,
                           as_of=START - timedelta(days=1))
        import_portfolio(app, tmp_path / "pf", actor="test")
        approve_starter_library(app)
        training = TrainingService(app.store)
        training.add_course("compliance-1", Course("cn-law", "PRC rules", "CN", ("PIPL",), 365,
                                                   80))
        training.record("compliance-1", course_id="cn-law", person_id="col-1",
                        person_kind="collector", score=90,
                        completed_at=datetime(2026, 2, 1, tzinfo=UTC))
        training.record("compliance-1", course_id="cn-law", person_id="col-2",
                        person_kind="collector", score=50,
                        completed_at=datetime(2026, 2, 1, tzinfo=UTC))
        with app.store.read() as conn:
            cn = sorted(r[0] for r in conn.execute(select(borrowers.c.borrower_id).where(
                borrowers.c.jurisdiction == "CN")))
        clock.now = datetime.combine(START, time(1), tzinfo=UTC)

        def next_day(done: int, _total: int) -> None:
            """The clock moves with the simulation; two complaints arrive on the way."""
            if done in (4, 12):  # received late on the day just run
                clock.now = datetime.combine(START + timedelta(days=done - 1), time(23),
                                             tzinfo=UTC)
                with app.store.transaction("agent-1") as uow:
                    open_complaint(uow, borrower_id=cn[done], complainant="borrower",
                                   category="contact_frequency", received_at=clock.now,
                                   now=clock.now)
            clock.now = datetime.combine(START + timedelta(days=done), time(1), tzinfo=UTC)

        run_range(app, START, START + timedelta(days=DAYS - 1), simulate=True, seed=3,
                  on_progress=next_day)
        end = START + timedelta(days=DAYS - 1)
        clock.now = datetime.combine(end + timedelta(days=3), time(9), tzinfo=UTC)
        with app.store.transaction("later") as uow:  # after the period: not counted
            open_complaint(uow, borrower_id=cn[0], complainant="borrower",
                           category="contact_frequency", received_at=clock.now, now=clock.now)
        report = regulator_report(app, "CN", START, end)
        recount = _recount(app, "CN", report.checkpoint_size)
        assert report.complaints == recount["complaints"]
        assert report.complaints.get("borrower/contact_frequency", 0) >= 2
        assert report.denials_by_rule == recount["denials_by_rule"] and report.denials_by_rule
        assert report.contact_persons == recount["contact_persons"]
        assert {k: v for k, v in report.holds.items() if v} == recount["holds"]
        assert report.training == {"people": 2, "trained": 1, "untrained": 1}
        # The checkpoint is signed by the audit key over exactly those entries.
        checked = cp.open_note(report.checkpoint, app.keys.signing_key("audit").public_key())
        assert checked.size == report.checkpoint_size
        # Kept beside the log's other checkpoints, and the whole log still verifies.
        verified = AuditService(app.store, app.keys.signing_key("audit")).verify()
        assert verified.ok and verified.checkpoints >= 1, verified.problems
        assert regulator_report(app, "CN", START, end).checkpoint == report.checkpoint
        # CSV and PDF carry the same figures and the checkpoint.
        text = to_csv(report)
        assert f"report,audit_checkpoint_size,{report.checkpoint_size}" in text
        pdf = to_pdf(to_html(report))
        pages = PdfReader(io.BytesIO(pdf)).pages
        body = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pages))
        for _, item, count in report.rows():
            assert f"{item} {count}" in body, item
        assert f"{report.checkpoint_size} entries" in body
    finally:
        app.store.dispose()
