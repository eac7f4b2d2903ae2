"""The portfolio's delinquency position, loaded from the store and computed by the ledger core."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl
from sqlalchemy import Connection, select

from faircollect.ledger.snapshot import snapshot
from faircollect.store.tables.foundation import installments, loans, payments


def load_installments(conn: Connection, borrower_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """Every installment (of `borrower_ids`, when given) with its loan's currency and
    borrower (Int64 minor units)."""
    i, ln = installments.c, loans.c
    query = select(
        i.loan_id,
        ln.borrower_id,
        ln.currency,
        i.number,
        i.due_on,
        i.principal_minor.label("principal"),
        i.interest_minor.label("interest"),
        i.fees_minor.label("fees"),
    ).join_from(installments, loans, i.loan_id == ln.loan_id)
    if borrower_ids is not None:
        query = query.where(ln.borrower_id.in_(list(borrower_ids)))
    return _frame(
        conn,
        query,
        {
            "loan_id": pl.String,
            "borrower_id": pl.String,
            "currency": pl.String,
            "number": pl.Int32,
            "due_on": pl.Date,
            "principal": pl.Int64,
            "interest": pl.Int64,
            "fees": pl.Int64,
        },
    )


def load_payments(conn: Connection, borrower_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """Every payment (on loans of `borrower_ids`, when given; Int64 minor units)."""
    p = payments.c
    query = select(p.loan_id, p.paid_on, p.amount_minor.label("amount"))
    if borrower_ids is not None:
        query = query.join(loans, loans.c.loan_id == p.loan_id).where(
            loans.c.borrower_id.in_(list(borrower_ids)))
    return _frame(conn, query, {"loan_id": pl.String, "paid_on": pl.Date, "amount": pl.Int64})


def _frame(conn: Connection, query: object, schema: dict[str, type[pl.DataType]]) -> pl.DataFrame:
    rows = conn.execute(query).all()  # type: ignore[call-overload]
    columns = list(schema)
    data = {c: [r[k] for r in rows] for k, c in enumerate(columns)}
    return pl.DataFrame(data, schema=schema)


def portfolio_snapshot(conn: Connection, as_of: date, *, grace_days: int = 0) -> pl.DataFrame:
    """Every loan's position as of `as_of`, with its borrower."""
    inst = load_installments(conn)
    pays = load_payments(conn)
    owners = inst.select("loan_id", "borrower_id").unique("loan_id")
    snap = snapshot(inst.drop("borrower_id"), pays, as_of, grace_days=grace_days)
    return snap.join(owners, on="loan_id", how="left")


def borrower_balances(conn: Connection, borrower_ids: Sequence[str], as_of: date
                      ) -> dict[str, tuple[int, bool]]:
    """Per borrower of `borrower_ids` with loans: (overdue minor units summed over loans,
    whether anything is still owed now or later) as of `as_of`.

    Callers pass a bounded list (one IN list); amounts in different currencies are summed
    only to test them for zero.
    """
    if not borrower_ids:
        return {}
    inst = load_installments(conn, borrower_ids)
    if inst.is_empty():
        return {}
    owners = inst.select("loan_id", "borrower_id").unique("loan_id")
    snap = snapshot(inst.drop("borrower_id"), load_payments(conn, borrower_ids), as_of)
    per = snap.join(owners, on="loan_id").group_by("borrower_id").agg(
        overdue=pl.col("overdue_amount").sum(),
        owing=((pl.col("overdue_amount") > 0) | pl.col("next_due_on").is_not_null()).any())
    return {row[0]: (int(row[1]), bool(row[2])) for row in per.iter_rows()}
