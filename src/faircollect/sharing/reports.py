"""Differentially private industry reports from the store: one release, one budget spend.

Builds one `dp.Unit` per borrower who is not erased and has a loan: region (jurisdiction),
product and bucket of the borrower's most delinquent loan, delinquent when that loan is more
than 30 days past due, complained when a complaint was received in the year before `as_of`.
Then releases one dimension with noise, spends the epsilon and audits, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import polars as pl
from sqlalchemy import Connection, select

from faircollect.sharing import dp
from faircollect.sharing.budget import Budget, BudgetLedger, _num
from faircollect.store.unit_of_work import Store

DELINQUENT_DAYS = 30


@dataclass(frozen=True)
class Report:
    release: dp.Release
    budget: Budget
    as_of: date


def load_units(conn: Connection, as_of: date) -> list[dp.Unit]:
    """One unit per borrower with a loan (no identifier leaves this function)."""
    from faircollect.portfolio.snapshot import portfolio_snapshot
    from faircollect.store.tables.cases import complaints
    from faircollect.store.tables.foundation import borrowers, loans

    snap = portfolio_snapshot(conn, as_of)
    if snap.is_empty():
        return []
    products = pl.DataFrame(conn.execute(select(loans.c.loan_id, loans.c.schedule)).all(),
                            schema={"loan_id": pl.String, "product": pl.String}, orient="row")
    people = pl.DataFrame(conn.execute(select(borrowers.c.borrower_id, borrowers.c.jurisdiction)
                                       .where(borrowers.c.erased_at.is_(None))).all(),
                          schema={"borrower_id": pl.String, "region": pl.String}, orient="row")
    end = datetime.combine(as_of, time(), tzinfo=UTC) + timedelta(days=1)
    complained = {r[0] for r in conn.execute(
        select(complaints.c.borrower_id).where(complaints.c.received_at < end,
                                               complaints.c.received_at >= end
                                               - timedelta(days=365)))}
    worst = (snap.join(products, on="loan_id", how="left")
             .sort(["borrower_id", "days_past_due", "loan_id"], descending=[False, True, False])
             .unique("borrower_id", keep="first", maintain_order=True)
             .join(people, on="borrower_id", how="inner"))
    return [dp.Unit(r["region"], r["product"] or dp.OTHER, str(r["bucket"]),
                    int(r["days_past_due"]) > DELINQUENT_DAYS, r["borrower_id"] in complained)
            for r in worst.iter_rows(named=True)]


def release_report(store: Store, *, actor: str, scope: str, dimension: str, epsilon: float,
                   as_of: date) -> Report:
    """Release `dimension` at `epsilon`, spending it from `scope`; Conflict past the budget."""
    dp.check_epsilon(epsilon)
    dp.true_counts([], dimension)  # an unknown dimension is refused before anything runs
    with store.transaction(actor) as uow:
        # Spend first: a release past the budget is refused before any data is read.
        budget = BudgetLedger(store).spend(
            uow, scope=scope, epsilon=epsilon, report=f"rates_by_{dimension}",
            noise_scale=dp.noise_scale(epsilon), mechanism=dp.MECHANISM,
            at=store.clock(), note=f"as_of {as_of.isoformat()}")
        released = dp.release(load_units(uow.conn, as_of), dimension, epsilon)
        uow.audit("sharing.dp_release", f"dp:{scope}", {
            "scope": scope, "report": f"rates_by_{dimension}", "epsilon": _num(epsilon),
            "noise_scale": _num(released.noise_scale), "sensitivity": released.sensitivity,
            "mechanism": released.mechanism, "groups": len(released.rows),
            "spent": _num(budget.spent), "remaining": _num(budget.remaining),
            "as_of": as_of.isoformat()})
    return Report(released, budget, as_of)
