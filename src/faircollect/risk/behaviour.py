"""Behaviour and collection characteristics from the ledger and contact history (pure Polars).

Per borrower, as of a business date (all vectorised, one pass per frame):

    dpd                   days past due now (0 when not late)
    max_dpd_90d           worst days past due at the date and 30, 60, 90 days before
    payments_90d          payments received in the 90 days up to the date
    paid_share_90d        paid in those 90 days / due in them (null when nothing fell due)
    promises_kept         promises to pay, due before the date, met by payments on the loan
                          from the day promised to the due date
    promises_broken       such promises not met
    contacts_reached_30d  the borrower's own attempts answered (connected) in 30 days
    contacts_failed_30d   the borrower's own call attempts unanswered in 30 days

The collection model predicts, from these, whether an account rolls forward (is not cured)
within 30 days; its probability sets the account's risk segment (`segments`).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from faircollect.ledger.snapshot import snapshot

FEATURES = ("dpd", "max_dpd_90d", "payments_90d", "paid_share_90d", "promises_kept",
            "promises_broken", "contacts_reached_30d", "contacts_failed_30d")
REACHED = ("connected",)
MISSED = ("no_answer", "busy", "failed")


def _dpd_at(inst: pl.DataFrame, pays: pl.DataFrame, owners: pl.DataFrame, day: date,
            name: str) -> pl.DataFrame:
    snap = snapshot(inst.drop("borrower_id", strict=False), pays, day).join(owners, on="loan_id")
    return snap.group_by("borrower_id").agg(pl.col("days_past_due").max().alias(name))


def behaviour_features(installments: pl.DataFrame, payments: pl.DataFrame,
                       history: pl.DataFrame, promises: pl.DataFrame, day: date) -> pl.DataFrame:
    """One row per borrower with installments: borrower_id and the FEATURES above.

    installments: loan_id, borrower_id, number, due_on, principal, interest, fees;
    payments: loan_id, paid_on, amount; history: borrower_id, at, channel, audience,
    outcome; promises: borrower_id, loan_id, amount_minor, promised_on, due_on, cancelled.
    """
    owners = installments.select("loan_id", "borrower_id").unique("loan_id")
    pays = payments.filter(pl.col("paid_on") <= day)
    now = _dpd_at(installments, pays, owners, day, "dpd")
    out = now
    for back in (30, 60, 90):
        then = day - timedelta(days=back)
        out = out.join(_dpd_at(installments, pays.filter(pl.col("paid_on") <= then), owners,
                               then, f"_d{back}"), on="borrower_id", how="left")
    out = out.with_columns(
        dpd=pl.col("dpd").clip(lower_bound=0),
        max_dpd_90d=pl.max_horizontal("dpd", "_d30", "_d60", "_d90").clip(lower_bound=0),
    ).drop("_d30", "_d60", "_d90")
    start = day - timedelta(days=90)
    recent = pays.filter(pl.col("paid_on") > start).join(owners, on="loan_id")
    paid = recent.group_by("borrower_id").agg(payments_90d=pl.len(),
                                              _paid=pl.col("amount").sum())
    due = installments.filter((pl.col("due_on") > start) & (pl.col("due_on") <= day)).group_by(
        "borrower_id").agg(_due=(pl.col("principal") + pl.col("interest") + pl.col("fees")).sum())
    out = out.join(paid, on="borrower_id", how="left").join(due, on="borrower_id", how="left")
    out = out.with_columns(
        payments_90d=pl.col("payments_90d").fill_null(0).cast(pl.Int64),
        paid_share_90d=pl.when(pl.col("_due") > 0).then(
            (pl.col("_paid").fill_null(0) / pl.col("_due")).clip(upper_bound=2.0)),
    ).drop("_paid", "_due")
    out = out.join(_promises(promises, payments, day), on="borrower_id", how="left")
    out = out.join(_contacts(history, day), on="borrower_id", how="left")
    return out.with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in (
        "promises_kept", "promises_broken", "contacts_reached_30d", "contacts_failed_30d"))


def _promises(promises: pl.DataFrame, payments: pl.DataFrame, day: date) -> pl.DataFrame:
    due = promises.filter(~pl.col("cancelled") & (pl.col("due_on") < day)).with_row_index("_p")
    paid = due.join(payments, on="loan_id").filter(
        (pl.col("paid_on") >= pl.col("promised_on")) & (pl.col("paid_on") <= pl.col("due_on"))
    ).group_by("_p").agg(_paid=pl.col("amount").sum())
    kept = due.join(paid, on="_p", how="left").with_columns(
        _kept=pl.col("_paid").fill_null(0) >= pl.col("amount_minor"))
    return kept.group_by("borrower_id").agg(promises_kept=pl.col("_kept").sum(),
                                            promises_broken=(~pl.col("_kept")).sum())


def _contacts(history: pl.DataFrame, day: date) -> pl.DataFrame:
    start = day - timedelta(days=30)
    own = history.filter((pl.col("audience") == "borrower")
                         & (pl.col("at").dt.date() >= start) & (pl.col("at").dt.date() < day))
    return own.group_by("borrower_id").agg(
        contacts_reached_30d=pl.col("outcome").is_in(list(REACHED)).sum(),
        contacts_failed_30d=((pl.col("channel") == "call")
                             & pl.col("outcome").is_in(list(MISSED))).sum())


def collection_labels(installments: pl.DataFrame, payments: pl.DataFrame, day: date,
                      horizon: int = 30) -> pl.DataFrame:
    """borrower_id, rolled for every borrower past due on `day`: 1 when still past due
    `horizon` days later (not cured), 0 when cured by then. Uses payments up to that later
    date, so `day + horizon` must not be after the ledger's last date."""
    owners = installments.select("loan_id", "borrower_id").unique("loan_id")
    later = day + timedelta(days=horizon)
    now = _dpd_at(installments, payments.filter(pl.col("paid_on") <= day), owners, day, "d0")
    then = _dpd_at(installments, payments.filter(pl.col("paid_on") <= later), owners, later,
                   "d1")
    return (now.filter(pl.col("d0") > 0).join(then, on="borrower_id", how="left")
            .select("borrower_id", rolled=(pl.col("d1").fill_null(0) > 0).cast(pl.Int64)))
