"""The portfolio summary: buckets, balances and roll rates, as data and as an HTML page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape

from faircollect.ledger.buckets import DEFAULT_BUCKETS
from faircollect.ledger.money import Money
from faircollect.ledger.roll_rates import roll_rates


@dataclass(frozen=True)
class BucketRow:
    bucket: str
    accounts: int
    share: float
    balances: dict[str, Decimal]


@dataclass(frozen=True)
class PortfolioSummary:
    as_of: date
    previous: date
    loans: int
    buckets: list[BucketRow]
    roll_accounts: list[list[float | None]]
    roll_balances: dict[str, list[list[float | None]]]
    bucket_names: list[str]
    currencies: list[str]


def _matrix(long: pl.DataFrame, names: list[str], value: str) -> list[list[float | None]]:
    """A from x to matrix of shares from the ledger's long-form roll rates."""
    totals = long.group_by("from_bucket", "to_bucket").agg(pl.col(value).sum())
    index = {(r["from_bucket"], r["to_bucket"]): r[value] for r in totals.iter_rows(named=True)}
    matrix: list[list[float | None]] = []
    for source in names:
        whole = sum(index.get((source, t), 0) for t in names)
        matrix.append([index.get((source, t), 0) / whole if whole else None for t in names])
    return matrix


def summarise(
    current: pl.DataFrame, previous: pl.DataFrame, as_of: date, prev_day: date
) -> PortfolioSummary:
    """Bucket counts and balances per currency now, and roll rates from `prev_day` to `as_of`."""
    names = list(DEFAULT_BUCKETS.names)
    open_now = current.filter(pl.col("outstanding_principal") > 0)
    total = open_now.height or 1
    currencies = sorted(open_now["currency"].unique().to_list())
    grouped = open_now.group_by(pl.col("bucket").cast(pl.String), "currency").agg(
        pl.len().alias("n"), pl.col("outstanding_principal").sum().alias("bal")
    )
    rows = []
    for name in names:
        part = grouped.filter(pl.col("bucket") == name)
        n = int(part["n"].sum())
        bal = {
            r["currency"]: Money(r["bal"], r["currency"]).amount for r in part.iter_rows(named=True)
        }
        rows.append(BucketRow(name, n, n / total, bal))
    # Account shares pool every currency; balance shares are per currency (amounts of
    # different currencies cannot be added).
    long = roll_rates(previous.filter(pl.col("outstanding_principal") > 0), current)
    long = long.with_columns(
        pl.col("from_bucket").cast(pl.String), pl.col("to_bucket").cast(pl.String)
    )
    accounts = _matrix(long, names, "accounts")
    balances = {
        c: _matrix(long.filter(pl.col("currency") == c), names, "balance") for c in currencies
    }
    return PortfolioSummary(
        as_of, prev_day, open_now.height, rows, accounts, balances, names, currencies
    )


def render_html(summary: PortfolioSummary, *, title: str = "FairCollect portfolio report") -> str:
    """The summary as a self-contained HTML page (inline SVG chart, no scripts)."""
    env = Environment(
        loader=PackageLoader("faircollect.reports", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    return env.get_template("portfolio.html").render(s=summary, title=title)


def write_html(
    summary: PortfolioSummary, path: Path, *, title: str = "FairCollect portfolio report"
) -> Path:
    """Write `render_html` to `path`, readable by its owner only."""
    from faircollect.private import ensure_private_dir, write_private

    ensure_private_dir(path.parent)
    return write_private(path, render_html(summary, title=title).encode("utf-8"))


def portfolio_summary(conn: Any, as_of: date, previous: date | None = None) -> PortfolioSummary:
    """The summary as of `as_of`, with roll rates from `previous` (default a month before)."""
    from faircollect.ledger.schedule import add_months
    from faircollect.portfolio.snapshot import portfolio_snapshot

    if previous is None:
        previous = add_months(as_of, -1) if as_of.day <= 28 else as_of - timedelta(days=30)
    return summarise(portfolio_snapshot(conn, as_of), portfolio_snapshot(conn, previous),
                     as_of, previous)


def summary_dict(summary: PortfolioSummary) -> dict[str, Any]:
    """The summary as JSON-ready data (amounts as decimal strings)."""
    return {
        "as_of": summary.as_of.isoformat(), "previous": summary.previous.isoformat(),
        "loans": summary.loans, "currencies": summary.currencies,
        "buckets": [{"bucket": b.bucket, "accounts": b.accounts, "share": b.share,
                     "balances": {c: str(v) for c, v in b.balances.items()}}
                    for b in summary.buckets],
        "bucket_names": summary.bucket_names,
        "roll_accounts": summary.roll_accounts, "roll_balances": summary.roll_balances,
    }
