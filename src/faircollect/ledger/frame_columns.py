"""Vectorised reading of loan and payment columns into exact integers.

Frames carry money as Int64 minor units (cents) and annual rates as Int64 in 1e-8 units.
Integers are exact like Decimal but add, compare and cumulate at machine speed, where Polars
Decimal arithmetic is slower and its scale has to be managed per currency anyway. The
parsing here accepts exactly what the scalar `Money.parse` and `rate_units` accept, and a
bad value raises InputError naming the column, the loan and the value.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from faircollect.errors import InputError
from faircollect.ledger.money import MINOR_UNITS

# Twelve integer digits (a trillion) leaves int64 room for every product the schedule forms.
_DECIMAL_PATTERN = r"^\d{1,12}(\.\d+)?$"


def require_columns(frame: pl.DataFrame, columns: tuple[str, ...], *, name: str) -> None:
    """Raise InputError naming the first missing column."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{name}: missing column(s) {', '.join(missing)}", field=missing[0])


def fail_on(frame: pl.DataFrame, bad: pl.Expr, *, column: str, reason: str, key: str) -> None:
    """Raise InputError for the first row where `bad` holds, naming the row by `key`."""
    offending = frame.filter(bad.fill_null(True)).head(1)
    if offending.height:
        row = offending.row(0, named=True)
        raise InputError(
            f"{key} {row[key]}: {column} {row[column]!r} {reason}",
            field=column,
            **{key: row[key]},
        )


def _as_text(frame: pl.DataFrame, column: str, key: str) -> pl.Expr:
    dtype = frame.schema[column]
    if dtype == pl.String or isinstance(dtype, pl.Decimal):
        return pl.col(column).cast(pl.String).str.strip_chars()
    # Floats cannot hold cents exactly and bare integers hide their unit: both are refused.
    fail_on(
        frame,
        pl.lit(True),
        column=column,
        reason=f"must be a decimal string or Decimal, not {dtype}",
        key=key,
    )
    return pl.col(column)  # an empty frame: nothing to convert


def scaled_integer(frame: pl.DataFrame, column: str, places: pl.Expr, *, key: str) -> pl.Expr:
    """Validate `column` as non-negative decimal text and return it times 10**places.

    Trailing zeros beyond `places` are fine ("10.050" USD); other extra digits are refused.
    """
    text = _as_text(frame, column, key)
    fraction = text.str.extract(r"\.(\d+)$", 1).fill_null("").str.strip_chars_end("0")
    digits = fraction.str.len_chars().cast(pl.Int64)
    fail_on(
        frame,
        ~text.str.contains(_DECIMAL_PATTERN),
        column=column,
        reason="is not a non-negative decimal number",
        key=key,
    )
    fail_on(
        frame,
        digits > places,
        column=column,
        reason="has more decimal places than allowed",
        key=key,
    )
    whole = text.str.extract(r"^(\d+)", 1).cast(pl.Int64)
    part = pl.when(digits > 0).then(fraction.cast(pl.Int64, strict=False)).otherwise(0)
    ten = pl.lit(10, pl.Int64)
    return whole * ten.pow(places) + part * ten.pow(places - digits)


def currency_places(frame: pl.DataFrame, *, key: str, column: str = "currency") -> pl.Expr:
    """The ISO 4217 minor units of each row's currency; unknown currencies are refused."""
    fail_on(
        frame,
        ~pl.col(column).is_in(list(MINOR_UNITS)),
        column=column,
        reason="is not a known ISO 4217 currency",
        key=key,
    )
    return pl.col(column).replace_strict(MINOR_UNITS, return_dtype=pl.Int64)


def date_column(frame: pl.DataFrame, column: str, *, key: str) -> pl.Expr:
    """A Date column as is, or ISO text parsed; unreadable or missing dates are refused."""
    dtype = frame.schema[column]
    if dtype == pl.Date:
        expr = pl.col(column)
    elif dtype == pl.String:
        expr = pl.col(column).str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
    elif dtype == pl.Datetime:
        expr = pl.col(column).dt.date()
    else:
        raise InputError(f"{column}: expected dates, got {dtype}", field=column)
    fail_on(frame, expr.is_null(), column=column, reason="is not an ISO date", key=key)
    return expr


def as_date(value: object) -> date:
    """Check a scalar as-of date (a datetime is refused: the ledger counts whole days)."""
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise InputError(f"as_of: expected a date, got {type(value).__name__}", field="as_of")
    return value
