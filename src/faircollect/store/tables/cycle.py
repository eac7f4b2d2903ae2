"""The daily cycle's record: every planned attempt with its decision, and each run of a date.

`planned_attempts` keeps what the planner asked and what the policy answered (allowed or the
failing rule ids and categories, with the pack version that decided), so a day's plan can be
replayed, reported and resumed. Rows hold tokens only: borrower and contact ids, template ids.
Each attempt's decision, with its full request, is also a `policy_decisions` row
(`decision_id`), so `faircollect policy replay` sees what the cycle decided.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text

from faircollect.store.schema import UTCDateTime, metadata

planned_attempts = Table(
    "planned_attempts",
    metadata,
    Column("attempt_id", String(40), primary_key=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("business_date", Date, nullable=False),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("playbook_id", String(64), nullable=False),
    Column("arm", String(16), nullable=True),
    Column("stage", String(16), nullable=False),
    Column("step_id", String(64), nullable=False),
    Column("kind", String(8), nullable=False),  # message | notice
    Column("channel", String(16), nullable=False),
    Column("audience", String(24), nullable=False),
    Column("contact_id", String(64), nullable=True),
    Column("purpose", String(16), nullable=False),
    Column("template_id", String(64), nullable=False),
    Column("planned_at", UTCDateTime, nullable=False),
    Column("dpd", Integer, nullable=False),
    Column("allowed", Boolean, nullable=False),
    Column("rules", Text, nullable=False, default=""),  # ';'-joined failing rule ids
    Column("categories", Text, nullable=False, default=""),
    Column("pack_id", String(32), nullable=False),
    Column("replan_of", String(64), nullable=True),
    Column("message_id", String(40), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # The `policy_decisions` row of this attempt's decision (migration 0008).
    Column("decision_id", String(40), nullable=True),
    Index("ix_planned_attempts_date", "business_date", "borrower_id"),
    Index("ix_planned_attempts_borrower", "borrower_id", "business_date"),
    Index("ix_planned_attempts_decision", "decision_id"),
    Index("ix_planned_attempts_message", "message_id"),
)

cycle_runs = Table(
    "cycle_runs",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("status", String(16), nullable=False),  # running | done
    Column("playbooks", Text, nullable=False),
    Column("counts", Text, nullable=False, default="{}"),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
)
