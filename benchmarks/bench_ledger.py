"""Delinquency snapshot of a whole portfolio, beside a raw Polars scan of the same rows.

Figures: seconds for `snapshot` over 1M loans with 12 installments each (12M installment
rows and about 5M payments), target <= 3 s on 2 cores; and seconds for `schedule_frame` to
build those 12M installments from the loans frame (reported). The limit is the cheapest
query that still touches every installment of every loan: a group_by(loan_id) sum of the
installment totals over the same frame, measured in the same run. Quick mode uses 100k
loans and scales the target linearly.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl

from faircollect.ledger import schedule_frame, snapshot

TARGET_SECONDS = 3.0
FULL_LOANS = 1_000_000
AS_OF = date(2025, 3, 20)


def _loans(count: int) -> pl.DataFrame:
    """A reproducible portfolio, drawn with hashes so no random generator is needed."""
    index = pl.int_range(0, count, dtype=pl.UInt64)

    def draw(seed: int, modulo: int) -> pl.Expr:
        return (index.hash(seed) % modulo).cast(pl.Int64)

    rates = pl.Series(["0.0435", "0.12", "0.18", "0.24", "0.36"])
    kinds = pl.Series(["equal_installment"] * 3 + ["equal_principal", "bullet"])
    return pl.select(
        loan_id=pl.format("L{}", index.cast(pl.String).str.zfill(8)),
        principal=pl.format(
            "{}.{}",
            (draw(1, 49_000) + 1_000).cast(pl.String),
            draw(2, 100).cast(pl.String).str.zfill(2),
        ),
        currency=pl.lit("CNY"),
        annual_rate=pl.lit(rates).gather(draw(3, rates.len())),
        term_months=pl.lit(12, pl.Int64),
        disbursed_on=pl.lit(date(2024, 1, 1)) + pl.duration(days=draw(4, 120)),
        schedule=pl.lit(kinds).gather(draw(5, kinds.len())),
    ).with_columns(first_due_on=pl.col("disbursed_on") + pl.duration(days=30))


def _payments(installments: pl.DataFrame) -> pl.DataFrame:
    """Each loan pays its first k installments on time (k drawn per loan), some a bit short."""
    paid_count = (pl.col("loan_id").hash(7) % 13).cast(pl.Int32)
    short = (pl.col("loan_id").hash(8) % 10 == 0) & (pl.col("number") == paid_count)
    return installments.filter(pl.col("number") <= paid_count).select(
        "loan_id",
        paid_on=pl.col("due_on") + pl.duration(days=(pl.col("number") % 3).cast(pl.Int64)),
        amount=pl.when(short).then(pl.col("total") // 2).otherwise(pl.col("total")),
    )


def _best(action: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Measure; one row per figure."""
    count = FULL_LOANS // 10 if quick else FULL_LOANS
    repeats = 3
    loans = _loans(count)
    started = time.perf_counter()
    installments = schedule_frame(loans)
    build = time.perf_counter() - started
    payments = _payments(installments)

    def scan() -> object:
        return installments.group_by("loan_id").agg(pl.col("total").sum())

    ours = _best(lambda: snapshot(installments, payments, AS_OF), repeats)
    peer = _best(scan, repeats)
    target = TARGET_SECONDS * count / FULL_LOANS
    threads = pl.thread_pool_size()
    size = (
        f"{count:,} loans x 12 ({installments.height:,} installments, {payments.height:,} payments)"
    )
    return [
        {
            "figure": f"delinquency snapshot, {size}, {threads} threads",
            "ours": ours,
            "unit": "s",
            "peer": "raw Polars group_by(loan_id) sum over the same installments",
            "peer_value": peer,
            "ratio": ours / peer,
            "target": f"<= {target:.2g} s" + (" (3 s per 1M, scaled)" if quick else ""),
            "met": ours <= target,
        },
        {
            "figure": f"schedule_frame, {count:,} loans -> {installments.height:,} installments",
            "ours": build,
            "unit": "s",
            "peer": "raw Polars group_by(loan_id) sum over the output",
            "peer_value": peer,
            "ratio": build / peer,
            "target": None,
            "met": None,
        },
    ]


def _table(rows: list[dict[str, Any]]) -> str:
    keys = ("figure", "ours", "unit", "peer", "peer_value", "ratio", "target", "met")

    def fmt(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    cells = [list(keys)] + [[fmt(row[k]) for k in keys] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(keys))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells
    )


if __name__ == "__main__":
    print(_table(run(quick="--quick" in sys.argv[1:] or bool(os.environ.get("QUICK")))))
