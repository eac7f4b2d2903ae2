"""The compliance report: what the cycle did and did not do, and why, over a period.

Attempts by hour of the borrower's local day, denials by category and rule, contact persons
contacted and why, complaints, holds, address-book contacts awaiting deletion (counted from
their tokens, never decrypted), roll rates, and champion/challenger arms. Only counts and
ids of rules and playbook steps appear: no names, numbers or message bodies.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Connection, func, select

from faircollect.ledger.roll_rates import roll_rates
from faircollect.portfolio.snapshot import portfolio_snapshot
from faircollect.reports.portfolio import _matrix
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.cases import complaints
from faircollect.store.tables.cycle import planned_attempts
from faircollect.store.tables.dispatch import outbox
from faircollect.store.tables.foundation import borrowers, contacts, loans, payments
from faircollect.strategy.experiments import compare_arms
from faircollect.strategy.library import shipped_playbooks
from faircollect.vocabulary import HOLD_FLAGS


@dataclass(frozen=True)
class ComplianceReport:
    """Everything the page shows, as plain values."""

    start: date
    end: date
    attempts: int
    allowed: int
    sent: int
    by_hour: list[int]  # messages sent, by the borrower-local hour they were sent
    at_send: dict[str, int]  # what the worker's send-time decision did with queued messages
    denials_by_category: list[tuple[str, int]]
    denials_by_rule: list[tuple[str, int]]
    contact_persons: list[dict[str, Any]]
    complaints: list[tuple[str, str, int]]
    holds: list[tuple[str, int]]
    address_book_awaiting_deletion: int
    # Imported numbers the numbering plan does not list (flagged phone_unverified at import).
    phones_unverified: dict[str, int]
    roll_names: list[str]
    roll_accounts: list[list[float | None]]
    arms: list[dict[str, Any]]
    # Training certificates that expire within 30 days of the period's end (not renewed).
    expiring_training: list[dict[str, Any]] = field(default_factory=list)
    # Alerts of each approved risk model's latest monitoring run (drift, calibration,
    # discrimination, fairness): model, version, metric, value, band.
    model_alerts: list[dict[str, Any]] = field(default_factory=list)


def _rows(conn: Connection, query: Any) -> list[Any]:
    return list(conn.execute(query))


def _count_flagged(conn: Connection, table: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(
        table.c.phone_unverified.is_(True))).scalar_one())


REPORT_STEPS = 7  # what `on_progress` counts to: each a read or an aggregate of the store


def build_report(conn: Connection, start: date, end: date,
                 on_progress: Callable[[int, int], None] | None = None) -> ComplianceReport:
    """Gather the report for business dates `start`..`end` from the store.

    `on_progress(done, REPORT_STEPS)` is told after each step (the attempts, the outbox,
    the deferrals, the contact persons and holds, the two snapshots, the experiments)."""
    steps = itertools.count(1)

    def step() -> None:
        if on_progress is not None:
            on_progress(next(steps), REPORT_STEPS)

    p = planned_attempts.c
    att = pl.DataFrame(
        [tuple(r) for r in _rows(conn, select(
            p.borrower_id, p.step_id, p.channel, p.audience, p.purpose, p.allowed, p.rules,
            p.categories, p.planned_at, p.message_id, p.playbook_id, p.arm, borrowers.c.timezone,
        ).join(borrowers, borrowers.c.borrower_id == p.borrower_id).where(
            p.business_date >= start, p.business_date <= end))],
        schema={"borrower_id": pl.String, "step_id": pl.String, "channel": pl.String,
                "audience": pl.String, "purpose": pl.String, "allowed": pl.Boolean,
                "rules": pl.String, "categories": pl.String,
                "planned_at": pl.Datetime("us", "UTC"), "message_id": pl.String,
                "playbook_id": pl.String, "arm": pl.String, "timezone": pl.String},
        orient="row")
    step()
    box = pl.DataFrame(
        [tuple(r) for r in _rows(conn, select(outbox.c.message_id, outbox.c.state,
                                              outbox.c.sent_at))],
        schema={"message_id": pl.String, "state": pl.String,
                "sent_at": pl.Datetime("us", "UTC")}, orient="row")
    att = att.join(box, on="message_id", how="left", maintain_order="left").with_columns(
        sent=(pl.col("state") == "sent").fill_null(False))
    # The local hour each message actually went out (not the hour it was planned for).
    by_hour = [0] * 24
    for (tz,), part in att.filter(pl.col("sent")).partition_by("timezone", as_dict=True).items():
        hours = part["sent_at"].dt.convert_time_zone(str(tz)).dt.hour().to_list()
        for h in hours:
            by_hour[h] += 1
    step()
    queued = set(att["message_id"].drop_nulls().to_list())
    deferred = sum(1 for (subject,) in _rows(conn, select(audit_entries.c.subject).where(
        audit_entries.c.action == "dispatch.deferred"))
        if subject.removeprefix("message:") in queued)
    states = dict(att.filter(pl.col("state").is_not_null())["state"].value_counts().iter_rows())
    at_send = {"sent": int(states.get("sent", 0)),
               "denied at send": int(states.get("denied", 0)),
               "deferred (then sent or expired)": deferred,
               "expired": int(states.get("expired", 0)),
               "cancelled": int(states.get("cancelled", 0)),
               "still queued": int(states.get("pending", 0) + states.get("sending", 0))}
    step()
    denied = att.filter(~pl.col("allowed"))

    def tally(col: str) -> list[tuple[str, int]]:
        s = denied[col].str.split(";").explode().drop_nulls()
        return sorted(((str(k), int(v)) for k, v in s.filter(s != "").value_counts().iter_rows()),
                      key=lambda kv: (-kv[1], kv[0]))

    persons = (att.filter(pl.col("audience") != "borrower")
               .group_by("step_id", "purpose", "allowed").agg(n=pl.len())
               .sort("step_id", "allowed").to_dicts())
    complaint_rows = _rows(conn, select(complaints.c.complainant, complaints.c.category,
                                        complaints.c.state))
    ctab: dict[tuple[str, str], int] = {}
    for c in complaint_rows:
        ctab[(c.complainant, c.category)] = ctab.get((c.complainant, c.category), 0) + 1
    flags = [f for r in _rows(conn, select(borrowers.c.flags)) for f in (r[0] or "").split(";")]
    holds = sorted(((f, flags.count(f)) for f in set(flags) if f in HOLD_FLAGS),
                   key=lambda kv: (-kv[1], kv[0]))  # ties by name: the same on every run
    book = len(_rows(conn, select(contacts.c.contact_id).where(
        contacts.c.source == "address_book")))
    unverified = {
        "borrowers": _count_flagged(conn, borrowers),
        "contacts": _count_flagged(conn, contacts),
    }
    step()
    first = portfolio_snapshot(conn, start)
    step()
    last = portfolio_snapshot(conn, end)
    step()
    names, matrix = _rolls(first, last)
    arms = _arms(conn, att, start, end, first, last)
    step()
    return ComplianceReport(
        start=start, end=end, attempts=att.height, allowed=att.height - denied.height,
        sent=int(att["sent"].sum()), by_hour=by_hour, at_send=at_send,
        denials_by_category=tally("categories"), denials_by_rule=tally("rules"),
        contact_persons=persons,
        complaints=sorted((a, b, n) for (a, b), n in ctab.items()), holds=holds,
        address_book_awaiting_deletion=book, phones_unverified=unverified, roll_names=names, roll_accounts=matrix,
        arms=arms, expiring_training=_expiring_training(conn, end),
        model_alerts=_model_alerts(conn),
    )


def _expiring_training(conn: Connection, end: date) -> list[dict[str, Any]]:
    from datetime import UTC, datetime, time, timedelta

    from faircollect.governance.training_service import expiring_certificates

    return expiring_certificates(conn, datetime.combine(end + timedelta(days=1), time(0),
                                                        tzinfo=UTC))


def _model_alerts(conn: Connection) -> list[dict[str, Any]]:
    from faircollect.risk.monitoring_service import latest_alerts

    return latest_alerts(conn)


def _rolls(first: pl.DataFrame,
           last: pl.DataFrame) -> tuple[list[str], list[list[float | None]]]:
    long = roll_rates(first, last)
    names = [str(n) for n in long["from_bucket"].unique(maintain_order=True).to_list()]
    return names, _matrix(long, names, "accounts")


def _arms(conn: Connection, att: pl.DataFrame, start: date, end: date, first: pl.DataFrame,
          last: pl.DataFrame) -> list[dict[str, Any]]:
    books = shipped_playbooks()  # which are experiments: no templates needed
    in_test = {b.id for b in books if b.experiment} | {
        b.experiment.champion for b in books if b.experiment}
    exp = att.filter(pl.col("playbook_id").is_in(list(in_test))).group_by("borrower_id").agg(
        arm=pl.col("arm").first(), playbook=pl.col("playbook_id").first(),
        contacts=pl.col("sent").sum())
    challengers = sorted(b.experiment.name for b in books if b.experiment)
    if exp.height == 0:
        return []
    raised = pl.DataFrame([tuple(r) for r in _rows(conn, select(complaints.c.borrower_id))],
                          schema={"borrower_id": pl.String}, orient="row").group_by(
        "borrower_id").agg(complaints=pl.len())
    per = first.group_by("borrower_id").agg(overdue_start=pl.col("overdue_amount").sum(),
                                            dpd_start=pl.col("days_past_due").max()).join(
        last.group_by("borrower_id").agg(dpd_end=pl.col("days_past_due").max()), on="borrower_id")
    paid = pl.DataFrame([tuple(r) for r in _rows(conn, select(
        loans.c.borrower_id, payments.c.amount_minor).join(
        loans, loans.c.loan_id == payments.c.loan_id).where(
        payments.c.paid_on >= start, payments.c.paid_on <= end))],
        schema={"borrower_id": pl.String, "recovered": pl.Int64}, orient="row").group_by(
        "borrower_id").agg(pl.col("recovered").sum())
    bucket = [0, 30, 60, 90, 180]

    def band(col: str) -> pl.Expr:
        return sum((pl.col(col) > b).cast(pl.Int32) for b in bucket)  # type: ignore[return-value]

    frame = exp.join(per, on="borrower_id").join(paid, on="borrower_id", how="left").join(
        raised, on="borrower_id", how="left").with_columns(
        experiment=pl.lit(", ".join(challengers)),
        recovered=pl.col("recovered").fill_null(0), complaints=pl.col("complaints").fill_null(0),
        delinquent_start=pl.col("dpd_start") > 0, rolled_forward=band("dpd_end") > band("dpd_start"),
        cured=(pl.col("dpd_start") > 0) & (pl.col("dpd_end") == 0))
    return compare_arms(frame).to_dicts()


def render_report(report: ComplianceReport) -> str:
    """The report as one self-contained HTML page (inline SVG, no scripts)."""
    env = Environment(loader=PackageLoader("faircollect.reports", "templates"),
                      autoescape=select_autoescape(["html"]))
    peak = max(report.by_hour) or 1
    return env.get_template("compliance.html").render(r=report, peak=peak)


def write_report(report: ComplianceReport, path: Path) -> Path:
    """Write `render_report` to `path`, readable by its owner only."""
    from faircollect.private import ensure_private_dir, write_private

    ensure_private_dir(path.parent)
    return write_private(path, render_report(report).encode("utf-8"))


def cycle_range(conn: Connection) -> tuple[date | None, date | None]:
    """The first and last business dates any cycle planned (None, None before any)."""
    d = planned_attempts.c.business_date
    low, high = conn.execute(select(func.min(d), func.max(d))).one()
    return low, high


def report_dict(report: ComplianceReport) -> dict[str, Any]:
    """The report as JSON-ready data (what the HTML page shows, as numbers)."""
    from dataclasses import asdict

    out = asdict(report)
    out["start"], out["end"] = report.start.isoformat(), report.end.isoformat()
    out["denials_by_category"] = [{"category": c, "count": n}
                                  for c, n in report.denials_by_category]
    out["denials_by_rule"] = [{"rule": r, "count": n} for r, n in report.denials_by_rule]
    out["complaints"] = [{"complainant": a, "category": b, "count": n}
                         for a, b, n in report.complaints]
    out["holds"] = [{"flag": f, "count": n} for f, n in report.holds]
    return out
