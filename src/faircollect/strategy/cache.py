"""Frames the cycle reads every day, kept between the days of a range and updated incrementally.

A range of dates (`run_range`, above all a simulated month) would otherwise load the whole
ledger, every consent record and the whole contact history from the database each day.
`InputCache` keeps them in memory and, each day, asks the store only what changed:

- installments: reloaded when their count changes (the simulation never adds any);
- payments: the simulation hands over the payments it writes (`note_payments`); when the
  table's count is not what the cache expects (someone else wrote or deleted one) it is
  read again in full;
- contact history: append-only, so only rows past the last `history_id` seen are read; if
  the count does not add up (a row was deleted, e.g. by retention) it is read in full;
- consent records: reloaded when their count or newest record id changes;
- earlier plans (`done`): only the business dates since the last day are read;
- borrowers and contacts: reloaded when a signature of the table changes (`table`).

Every check is one cheap aggregate query, so the cache is never stale: a day always sees
what the store holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, case, func, select

from faircollect.consent.frame import spans_frame
from faircollect.consent.repository import load_records_frame
from faircollect.portfolio.snapshot import load_installments, load_payments
from faircollect.store.tables.cycle import planned_attempts
from faircollect.store.tables.dispatch import contact_history
from faircollect.store.tables.foundation import (
    borrowers,
    consent_records,
    contacts,
    installments,
    payments,
)
from faircollect.strategy.inputs import SCHEMAS

HISTORY_SCHEMA = {"history_id": pl.Int64, **SCHEMAS["history"]}


@dataclass
class InputCache:
    """The ledger, consents and history as last read (see the module docstring)."""

    _installments: pl.DataFrame | None = None
    _inst_key: int = -1
    _payments: pl.DataFrame | None = None
    _pay_count: int = -1
    _consents: pl.DataFrame | None = None
    _consent_key: tuple[int, int] = (-1, -1)
    _history: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=HISTORY_SCHEMA))
    _hist_last: int = 0
    _tables: dict[str, tuple[tuple[object, ...], pl.DataFrame]] = field(default_factory=dict)
    _done: pl.DataFrame | None = None
    _done_span: tuple[date, date] | None = None  # [from, until) of business dates held

    @property
    def installments(self) -> pl.DataFrame | None:
        """The installments last loaded by `ledger` (None before the first load)."""
        return self._installments

    def ledger(self, conn: Connection) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(installments, payments) as `portfolio.snapshot` loads them."""
        count = int(conn.execute(select(func.count()).select_from(installments)).scalar_one())
        if self._installments is None or count != self._inst_key:
            self._installments, self._inst_key = load_installments(conn), count
            self._payments = None
        pays = int(conn.execute(select(func.count()).select_from(payments)).scalar_one())
        if self._payments is None or pays != self._pay_count:
            self._payments, self._pay_count = load_payments(conn), pays
        assert self._installments is not None and self._payments is not None
        return self._installments, self._payments

    def table(self, conn: Connection, name: str,
              load: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        """`load()` of `borrowers` or `contacts`, again only when the table's signature changed.

        The signature: row count, newest `updated_at` (every command that changes a row sets
        it), and aggregates of the columns commands change (flags, opted-out channels,
        erasure; refusals), so a row added, changed, erased or refused reloads the frame.
        """
        t = borrowers if name == "borrowers" else contacts
        cols: list[Any] = [func.count(), func.max(t.c.updated_at)]
        if t is borrowers:
            cols += [func.sum(func.length(t.c.flags)),
                     func.sum(func.length(t.c.opted_out_channels)), func.count(t.c.erased_at)]
        else:
            cols += [func.sum(case((t.c.refused_contact.is_(True), 1), else_=0))]
        key = tuple(conn.execute(select(*cols).select_from(t)).one())
        held = self._tables.get(name)
        if held is None or held[0] != key:
            held = self._tables[name] = (key, load())
        return held[1]

    def note_payments(self, rows: list[tuple[str, date, int]]) -> None:
        """Payments (loan_id, paid_on, amount minor) just committed by the caller."""
        if self._payments is None or not rows:
            return
        fresh = pl.DataFrame(rows, schema=self._payments.schema, orient="row")
        self._payments = pl.concat([self._payments, fresh])
        self._pay_count += len(rows)

    def consents(self, conn: Connection) -> pl.DataFrame:
        """Spans of the contact_designated_contact purpose (planner `consents` columns)."""
        key = conn.execute(select(func.count(), func.coalesce(
            func.max(consent_records.c.record_id), 0)).select_from(consent_records)).one()
        k = (int(key[0]), int(key[1]))
        if self._consents is None or k != self._consent_key:
            spans = spans_frame(load_records_frame(conn)).filter(
                pl.col("purpose") == "contact_designated_contact")
            self._consents = spans.select("borrower_id", "contact_id", granted_at="start",
                                          expires_at="expires", withdrawn_at="withdrawn_at")
            self._consent_key = k
        return self._consents

    def done(self, conn: Connection, day: date, days: int) -> pl.DataFrame:
        """Earlier plans (planner `done` columns) of the `days` business dates before `day`.

        Earlier dates are never planned again once a later one ran, so only the dates since
        the last call are read; the count of the window is checked against the store.
        """
        p = planned_attempts.c
        low = day - timedelta(days=days)
        cols = (p.borrower_id, p.step_id, p.contact_id, p.business_date, p.allowed)

        def load(start: date) -> pl.DataFrame:
            rows = conn.execute(select(*cols).where(p.business_date < day,
                                                    p.business_date >= start)).all()
            return pl.DataFrame([tuple(r) for r in rows], schema=SCHEMAS["done"], orient="row")

        count = int(conn.execute(select(func.count()).select_from(planned_attempts).where(
            p.business_date < day, p.business_date >= low)).scalar_one())
        frame = None
        if self._done is not None and self._done_span is not None and (
                self._done_span[0] <= low and self._done_span[1] <= day):
            frame = pl.concat([self._done, load(self._done_span[1])]).filter(
                pl.col("business_date") >= low)
        if frame is None or frame.height != count:
            frame = load(low)
        self._done, self._done_span = frame, (low, day)
        return frame

    def history(self, conn: Connection) -> pl.DataFrame:
        """Every contact-history row (planner `history` columns plus `history_id`)."""
        h = contact_history.c
        count, last = conn.execute(select(func.count(), func.coalesce(func.max(h.history_id), 0))
                                   ).one()
        if last < self._hist_last or count < self._history.height:
            self._history, self._hist_last = pl.DataFrame(schema=HISTORY_SCHEMA), 0
        if last > self._hist_last:
            rows = conn.execute(select(h.history_id, h.borrower_id, h.at, h.channel, h.audience,
                                       h.contact_id, h.outcome).where(
                h.history_id > self._hist_last)).all()
            fresh = pl.DataFrame([tuple(r) for r in rows], schema=HISTORY_SCHEMA, orient="row")
            self._history = pl.concat([self._history, fresh])
            self._hist_last = int(last)
        if self._history.height != count:  # a row went missing: read it all again
            rows = conn.execute(select(h.history_id, h.borrower_id, h.at, h.channel, h.audience,
                                       h.contact_id, h.outcome)).all()
            self._history = pl.DataFrame([tuple(r) for r in rows], schema=HISTORY_SCHEMA,
                                         orient="row")
            self._hist_last = int(last)
        return self._history
