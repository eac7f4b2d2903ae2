"""Gathering the regulator report from the store, stamped with the audit checkpoint.

The checkpoint is of the audit tree as it stood at the end of the period's last date (UTC):
the entries appended before that instant. A checkpoint already stored for that size is
reused; otherwise one is signed with the audit key now (its time line says when it was
signed) and kept, like `faircollect audit checkpoint` keeps the current head's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, func, select

from faircollect.audit import checkpoint as cp
from faircollect.audit.canonical import format_time
from faircollect.audit.log import insert_ignore
from faircollect.audit.tree import root_at
from faircollect.bootstrap import App
from faircollect.errors import InputError
from faircollect.governance.regulator import RegulatorReport
from faircollect.governance.training_service import training_coverage
from faircollect.store.tables.audit import audit_checkpoints, audit_entries
from faircollect.store.tables.cases import complaints, disputes, hardship_pauses
from faircollect.store.tables.cycle import planned_attempts
from faircollect.store.tables.foundation import borrowers
from faircollect.vocabulary import JURISDICTIONS


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (datetime.combine(start, time(0), tzinfo=UTC),
            datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC))


def checkpoint_at(conn: Connection, app: App, until: datetime) -> tuple[str, int]:
    """The signed checkpoint of the audit tree of every entry appended before `until`."""
    size = int(conn.execute(select(func.count()).select_from(audit_entries).where(
        audit_entries.c.at < format_time(until))).scalar_one())
    c = audit_checkpoints.c
    note = conn.execute(select(c.note).where(c.size == size)).scalar_one_or_none()
    if note is not None:
        return str(note), size
    root = root_at(conn, size)
    signed = cp.sign(cp.Checkpoint(cp.DEFAULT_ORIGIN, size, root,
                                   format_time(app.store.clock())),
                     app.keys.signing_key("audit"))
    conn.execute(insert_ignore(conn, audit_checkpoints).values(
        size=size, root=root, at=cp.parse(signed).at, note=signed))
    return str(conn.execute(select(c.note).where(c.size == size)).scalar_one()), size


def regulator_report(app: App, jurisdiction: str, start: date, end: date) -> RegulatorReport:
    """The report for `jurisdiction` over business dates `start`..`end` (inclusive)."""
    if jurisdiction not in JURISDICTIONS:
        raise InputError(f"jurisdiction must be one of {', '.join(JURISDICTIONS)}",
                         field="jurisdiction")
    if end < start:
        raise InputError("the end date is before the start date", field="to")
    lo, hi = _bounds(start, end)
    mine = select(borrowers.c.borrower_id).where(borrowers.c.jurisdiction == jurisdiction)
    with app.store.engine.begin() as conn:
        comp: dict[str, int] = {}
        for who, why, n in conn.execute(
            select(complaints.c.complainant, complaints.c.category, func.count())
            .where(complaints.c.received_at >= lo, complaints.c.received_at < hi,
                   complaints.c.borrower_id.in_(mine))
            .group_by(complaints.c.complainant, complaints.c.category)):
            comp[f"{who}/{why}"] = int(n)
        p = planned_attempts.c
        in_period = (p.business_date >= start, p.business_date <= end, p.borrower_id.in_(mine))
        persons = {str(k): int(n) for k, n in conn.execute(
            select(p.purpose, func.count()).where(*in_period, p.allowed.is_(True),
                                                   p.audience != "borrower")
            .group_by(p.purpose))}
        denials: dict[str, int] = {}
        for (rules,) in conn.execute(select(p.rules).where(*in_period, p.allowed.is_(False))):
            for rule in filter(None, rules.split(";")):
                denials[rule] = denials.get(rule, 0) + 1
        holds = {
            "dispute_open": int(conn.execute(select(func.count()).select_from(disputes).where(
                disputes.c.opened_at >= lo, disputes.c.opened_at < hi,
                disputes.c.borrower_id.in_(mine))).scalar_one()),
            "hardship_pause": int(conn.execute(select(func.count()).select_from(
                hardship_pauses).where(hardship_pauses.c.created_at >= lo,
                                       hardship_pauses.c.created_at < hi,
                                       hardship_pauses.c.borrower_id.in_(mine))).scalar_one()),
        }
        training = training_coverage(conn, jurisdiction, hi)
        note, size = checkpoint_at(conn, app, hi)
    return RegulatorReport(jurisdiction, start, end, comp, persons, holds, denials, training,
                           note, size)
