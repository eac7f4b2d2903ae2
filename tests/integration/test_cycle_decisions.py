"""The cycle's decisions land in `policy_decisions`, linked from `planned_attempts`, and replay.

Replaying a cycle day under its own pack changes nothing (the requests recorded from frames
say what the vectorised decide saw); under a tightened pack (US contact hours ending at
11:00 instead of 21:00) the late-morning and afternoon attempts that went ahead are reported as now denied.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from faircollect.cycle import run_cycle
from faircollect.demo import approve_starter_library
from faircollect.policy.pack import _builtin_text, resolve_pack
from faircollect.policy.replay import pack_for, replay
from faircollect.policy.request import DecisionRequest
from faircollect.portfolio.generator import generate_portfolio
from faircollect.portfolio.importer import import_portfolio
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.cycle import planned_attempts
from faircollect.store.tables.policy import policy_decisions

AS_OF = date(2026, 3, 1)
DAY = date(2026, 3, 2)


@pytest.fixture
def cycled(app, tmp_path: Path):  # type: ignore[no-untyped-def]
    generate_portfolio(tmp_path / "pf", borrowers=400, seed=11, as_of=AS_OF)
    import_portfolio(app, tmp_path / "pf", actor="test")
    approve_starter_library(app)
    result = run_cycle(app, DAY)
    assert result.attempts > 20
    return app


def test_every_planned_attempt_has_its_recorded_decision(cycled) -> None:  # type: ignore[no-untyped-def]
    p, d = planned_attempts.c, policy_decisions.c
    with cycled.store.read() as conn:
        rows = conn.execute(select(p.decision_id, p.allowed, p.rules, p.pack_id, p.borrower_id,
                                   p.message_id, d.allowed, d.rules, d.pack_id, d.borrower_id,
                                   d.reference, d.source, d.request)
                            .join(policy_decisions, d.decision_id == p.decision_id)).all()
        attempts = conn.execute(select(func.count()).select_from(planned_attempts)).scalar_one()
        audited = conn.execute(select(func.count()).select_from(audit_entries).where(
            audit_entries.c.action == "policy.decided")).scalar_one()
    assert len(rows) == attempts > 0 and audited >= 1
    for r in rows:
        assert r[1:5] == r[6:10] and r.source == "cycle" and r.reference == r.message_id
        request = DecisionRequest.model_validate_json(r.request)  # a full, valid request
        assert request.attempt.template is not None and request.attempt.template.approved


def test_replay_under_the_same_pack_changes_nothing(cycled) -> None:  # type: ignore[no-untyped-def]
    for jurisdiction in ("CN", "US", "UK"):
        report = replay(cycled.store, resolve_pack(jurisdiction), start=date(2026, 3, 1),
                        end=date(2026, 3, 4))
        assert report.considered > 0, jurisdiction
        assert report.unchanged == report.considered, report.to_json()


def test_replay_under_a_tightened_pack_reports_the_change(cycled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = _builtin_text("us-2026.2.yaml").replace("id: us-2026.2", "id: us-2026.9").replace(
        'params: {start: "08:00", end: "21:00"', 'params: {start: "08:00", end: "11:00"')
    path = tmp_path / "us-tight.yaml"
    path.write_text(text, encoding="utf-8")
    report = replay(cycled.store, pack_for(str(path)), start=date(2026, 3, 1),
                    end=date(2026, 3, 4))
    with cycled.store.read() as conn:
        us = conn.execute(select(func.count()).select_from(planned_attempts).where(
            planned_attempts.c.pack_id == "us-2026.2")).scalar_one()
    assert report.considered == us > 0
    assert report.allowed_to_denied.count > 0
    assert set(report.allowed_to_denied.by_rule) == {"US-HOURS"}
