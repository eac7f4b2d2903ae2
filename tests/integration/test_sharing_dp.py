"""The epsilon budget ledger and DP reports on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import orjson
import pytest
from _privacy_seed import seed
from sqlalchemy import func, select

from faircollect.errors import Conflict, NotFound
from faircollect.sharing.budget import BudgetLedger
from faircollect.sharing.reports import load_units, release_report
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.sharing import dp_releases

AS_OF = date(2026, 3, 1)


def _count(app, table) -> int:  # type: ignore[no-untyped-def]
    with app.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_ledger_refuses_a_release_past_the_budget(app) -> None:  # type: ignore[no-untyped-def]
    seed(app)
    ledger = BudgetLedger(app.store)
    with pytest.raises(NotFound):
        release_report(app.store, actor="t", scope="industry", dimension="region",
                       epsilon=0.5, as_of=AS_OF)
    ledger.set_total(actor="t", scope="industry", total=1.0)
    first = release_report(app.store, actor="t", scope="industry", dimension="region",
                           epsilon=0.6, as_of=AS_OF)
    assert first.release.noise_scale == pytest.approx(5.0)
    assert first.budget.remaining == pytest.approx(0.4)
    entries, releases = _count(app, audit_entries), _count(app, dp_releases)
    with pytest.raises(Conflict, match="exhausted"):
        release_report(app.store, actor="t", scope="industry", dimension="bucket",
                       epsilon=0.5, as_of=AS_OF)
    assert (_count(app, audit_entries), _count(app, dp_releases)) == (entries, releases)
    last = release_report(app.store, actor="t", scope="industry", dimension="product",
                          epsilon=0.4, as_of=AS_OF)
    assert last.budget.remaining == pytest.approx(0.0)
    assert ledger.get("industry").releases == 2
    with pytest.raises(Conflict, match="cannot go below"):
        ledger.set_total(actor="t", scope="industry", total=0.5)
    with app.store.read() as conn:
        audited = [orjson.loads(r)["payload"] for (r,) in conn.execute(
            select(audit_entries.c.record).where(audit_entries.c.action == "sharing.dp_release"))]
    assert [(a["report"], float(a["epsilon"]), float(a["noise_scale"])) for a in audited] == [
        ("rates_by_region", 0.6, 5.0), ("rates_by_product", 0.4, 7.5)]


def test_units_come_from_the_ledger_and_carry_no_identifier(app) -> None:  # type: ignore[no-untyped-def]
    seed(app)
    with app.store.read() as conn:
        units = load_units(conn, AS_OF)
    # Three borrowers, one bullet loan each, due 2026-01-01, part paid: 59 days past due.
    assert sorted(u.region for u in units) == ["CN", "UK", "US"]
    assert all(u.delinquent and u.bucket == "M2" and u.product == "bullet" for u in units)
    assert not any("b-" in repr(u) for u in units)
