"""Every loan's schedule at once, as one Polars frame, equal to `build_schedule` to the cent.

The monthly recurrence (interest on what is outstanding, principal = payment - interest)
cannot be written as a closed form once each step is rounded, so the frame steps through
the months: month k is computed for all loans at once with integer column arithmetic, and
the months are then laid out loan by loan. The level payment of an annuity is computed in
float64 from the exact factor of each distinct (rate, term) and only the few loans whose
payment lies within float error of a half minor unit are recomputed with exact integers, so
the result never depends on float rounding.
"""

from __future__ import annotations

from fractions import Fraction

import polars as pl

from faircollect.ledger.frame_columns import (
    currency_places,
    date_column,
    fail_on,
    require_columns,
    scaled_integer,
)
from faircollect.ledger.schedule import (
    MAX_RATE_UNITS,
    MAX_TERM_MONTHS,
    MONTHLY_DENOMINATOR,
    SCHEDULE_KINDS,
    annuity_factor,
)

LOAN_COLUMNS = (
    "loan_id",
    "principal",
    "currency",
    "annual_rate",
    "term_months",
    "disbursed_on",
    "first_due_on",
)
INSTALLMENT_SCHEMA: dict[str, pl.DataType] = {
    "loan_id": pl.String(),
    "currency": pl.String(),
    "number": pl.Int32(),
    "due_on": pl.Date(),
    "principal": pl.Int64(),
    "interest": pl.Int64(),
    "fees": pl.Int64(),
    "total": pl.Int64(),
}
_RATE_PLACES = 8
# Generous bound on float64 error of principal * factor (true error is below 3e-16 * x).
_RELATIVE_SLACK = 1e-12


def _terms(loans: pl.DataFrame) -> pl.DataFrame:
    """Validate the loans and return integer terms: P (minor units), rate (1e-8), n, kind."""
    require_columns(loans, LOAN_COLUMNS, name="loans")
    key = "loan_id"
    frame = loans.with_columns(
        pl.col("loan_id").cast(pl.String),
        _places=currency_places(loans, key=key),
    )
    kind = (
        pl.col("schedule").cast(pl.String).str.strip_chars().replace("", None)
        if "schedule" in loans.columns
        else pl.lit(None, pl.String)
    ).fill_null("equal_installment")
    frame = frame.with_columns(
        _p=scaled_integer(frame, "principal", pl.col("_places"), key=key),
        _rate=scaled_integer(frame, "annual_rate", pl.lit(_RATE_PLACES, pl.Int64), key=key),
        _n=pl.col("term_months").cast(pl.Int64, strict=False),
        _first=date_column(frame, "first_due_on", key=key),
        _disbursed=date_column(frame, "disbursed_on", key=key),
        _kind=kind,
    )
    fail_on(frame, pl.col("_p") <= 0, column="principal", reason="must be positive", key=key)
    fail_on(
        frame,
        pl.col("_rate") > MAX_RATE_UNITS,
        column="annual_rate",
        reason="is above 10 (1000 %)",
        key=key,
    )
    fail_on(
        frame,
        ~pl.col("_n").is_between(1, MAX_TERM_MONTHS),
        column="term_months",
        reason=f"is outside 1 to {MAX_TERM_MONTHS}",
        key=key,
    )
    fail_on(
        frame,
        pl.col("_first") <= pl.col("_disbursed"),
        column="first_due_on",
        reason="must fall after disbursed_on",
        key=key,
    )
    fail_on(
        frame.with_columns(schedule=kind),
        ~pl.col("schedule").is_in(list(SCHEDULE_KINDS)),
        column="schedule",
        reason="is not a known schedule kind",
        key=key,
    )
    return frame.select("loan_id", "currency", "_p", "_rate", "_n", "_first", "_kind")


def _level_payments(terms: pl.DataFrame) -> pl.Series:
    """Annuity payment per loan in minor units, exact half-up rounding of the true value."""
    combos = terms.select("_rate", "_n").unique()
    factors: dict[tuple[int, int], Fraction] = {
        (rate, n): annuity_factor(rate, n) for rate, n in combos.iter_rows()
    }
    factor_frame = pl.DataFrame(
        {
            "_rate": [k[0] for k in factors],
            "_n": [k[1] for k in factors],
            "_f": [float(f) for f in factors.values()],
        },
        schema={"_rate": pl.Int64, "_n": pl.Int64, "_f": pl.Float64},
    )
    with_factor = terms.join(factor_frame, on=["_rate", "_n"], how="left", maintain_order="left")
    x = pl.col("_p").cast(pl.Float64) * pl.col("_f")
    estimate = with_factor.select(
        rounded=(x + 0.5).floor().cast(pl.Int64),
        unsure=((x - x.floor() - 0.5).abs() <= _RELATIVE_SLACK * (x + 1.0)),
    )
    payments = estimate["rounded"]
    unsure = estimate["unsure"]
    if unsure.any():
        # Near a half unit float64 could round the wrong way: redo those few exactly.
        index = unsure.arg_true()
        rows = with_factor[index].select("_p", "_rate", "_n").iter_rows()
        exact = []
        for p, rate, n in rows:
            f = factors[(rate, n)]
            exact.append((2 * p * f.numerator + f.denominator) // (2 * f.denominator))
        payments = payments.scatter(index, pl.Series(exact, dtype=pl.Int64))
    return payments


def _monthly_interest(outstanding: pl.Expr, rate: pl.Expr) -> pl.Expr:
    # round_half_up(o * rate / D) without overflowing int64: split o = q * D + r, then
    # o * rate / D = q * rate + r * rate / D, and r * rate stays below 1.2e18.
    d = MONTHLY_DENOMINATOR
    return (outstanding // d) * rate + (2 * (outstanding % d) * rate + d) // (2 * d)


def schedule_frame(loans: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Build every loan's installments: one row per (loan_id, number), loan by loan.

    Input columns: loan_id, principal (decimal string or Decimal), currency, annual_rate
    (decimal string or Decimal, 0.18 = 18 %), term_months, disbursed_on, first_due_on
    (dates or ISO text) and optionally schedule (empty = equal_installment).
    Output columns: loan_id, currency, number (from 1), due_on, principal, interest, fees
    (0), total, the money columns in Int64 minor units of the loan's currency.
    """
    frame = loans.collect() if isinstance(loans, pl.LazyFrame) else loans
    terms = _terms(frame)
    if terms.height == 0:
        return pl.DataFrame(schema=INSTALLMENT_SCHEMA)
    terms = terms.with_columns(
        _payment=_level_payments(terms),
        _level=(2 * pl.col("_p") + pl.col("_n")) // (2 * pl.col("_n")),
        _o=pl.col("_p"),
    )
    longest = int(terms["_n"].max())  # type: ignore[arg-type]
    kind = pl.col("_kind")
    work = terms.with_row_index("_row")
    months: list[pl.DataFrame] = []
    for k in range(1, longest + 1):
        interest = _monthly_interest(pl.col("_o"), pl.col("_rate"))
        regular = (
            pl.when(kind == "equal_installment")
            .then((pl.col("_payment") - interest).clip(lower_bound=0))
            .when(kind == "equal_principal")
            .then(pl.col("_level"))
            .otherwise(0)
        )
        paid = (
            pl.when(pl.col("_n") == k)
            .then(pl.col("_o"))
            .otherwise(pl.min_horizontal(regular, pl.col("_o")))
        )
        month = work.select(
            "_row",
            number=pl.lit(k, pl.Int32),
            due_on=pl.col("_first").dt.offset_by(f"{k - 1}mo"),
            principal=paid,
            interest=interest,
        )
        months.append(month)
        # Loans whose term has ended drop out, so later months touch fewer rows.
        work = work.with_columns(_o=pl.col("_o") - month["principal"]).filter(pl.col("_n") > k)
    # Months were produced month by month; a stable sort on the loan's row lays them out
    # loan by loan while keeping month order (far cheaper than sorting on two keys).
    long = pl.concat(months).sort("_row", maintain_order=True)
    ids = terms.select("loan_id", "currency")[long["_row"]]
    long = pl.concat([ids, long.drop("_row")], how="horizontal")
    return long.with_columns(
        fees=pl.lit(0, pl.Int64), total=pl.col("principal") + pl.col("interest")
    ).select(list(INSTALLMENT_SCHEMA))
