"""Behaviour characteristics on a hand-made ledger, and segments from a probability."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from faircollect.risk.behaviour import behaviour_features
from faircollect.risk.segments import segment_expr

DAY = date(2026, 5, 1)


def _ledger() -> tuple[pl.DataFrame, pl.DataFrame]:
    inst = pl.DataFrame({
        "loan_id": ["L1", "L1", "L1", "L2", "L2", "L2"],
        "borrower_id": ["a", "a", "a", "b", "b", "b"],
        "number": [1, 2, 3, 1, 2, 3],
        "due_on": [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)] * 2,
        "principal": [900] * 6, "interest": [100] * 6, "fees": [0] * 6,
    })
    # a pays everything on time; b paid nothing at all
    pays = pl.DataFrame({"loan_id": ["L1", "L1", "L1"],
                         "paid_on": [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)],
                         "amount": [1000, 1000, 1000]})
    return inst, pays


def test_features_by_hand() -> None:
    inst, pays = _ledger()
    t = lambda d, h=10: datetime(2026, 4, d, h, tzinfo=UTC)  # noqa: E731
    history = pl.DataFrame({
        "borrower_id": ["b", "b", "b", "b", "a"],
        "at": [t(20), t(21), t(22), datetime(2026, 2, 1, tzinfo=UTC), t(25)],
        "channel": ["call", "call", "sms", "call", "call"],
        "audience": ["borrower"] * 5,
        "outcome": ["no_answer", "connected", "delivered", "no_answer", "connected"],
    })
    promises = pl.DataFrame({
        "borrower_id": ["b", "b", "a"], "loan_id": ["L2", "L2", "L1"],
        "amount_minor": [500, 500, 1000],
        "promised_on": [date(2026, 3, 1), date(2026, 4, 10), date(2026, 3, 25)],
        "due_on": [date(2026, 3, 5), date(2026, 5, 10), date(2026, 4, 2)],
        "cancelled": [False, False, False],
    })
    f = {r["borrower_id"]: r for r in behaviour_features(inst, pays, history, promises, DAY)
         .iter_rows(named=True)}
    # b owes since 1 Feb: 89 days past due on 1 May; 30 days before (1 Apr) 59
    assert f["b"]["dpd"] == 89 and f["b"]["max_dpd_90d"] == 89
    assert f["a"]["dpd"] == 0 and f["a"]["max_dpd_90d"] == 0
    # 90 days back from 1 May is 31 Jan: a paid three times, all of what fell due
    assert f["a"]["payments_90d"] == 3 and f["a"]["paid_share_90d"] == 1.0
    assert f["b"]["payments_90d"] == 0 and f["b"]["paid_share_90d"] == 0.0
    # b's promise due 5 Mar went unpaid (broken); the one due 10 May is not yet due;
    # a's promise was met by the 1 Apr payment
    assert (f["b"]["promises_kept"], f["b"]["promises_broken"]) == (0, 1)
    assert (f["a"]["promises_kept"], f["a"]["promises_broken"]) == (1, 0)
    # within 30 days: b reached once (the call), one unanswered call; the Feb call is too old
    assert (f["b"]["contacts_reached_30d"], f["b"]["contacts_failed_30d"]) == (1, 1)
    assert (f["a"]["contacts_reached_30d"], f["a"]["contacts_failed_30d"]) == (1, 0)


def test_segment_bands() -> None:
    pd_ = pl.DataFrame({"p": [0.0, 0.1499, 0.15, 0.4999, 0.5, 0.99, None]})
    got = pd_.select(segment_expr(pl.col("p")).alias("s"))["s"].to_list()
    assert got == ["low", "low", "standard", "standard", "high", "high", "standard"]
