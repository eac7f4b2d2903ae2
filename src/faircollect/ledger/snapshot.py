"""The portfolio's delinquency snapshot as of a date, vectorised with Polars.

One call turns every loan's installments and payments into one row per loan. Payments made
up to the as-of date are summed per loan and poured into the installments oldest first: with
``before`` the cumulative total due of the earlier installments, an installment receives
``clip(paid - before, 0, total)``, so it is fully covered exactly when its cumulative due is
at most the cumulative paid. Because the scalar allocator also fills installments strictly
oldest first, this gives the same coverage of every installment, hence the same DPD, as
allocating each payment in turn (a Hypothesis test holds the two equal). Within an
installment the covered amount is split over fees, interest and principal in the product's
order, which only changes how much principal is outstanding.

Money columns are Int64 minor units of each loan's currency (see `frame_columns`).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from faircollect.errors import InputError
from faircollect.ledger.allocation import DEFAULT_ORDER, AllocationOrder
from faircollect.ledger.buckets import DEFAULT_BUCKETS, Buckets
from faircollect.ledger.frame_columns import (
    as_date,
    currency_places,
    date_column,
    require_columns,
    scaled_integer,
)

INSTALLMENT_COLUMNS = ("loan_id", "number", "due_on", "principal", "interest", "fees")
PAYMENT_COLUMNS = ("loan_id", "paid_on", "amount")
SNAPSHOT_COLUMNS = (
    "loan_id",
    "currency",
    "outstanding_principal",
    "overdue_amount",
    "paid_to_date",
    "unallocated",
    "days_past_due",
    "bucket",
    "next_due_on",
    "installments_overdue",
)


def bucket_expr(days_past_due: pl.Expr, buckets: Buckets = DEFAULT_BUCKETS) -> pl.Expr:
    """The bucket of each DPD value, as an Enum ordered best to worst."""
    enum = pl.Enum(list(buckets.names))
    chain: pl.Expr | None = None
    for name, bound in buckets.bands:
        if bound is None:
            break
        test = days_past_due <= bound
        chain = (
            pl.when(test).then(pl.lit(name))
            if chain is None
            else chain.when(test).then(pl.lit(name))  # type: ignore[attr-defined]
        )
    last = pl.lit(buckets.names[-1])
    result = last if chain is None else chain.otherwise(last)  # type: ignore[attr-defined]
    return result.cast(enum)


def _payments_minor(payments: pl.DataFrame, currencies: pl.DataFrame) -> pl.DataFrame:
    """Payments with Int64 minor-unit amounts; decimal text is scaled by the loan's currency."""
    require_columns(payments, PAYMENT_COLUMNS, name="payments")
    key = "loan_id"
    frame = payments.with_columns(pl.col("loan_id").cast(pl.String))
    dtype = frame.schema["amount"]
    if dtype.is_integer():
        amount = pl.col("amount").cast(pl.Int64)
    else:
        frame = frame.join(currencies, on="loan_id", how="inner")
        amount = scaled_integer(frame, "amount", currency_places(frame, key=key), key=key)
    frame = frame.with_columns(paid_on=date_column(frame, "paid_on", key=key), amount=amount)
    negative = frame.filter(pl.col("amount") < 0).head(1)
    if negative.height:
        loan = negative["loan_id"][0]
        raise InputError(f"loan_id {loan}: a payment cannot be negative", field="amount")
    return frame.select("loan_id", "paid_on", "amount")


def _component_paid(order: AllocationOrder) -> list[pl.Expr]:
    """Per component, the part of the installment's covered amount that lands on it."""
    exprs: list[pl.Expr] = []
    ahead: pl.Expr = pl.lit(0, pl.Int64)
    for component in order.components:
        exprs.append(
            (pl.col("_covered") - ahead)
            .clip(lower_bound=0)
            .clip(upper_bound=pl.col(component))
            .alias(f"_paid_{component}")
        )
        ahead = ahead + pl.col(component)
    return exprs


def _clustered(installments: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Installments with each loan's rows together in number order, and one row per loan.

    schedule_frame's output is already laid out that way, which is checked in linear time;
    anything else is sorted first. The per-loan frame has the loan's index `_r`, its first
    row `_start` and its loan_id, in the order the loans appear.
    """
    frame = installments
    for attempt in range(2):
        runs = (
            frame.select(pl.col("loan_id").rle())
            .unnest("loan_id")
            .rename({"value": "loan_id", "len": "_len"})
        )
        new_loan = pl.col("loan_id") != pl.col("loan_id").shift()
        ordered = frame.select(
            ((pl.col("number") > pl.col("number").shift()) | new_loan.fill_null(True)).all()
        ).item()
        ids = runs["loan_id"]
        # Strictly increasing ids settle uniqueness cheaply; otherwise ask a hash.
        unique = ids.len() < 2 or bool((ids.slice(1) > ids.slice(0, ids.len() - 1)).all())
        if ordered and (unique or not ids.is_duplicated().any()):
            break
        if attempt == 0:
            frame = frame.sort("loan_id", "number")
    if not ordered:
        # Sorted by (loan_id, number) and still not strictly increasing: a repeated number.
        raise InputError("installments: a (loan_id, number) pair appears twice", field="number")
    runs = runs.with_row_index("_r").with_columns(
        _start=(pl.col("_len").cast(pl.Int64).cum_sum() - pl.col("_len")).cast(pl.Int64)
    )
    loan_index = runs.select(
        pl.col("_r").repeat_by(pl.col("_len")).explode().alias("_r")
    ).to_series()
    return frame.with_columns(loan_index), runs.drop("_len")


def snapshot(
    installments: pl.DataFrame | pl.LazyFrame,
    payments: pl.DataFrame | pl.LazyFrame,
    as_of: date,
    grace_days: int = 0,
    buckets: Buckets = DEFAULT_BUCKETS,
    order: AllocationOrder = DEFAULT_ORDER,
) -> pl.DataFrame:
    """Every loan's position as of `as_of`: one row per loan in `installments`.

    installments: loan_id, number, due_on, principal, interest, fees (Int64 minor units),
    currency optional (needed when payment amounts are decimal text), as `schedule_frame`
    builds them. payments: loan_id, paid_on, amount (Int64 minor units, or decimal text in
    the loan's currency); payments after `as_of`, or for loans without installments, are
    ignored.

    Columns: loan_id, currency (when given), outstanding_principal, overdue_amount (owed on
    installments due before `as_of`), paid_to_date (received up to `as_of`), unallocated
    (received beyond everything scheduled), days_past_due (grace suppresses, see
    `delinquency`), bucket (Enum of `buckets`), next_due_on (earliest installment on or after
    `as_of` still owed), installments_overdue. Loans in the order they first appear.
    """
    day = as_date(as_of)
    if grace_days < 0:
        raise InputError("grace_days: cannot be negative", field="grace_days")
    frame = installments.collect() if isinstance(installments, pl.LazyFrame) else installments
    require_columns(frame, INSTALLMENT_COLUMNS, name="installments")
    has_currency = "currency" in frame.columns
    pay_frame = payments.collect() if isinstance(payments, pl.LazyFrame) else payments
    frame = frame.with_columns(pl.col("loan_id").cast(pl.String))
    frame, loans = _clustered(frame)
    if has_currency:
        currencies = frame.select("loan_id", "currency").gather(loans["_start"])
    elif not pay_frame.schema.get("amount", pl.Int64).is_integer():
        raise InputError(
            "installments: a currency column is needed to read decimal payment amounts",
            field="currency",
        )
    else:
        currencies = pl.DataFrame(schema={"loan_id": pl.String, "currency": pl.String})
    paid = (
        _payments_minor(pay_frame, currencies)
        .lazy()
        .filter(pl.col("paid_on") <= day)
        .group_by("loan_id")
        .agg(_paid=pl.col("amount").sum())
    )
    loans = (
        loans.lazy()
        .join(paid, on="loan_id", how="left", maintain_order="left")
        .with_columns(pl.col("_paid").fill_null(0))
        .collect()
    )
    due_before = pl.col("due_on") < day
    owed = pl.col("_outstanding") > 0
    total = pl.col("fees") + pl.col("interest") + pl.col("principal")
    frame = frame.with_columns(_total=total).with_columns(_running=pl.col("_total").cum_sum())
    # The running total over the whole frame, less everything scheduled for earlier loans,
    # is the loan's own cumulative due. So one number per loan, paid + earlier loans' total,
    # is what each row's running total is compared with: a single broadcast per row.
    earlier = (frame["_running"] - frame["_total"]).gather(loans["_start"])
    limit = (loans["_paid"] + earlier).alias("_limit")
    per_installment = (
        frame.lazy()
        .with_columns(_limit=pl.lit(limit).gather(pl.col("_r")))
        .with_columns(
            _covered=(pl.col("_limit") - (pl.col("_running") - pl.col("_total")))
            .clip(lower_bound=0)
            .clip(upper_bound=pl.col("_total"))
        )
        .with_columns(_component_paid(order))
        .with_columns(_outstanding=pl.col("_total") - pl.col("_covered"))
    )
    per_loan = (
        per_installment.group_by("_r")
        .agg(
            outstanding_principal=(pl.col("principal") - pl.col("_paid_principal")).sum(),
            overdue_amount=pl.col("_outstanding").filter(due_before).sum(),
            _scheduled=pl.col("_total").sum(),
            # Rows are in number order, so the first owed row is the oldest unpaid one.
            _oldest=pl.col("due_on").filter(owed).first(),
            next_due_on=pl.col("due_on").filter(owed & ~due_before).min(),
            installments_overdue=(owed & due_before).sum().cast(pl.Int32),
        )
        .sort("_r")
    )
    late = (pl.lit(day) - pl.col("_oldest")).dt.total_days().fill_null(0)
    dpd = pl.when(late > grace_days).then(late).otherwise(0).cast(pl.Int32)
    result = (
        pl.concat(
            [loans.lazy().select("loan_id", paid_to_date="_paid"), per_loan], how="horizontal"
        )
        .with_columns(
            unallocated=(pl.col("paid_to_date") - pl.col("_scheduled")).clip(lower_bound=0),
            days_past_due=dpd,
        )
        .with_columns(bucket=bucket_expr(pl.col("days_past_due"), buckets))
    )
    if has_currency:
        result = pl.concat([result, currencies.lazy().select("currency")], how="horizontal")
    return result.select([c for c in SNAPSHOT_COLUMNS if c != "currency" or has_currency]).collect()
