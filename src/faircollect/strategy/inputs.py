"""What the planner reads: frames assembled by the cycle service (or a benchmark) for a date.

    accounts   borrower_id, jurisdiction, segment, timezone, locale, flags (list), opted_out
               (list), dpd (signed: negative = days before the next due date), overdue_minor,
               currency, due_date, promise_pending, plan_active, unreachable_since (UTC)
    contacts   borrower_id, contact_id, relation, source, refused
    consents   borrower_id, contact_id, granted_at, expires_at, withdrawn_at  (spans of the
               contact_designated_contact purpose)
    history    borrower_id, at, channel, audience, contact_id, outcome
    notices    borrower_id, at, kind          (notices the borrower was sent)
    done       borrower_id, step_id, contact_id, business_date, allowed  (earlier plans)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

UTC_TS = pl.Datetime("us", "UTC")
SCHEMAS: dict[str, dict[str, Any]] = {
    "accounts": {
        "borrower_id": pl.String, "jurisdiction": pl.String, "segment": pl.String,
        "timezone": pl.String, "locale": pl.String, "flags": pl.List(pl.String),
        "opted_out": pl.List(pl.String), "dpd": pl.Int32, "overdue_minor": pl.Int64,
        "currency": pl.String, "due_date": pl.Date, "promise_pending": pl.Boolean,
        "plan_active": pl.Boolean, "unreachable_since": UTC_TS,
    },
    "contacts": {"borrower_id": pl.String, "contact_id": pl.String, "relation": pl.String,
                 "source": pl.String, "refused": pl.Boolean},
    "consents": {"borrower_id": pl.String, "contact_id": pl.String, "granted_at": UTC_TS,
                 "expires_at": UTC_TS, "withdrawn_at": UTC_TS},
    "history": {"borrower_id": pl.String, "at": UTC_TS, "channel": pl.String,
                "audience": pl.String, "contact_id": pl.String, "outcome": pl.String},
    "notices": {"borrower_id": pl.String, "at": UTC_TS, "kind": pl.String},
    "done": {"borrower_id": pl.String, "step_id": pl.String, "contact_id": pl.String,
             "business_date": pl.Date, "allowed": pl.Boolean},
}


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """The planner's inputs for one business date (see the module docstring)."""

    accounts: pl.DataFrame
    contacts: pl.DataFrame
    consents: pl.DataFrame
    history: pl.DataFrame
    notices: pl.DataFrame
    done: pl.DataFrame

    def checked(self) -> PlanInputs:
        """Every frame reduced to its columns and cast to its schema."""
        out = {}
        for name, schema in SCHEMAS.items():
            frame: pl.DataFrame = getattr(self, name)
            missing = [c for c in schema if c not in frame.columns]
            if missing:
                raise ValueError(f"planner input {name} lacks columns {missing}")
            out[name] = frame.select(pl.col(c).cast(t) for c, t in schema.items())
        return PlanInputs(**out)


def empty(name: str) -> pl.DataFrame:
    """An empty frame with the schema of input `name`."""
    return pl.DataFrame(schema=SCHEMAS[name])
