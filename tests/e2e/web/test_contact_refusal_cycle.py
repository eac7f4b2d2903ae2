"""A contact person's refusal through their link reaches the next daily cycle: on a seeded
portfolio where the planner would message a designated contact on the next day, after the
refusal it plans nothing for them (and still plans for everyone else)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select

from faircollect.bootstrap import build_app
from faircollect.config import Secret, Settings
from faircollect.cycle import cycle_playbooks, run_cycle, run_range
from faircollect.demo import run_demo
from faircollect.store.tables.cycle import planned_attempts
from faircollect.strategy.loader import load_inputs
from faircollect.strategy.planner import plan_day
from faircollect.web.services import contact_links

AS_OF = date(2026, 5, 3)  # 300 borrowers, seed 7: contacts fall due in the days after


def _contact_steps(app, books, day: date) -> set[str]:  # type: ignore[no-untyped-def]
    min_dpd = min(s.dpd_from for b in books.playbooks.values() for s in b.stages)
    with app.store.read() as conn:  # as run_cycle loads them
        inputs, _ = load_inputs(conn, day, min_dpd=min_dpd)
    attempts = plan_day(inputs, books, day).attempts
    return set(attempts.filter(pl.col("audience") != "borrower")["contact_id"].to_list())


@pytest.mark.slow
def test_after_a_refusal_the_next_cycle_plans_nothing_for_the_contact(tmp_path: Path) -> None:
    home = tmp_path / "home"
    app = build_app(Settings(home=home, database_url=Secret(f"sqlite:///{home}/fc.db")))
    try:
        run_demo(app, borrowers=300, seed=7, as_of=AS_OF, say=lambda _: None,
                 simulate_days=15)
        books = cycle_playbooks(app)
        day = AS_OF + timedelta(days=1)
        while not (due := _contact_steps(app, books, day)):  # simulate on to the first day
            assert day < AS_OF + timedelta(days=25), "no contact-person step fell due"
            run_range(app, day, day, books=books, simulate=True, seed=7)
            day += timedelta(days=1)
        target = sorted(due)[0]
        token = contact_links.issue_link(app, actor="test", contact_id=target, lender="Acme")
        contact_links.refuse(app, token)
        assert target not in _contact_steps(app, books, day)
        result = run_cycle(app, day, books=books)
        assert result.attempts > 0  # the cycle ran and planned for the others
        with app.store.read() as conn:
            rows = conn.execute(select(planned_attempts.c.contact_id).where(
                planned_attempts.c.business_date == day,
                planned_attempts.c.contact_id == target)).all()
        assert rows == []
    finally:
        app.store.dispose()
