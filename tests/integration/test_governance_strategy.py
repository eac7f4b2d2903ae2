"""Strategy review: playbooks and overrides through maker-checker, with a 30-day replay; the
cycle runs approved versions only (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import select

from faircollect.content.template import Actor, State
from faircollect.cycle import cycle_playbooks, run_cycle, run_range
from faircollect.demo import approve_starter_library
from faircollect.errors import AccessDenied, ConfigError
from faircollect.governance.strategy_service import StrategyReview
from faircollect.portfolio.generator import generate_portfolio
from faircollect.portfolio.importer import import_portfolio
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.cycle import planned_attempts
from faircollect.strategy.registry_source import RegistrySource

START = date(2026, 3, 2)
RAN = 6  # notices go out 3 days before a round, so rounds begin on the 4th day
AUTHOR = Actor("u-author", frozenset({"supervisor"}))
AUTHOR_COMPLIANCE = Actor("u-author", frozenset({"compliance"}))
LEGAL = Actor("u-legal", frozenset({"legal"}))
EARLY_CALL = ("      - {id: cn-early-call, channel: call, template: cn-early-call, hours: "
              "[\"14:00\", \"18:00\"], every_days: 2, max_attempts: 5, after_days: 2}\n")
OVERRIDE = """id: acme-cn
pack: CN
title: Acme calls only in the morning hour
rules:
  - id: ACME-CALL-HOURS
    kind: contact_hours
    category: HOURS
    citation: "Acme Lending collection policy 2026 s.4 (calls 09:00-10:00 only)"
    summary: Calls only between 09:00 and 10:00 local time.
    applies_to: {channels: [call]}
    params: {start: "09:00", end: "10:00", honour_agreed_windows: false}
"""


def _shipped_cn() -> str:
    text = resources.files("faircollect.strategy").joinpath(
        "playbooks", "cn-standard.yaml").read_text("utf-8")
    assert EARLY_CALL in text
    return text


@pytest.fixture
def ran(app, tmp_path: Path):  # type: ignore[no-untyped-def]
    generate_portfolio(tmp_path / "pf", borrowers=40, seed=5, as_of=START - timedelta(days=1))
    import_portfolio(app, tmp_path / "pf", actor="test")
    approve_starter_library(app)
    run_range(app, START, START + timedelta(days=RAN - 1))
    return app


def _steps(app, day: date) -> set[str]:  # type: ignore[no-untyped-def]
    with app.store.read() as conn:
        return {r[0] for r in conn.execute(select(planned_attempts.c.step_id).where(
            planned_attempts.c.business_date == day))}


def _book_steps(app, book_id: str) -> set[str]:  # type: ignore[no-untyped-def]
    book = cycle_playbooks(app).playbooks[book_id]
    return {st.id for stage in book.stages for st in stage.steps}


def test_playbook_maker_checker_replay_and_only_approved_runs(ran) -> None:  # type: ignore[no-untyped-def]
    app = ran
    review = StrategyReview(app.store, RegistrySource.load(app.store))
    draft = review.add(AUTHOR_COMPLIANCE, "playbook", _shipped_cn().replace(EARLY_CALL, ""))
    assert (draft.subject_id, draft.version, draft.state) == ("cn-standard-2026.1", 1,
                                                              State.DRAFT)
    submitted = review.submit(AUTHOR_COMPLIANCE, "playbook", draft.subject_id)
    assert submitted.state == State.IN_REVIEW
    shown = review.review("playbook", draft.subject_id)
    assert "-      - {id: cn-early-call" in shown["diff"]
    replay = shown["replay"]
    assert replay["days"] == [(START + timedelta(days=i)).isoformat() for i in range(RAN)]
    assert replay["changes"]["attempts"] < 0  # the early calls are gone
    assert replay["draft"]["attempts"] == replay["current"]["attempts"] + replay["changes"][
        "attempts"]
    # Self-approval refused, even holding the compliance role; a collector may not review.
    with pytest.raises(AccessDenied, match="maker-checker"):
        review.approve(AUTHOR_COMPLIANCE, "playbook", draft.subject_id)
    with pytest.raises(AccessDenied, match="compliance' or 'legal"):
        review.approve(Actor("u-col", frozenset({"collector"})), "playbook", draft.subject_id)
    # Submitted but not approved: the cycle still runs the shipped playbook.
    assert "cn-early-call" in _book_steps(app, draft.subject_id)
    approved = review.approve(LEGAL, "playbook", draft.subject_id)
    assert approved.state == State.APPROVED and approved.approved_by == "u-legal"
    assert "cn-early-call" not in _book_steps(app, draft.subject_id)
    for i in range(2):  # every_days: 2, so two dates cover the step's rhythm
        day = START + timedelta(days=RAN + i)
        run_cycle(app, day)
        steps = _steps(app, day)
        assert steps and "cn-early-call" not in steps
    with app.store.read() as conn:
        trail = [(r.actor, r.action) for r in conn.execute(
            select(audit_entries.c.actor, audit_entries.c.action).where(
                audit_entries.c.subject == "strategy:playbook:cn-standard-2026.1@1")
            .order_by(audit_entries.c.seq))]
    assert trail == [("u-author", "strategy.added"), ("u-author", "strategy.submitted"),
                     ("u-legal", "strategy.approved")]
    # One portfolio serves both halves (the set-up is most of the time): overrides next.
    _override_replay_counts_its_denials_and_a_broken_one_is_refused(app, review)


def _override_replay_counts_its_denials_and_a_broken_one_is_refused(app, review) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError):
        review.submit(AUTHOR, "override", review.add(
            AUTHOR, "override", OVERRIDE.replace("HOUSE-", "").replace(
                "ACME-CALL-HOURS", "HOUSE-TRAINING")).subject_id)
    review.add(AUTHOR, "override", OVERRIDE)  # the author revises the open draft
    v = review.submit(AUTHOR, "override", "acme-cn")
    assert v.replay is not None
    by_rule = v.replay["denials_by_rule"]
    assert by_rule["ACME-CALL-HOURS"]["current"] == 0 and by_rule["ACME-CALL-HOURS"]["draft"] > 0
    assert v.replay["changes"]["denied"] > 0
    assert cycle_playbooks(app).packs["CN"].id == "cn-2026.1"  # in review: not in force
    review.approve(LEGAL, "override", "acme-cn")
    assert cycle_playbooks(app).packs["CN"].rules[-1].id == "ACME-CALL-HOURS"
    day = START + timedelta(days=RAN + 2)
    run_cycle(app, day)
    with app.store.read() as conn:
        packs = {r[0] for r in conn.execute(select(planned_attempts.c.pack_id).where(
            planned_attempts.c.business_date == day))}
    assert "cn-2026.1+acme-cn" in packs and "cn-2026.1" not in packs
    # A second override of the same pack is refused: one override per jurisdiction.
    review.add(AUTHOR, "override", OVERRIDE.replace("id: acme-cn", "id: beta-cn").replace(
        "ACME-", "BETA-"))
    with pytest.raises(ConfigError, match="one override per jurisdiction"):
        review.submit(AUTHOR, "override", "beta-cn")
