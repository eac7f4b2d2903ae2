"""Training gates collectors: attempts, assignment and reveal refused until a completion is
recorded; CSV import all-or-nothing; expiring certificates in the compliance report."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from _privacy_seed import seed
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "policy"))
from policy_requests import build  # noqa: E402

from faircollect.access.assignment import assign  # noqa: E402
from faircollect.access.guard import Actor, Guard  # noqa: E402
from faircollect.errors import AccessDenied, RowError  # noqa: E402
from faircollect.governance.attempts import decide_attempt  # noqa: E402
from faircollect.governance.training import Course  # noqa: E402
from faircollect.governance.training_service import TrainingService  # noqa: E402
from faircollect.policy import parse_request  # noqa: E402
from faircollect.reports.compliance import build_report  # noqa: E402
from faircollect.store.tables.audit import audit_entries  # noqa: E402

CN = Course("cn-law-2026", "PRC collection rules", "CN", ("PIPL", "quiet hours"), 365, 80)


def _request() -> object:
    return parse_request(build())  # a lawful CN call to the borrower


def test_untrained_collector_denied_everywhere_until_a_completion_is_recorded(app) -> None:  # type: ignore[no-untyped-def]
    seed(app)
    svc = TrainingService(app.store)
    svc.add_course("compliance-1", CN)
    req = _request()
    denied = decide_attempt(app.store, req, "col-7")  # type: ignore[arg-type]
    assert not denied.allowed
    assert [v.rule for v in denied.violations] == ["HOUSE-TRAINING"]
    with pytest.raises(AccessDenied, match="HOUSE-TRAINING"):
        assign(app.store, actor="lead", borrower_id="b-1", collector_id="col-7")
    # A failed attempt at the course does not count.
    svc.record("compliance-1", course_id=CN.course_id, person_id="col-7",
               person_kind="collector", score=60,
               completed_at=datetime(2026, 1, 2, tzinfo=UTC))
    assert not decide_attempt(app.store, req, "col-7").allowed  # type: ignore[arg-type]
    svc.record("compliance-1", course_id=CN.course_id, person_id="col-7",
               person_kind="collector", score=85,
               completed_at=datetime(2026, 1, 3, tzinfo=UTC))
    allowed = decide_attempt(app.store, req, "col-7")  # type: ignore[arg-type]
    assert allowed.allowed and allowed.violations == ()
    assign(app.store, actor="lead", borrower_id="b-1", collector_id="col-7")
    # The US case has no course in the register: the gate is not yet in force there.
    assign(app.store, actor="lead", borrower_id="b-2", collector_id="col-7")
    with app.store.read() as conn:
        actions = [r[0] for r in conn.execute(select(audit_entries.c.action).where(
            audit_entries.c.action.like("training.%")).order_by(audit_entries.c.seq))]
    assert actions == ["training.course_added", "training.completed", "training.completed"]


def test_reveal_refused_once_the_certificate_expires(app) -> None:  # type: ignore[no-untyped-def]
    seed(app)
    svc = TrainingService(app.store)
    svc.add_course("compliance-1", CN)
    now = app.store.clock()
    svc.record("compliance-1", course_id=CN.course_id, person_id="col-7",
               person_kind="collector", score=90, completed_at=now - timedelta(days=10))
    assign(app.store, actor="lead", borrower_id="b-1", collector_id="col-7")
    guard = Guard(app.store, app.vault)
    col = Actor("col-7", "collector")
    assert guard.borrower(col, "b-1", purpose="collection", fields=("phone",)).view == "masked"
    # A course whose validity has already run out for col-8's completion.
    short = Course("cn-refresh", "Refresher", "CN", ("complaints",), 5, 50)
    svc.add_course("compliance-1", short)
    svc.record("compliance-1", course_id=short.course_id, person_id="col-8",
               person_kind="collector", score=90, completed_at=now - timedelta(days=10))
    with app.store.transaction("lead") as uow:  # assigned before the gate (e.g. by migration)
        from sqlalchemy import insert

        from faircollect.store.tables.consent import case_assignments
        uow.conn.execute(insert(case_assignments).values(
            borrower_id="b-1", collector_id="col-8", assigned_at=now))
    with pytest.raises(AccessDenied, match="HOUSE-TRAINING"):
        guard.borrower(Actor("col-8", "collector"), "b-1", purpose="collection",
                       fields=("phone",))
    with pytest.raises(AccessDenied, match="HOUSE-TRAINING"):
        guard.contacts(Actor("col-8", "collector"), ["b-1"], purpose="collection")
    with app.store.read() as conn:
        denials = [orjson.loads(r[0])["payload"] for r in conn.execute(
            select(audit_entries.c.record).where(audit_entries.c.action == "access.denied"))]
    assert denials and all(d["field"] == "training" for d in denials)


def test_csv_import_is_all_or_nothing_and_expiring_certificates_reach_the_report(app) -> None:  # type: ignore[no-untyped-def]
    svc = TrainingService(app.store)
    svc.add_course("compliance-1", CN)
    good = ("course_id,person_id,person_kind,score,completed_on\n"
            "cn-law-2026,col-1,collector,88,2025-03-20\n"
            "cn-law-2026,ag-2,agency,91,2026-01-10\n")
    with pytest.raises(RowError, match="batch.csv:3 column course_id"):
        svc.import_csv("compliance-1", good.replace("cn-law-2026,ag-2", "nope,ag-2"), "batch.csv")
    assert svc.completions() == []
    assert len(svc.import_csv("compliance-1", good, "batch.csv")) == 2
    with app.store.read() as conn:
        report = build_report(conn, date(2026, 3, 1), date(2026, 3, 5))
    # col-1 expires 2026-03-20 (within 30 days of 2026-03-06); ag-2 in 2027.
    assert [(c["person_id"], c["expires_at"][:10]) for c in report.expiring_training] == [
        ("col-1", "2026-03-20")]
