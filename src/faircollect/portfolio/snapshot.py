"""The portfolio's delinquency position, loaded from the store and computed by the ledger core."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Connection, select

from faircollect.ledger.snapshot import snapshot
from faircollect.store.tables.foundation import installments, loans, payments


def load_installments(conn: Connection) -> pl.DataFrame:
    """Every installment with its loan's currency and borrower (Int64 minor units)."""
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


def load_payments(conn: Connection) -> pl.DataFrame:
    """Every payment (Int64 minor units)."""
    p = payments.c
    query = select(p.loan_id, p.paid_on, p.amount_minor.label("amount"))
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
