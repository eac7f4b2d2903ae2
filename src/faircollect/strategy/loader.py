"""Assemble the planner's inputs for a business date from the store (read only)."""

from __future__ import annotations

from datetime import date, datetime, time

import polars as pl
from sqlalchemy import Connection, func, select

from faircollect.cases.state import case_state, with_live_cases
from faircollect.errors import InputError
from faircollect.ledger.snapshot import snapshot
from faircollect.store.tables.dispatch import outbox
from faircollect.store.tables.foundation import borrowers, contacts, loans
from faircollect.strategy.cache import InputCache
from faircollect.strategy.inputs import SCHEMAS, UTC_TS, PlanInputs
from faircollect.strategy.reachability import unreachable_since

DONE_DAYS = 240  # the longest episode a playbook follows, plus its notices
NO_STAGE = -100_000  # an account with nothing due: outside every stage


def _frame(conn: Connection, query: object, schema: dict[str, object]) -> pl.DataFrame:
    rows = conn.execute(query).all()  # type: ignore[call-overload]
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")  # type: ignore[arg-type]


def portfolio_start(conn: Connection) -> date | None:
    """The first disbursement date in the store, or None without loans."""
    first = conn.execute(select(func.min(loans.c.disbursed_on))).scalar()
    return first if isinstance(first, date) else None


def account_positions(conn: Connection, day: date,
                      cache: InputCache | None = None) -> pl.DataFrame:
    """Per borrower: signed dpd, overdue and next-due amounts (minor units), currency."""
    inst, pays = (cache or InputCache()).ledger(conn)
    owners = inst.select("loan_id", "borrower_id").unique("loan_id")
    snap = snapshot(inst.drop("borrower_id"), pays, day).join(owners, on="loan_id")
    nxt = inst.join(snap.select("loan_id", "next_due_on"), on="loan_id").filter(
        pl.col("due_on") == pl.col("next_due_on")).group_by("loan_id").agg(
        next_amount=(pl.col("principal") + pl.col("interest") + pl.col("fees")).sum())
    snap = snap.join(nxt, on="loan_id", how="left")
    per = snap.group_by("borrower_id").agg(
        dpd_max=pl.col("days_past_due").max(), overdue_minor=pl.col("overdue_amount").sum(),
        due_date=pl.col("next_due_on").min(), next_amount=pl.col("next_amount").sum(),
        currency=pl.col("currency").first())
    until = (pl.col("due_date") - pl.lit(day)).dt.total_days()
    return per.with_columns(dpd=pl.when(pl.col("dpd_max") > 0).then(pl.col("dpd_max"))
                            .when(pl.col("due_date").is_not_null()).then(-until)
                            .otherwise(NO_STAGE).cast(pl.Int32))


def _case_flags(conn: Connection, ids: list[str], day: date) -> pl.DataFrame:
    """promise_pending, plan_active and the effective flags of borrowers with live cases.

    Only borrowers whose case can matter on `day` are read: a promise not cancelled and not
    yet due (a promise past its due date is kept or broken, no longer pending), any payment
    plan, any hardship pause (a lapsed one drops its flag).
    """
    with_cases = with_live_cases(conn, day)
    wanted = [b for b in ids if b in with_cases]
    at = datetime.combine(day, time(0)).astimezone()
    states = case_state(conn, wanted, as_of=at) if wanted else {}
    return pl.DataFrame(
        [(b, s["promise"] is not None, s["plan"] is not None, list(s["flags"]))
         for b, s in states.items()],
        schema={"borrower_id": pl.String, "promise_pending": pl.Boolean,
                "plan_active": pl.Boolean, "case_flags": pl.List(pl.String)}, orient="row")


def _people(conn: Connection) -> pl.DataFrame:
    """Borrowers not erased: jurisdiction, zone, locale, flags and opted-out channels."""
    b = borrowers.c
    return _frame(conn, select(b.borrower_id, b.jurisdiction, b.timezone, b.locale, b.flags,
                               b.opted_out_channels).where(b.erased_at.is_(None)),
                  {"borrower_id": pl.String, "jurisdiction": pl.String,
                   "timezone": pl.String, "locale": pl.String, "flags": pl.String,
                   "opted_out": pl.String})


def _contacts(conn: Connection) -> pl.DataFrame:
    c = contacts.c
    return _frame(conn, select(c.borrower_id, c.contact_id, c.relation, c.source,
                               c.refused_contact), SCHEMAS["contacts"])


def load_inputs(conn: Connection, day: date, *, min_dpd: int = -3,
                skip: set[str] | None = None,
                cache: InputCache | None = None) -> tuple[PlanInputs, pl.DataFrame]:
    """The planner's inputs for `day`, and the per-borrower positions (for rendering).

    `cache` keeps the ledger, consents and history between the days of a range.
    """
    cache = cache or InputCache()
    pos = account_positions(conn, day, cache).filter(pl.col("dpd") >= min_dpd)
    if skip:
        pos = pos.filter(~pl.col("borrower_id").is_in(list(skip)))
    people = cache.table(conn, "borrowers", lambda: _people(conn))
    acc = pos.join(people, on="borrower_id")
    ids = acc["borrower_id"].to_list()
    cases = _case_flags(conn, ids, day)
    end = datetime.combine(day, time(0)).replace(tzinfo=None)
    history = cache.history(conn).drop("history_id").filter(
        pl.col("at").dt.replace_time_zone(None) < end)
    history = history.join(acc.select("borrower_id"), on="borrower_id", how="semi")
    unreach = unreachable_since(history)
    acc = (
        acc.join(cases, on="borrower_id", how="left").join(unreach, on="borrower_id", how="left")
        .with_columns(
            flags=pl.when(pl.col("case_flags").is_not_null()).then(pl.col("case_flags"))
            .otherwise(pl.col("flags").str.split(";").list.eval(
                pl.element().filter(pl.element() != ""))),
            opted_out=pl.col("opted_out").str.split(";").list.eval(
                pl.element().filter(pl.element() != "")),
            promise_pending=pl.col("promise_pending").fill_null(False),
            plan_active=pl.col("plan_active").fill_null(False),
            segment=pl.lit("standard"),
        )
    )
    people_contacts = cache.table(conn, "contacts", lambda: _contacts(conn))
    consents = cache.consents(conn)
    o = outbox.c
    notices = _frame(conn, select(o.borrower_id, o.sent_at, o.notice_kind).where(
        o.notice_kind.is_not(None), o.state == "sent", o.audience == "borrower"),
        {"borrower_id": pl.String, "at": UTC_TS, "kind": pl.String})
    done = cache.done(conn, day, DONE_DAYS)
    inputs = PlanInputs(acc, people_contacts, consents, history, notices, done).checked()
    return inputs, acc.select("borrower_id", "next_amount")


def require_portfolio(conn: Connection, day: date) -> None:
    """InputError when there is no portfolio, or `day` is before it began."""
    start = portfolio_start(conn)
    if start is None:
        raise InputError("no portfolio in the store: import one first", field="date")
    if day < start:
        raise InputError(f"date {day} is before the portfolio begins ({start})", field="date")
