"""The portfolio summary: buckets, balances and roll rates, as data and as an HTML page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape

from faircollect.ledger.buckets import DEFAULT_BUCKETS
from faircollect.ledger.money import minor_units


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
    roll_balances: list[list[float | None]]
    bucket_names: list[str]
    currencies: list[str]


def _to_money(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_units(currency))


def roll_matrix(before: pl.DataFrame, after: pl.DataFrame, names: list[str]) -> tuple[
    list[list[float | None]], list[list[float | None]]
]:
    """Shares of accounts and of balances moving from bucket i (before) to bucket j (after)."""
    joined = before.select("loan_id", pl.col("bucket").cast(pl.String).alias("b0"),
                           pl.col("outstanding_principal").alias("bal")).join(
        after.select("loan_id", pl.col("bucket").cast(pl.String).alias("b1")), on="loan_id"
    )
    counts = joined.group_by("b0", "b1").agg(pl.len().alias("n"), pl.col("bal").sum().alias("bal"))
    index = {(r["b0"], r["b1"]): (r["n"], r["bal"]) for r in counts.iter_rows(named=True)}
    accounts: list[list[float | None]] = []
    balances: list[list[float | None]] = []
    for source in names:
        n_total = sum(index.get((source, t), (0, 0))[0] for t in names)
        b_total = sum(index.get((source, t), (0, 0))[1] for t in names)
        accounts.append([index.get((source, t), (0, 0))[0] / n_total if n_total else None for t in names])
        balances.append([index.get((source, t), (0, 0))[1] / b_total if b_total else None for t in names])
    return accounts, balances


def summarise(current: pl.DataFrame, previous: pl.DataFrame, as_of: date, prev_day: date) -> PortfolioSummary:
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
        bal = {r["currency"]: _to_money(r["bal"], r["currency"]) for r in part.iter_rows(named=True)}
        rows.append(BucketRow(name, n, n / total, bal))
    # Roll rates by balance only make sense within a currency mix; shares are per-currency
    # neutral for accounts, and balances are summed in minor units of similar scale (2 places).
    acc, bal = roll_matrix(previous.filter(pl.col("outstanding_principal") > 0), current, names)
    return PortfolioSummary(as_of, prev_day, open_now.height, rows, acc, bal, names, currencies)


def write_html(summary: PortfolioSummary, path: Path, *, title: str = "FairCollect portfolio report") -> Path:
    """Write the summary as a self-contained HTML page (inline SVG chart, no scripts)."""
    env = Environment(
        loader=PackageLoader("faircollect.reports", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    html = env.get_template("portfolio.html").render(s=summary, title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
