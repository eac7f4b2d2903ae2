"""Many decision requests as Polars frames, the input of the vectorised decide.

A batch is one frame of requests plus long frames for the variable-length parts, each keyed by
`row` (the request's position, 0..n-1). Instants are `Datetime("us", "UTC")`. The batch engine
(planner) builds these frames directly; `batch_from_requests` builds them from request models.
Template bodies and locales are Categorical: a batch holds a few distinct templates, and the
vectorised content rules key the linter's findings by their codes instead of hashing text.

    requests  row, at, timezone, channel, audience, purpose, contact_id, template_id,
              template_approved, template_locale, template_body, unreachable_since,
              days_past_due (optional), actor_kind and actor_training_valid (optional:
              null when the request has no actor, i.e. the system makes the contact)
    flags     row, flag                  opted_out  row, channel
    windows   row, start_s, end_s        (agreed windows, seconds after local midnight)
    contacts  row, id, source, refused, relation (optional: null when the builder omits it)
    consents  row, purpose, contact_id, granted_at, expires_at, withdrawn_at
    history   row, at, channel, audience, contact_id, outcome
    notices   row, at, kind
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from faircollect.errors import InputError
from faircollect.policy.request import (
    AUDIENCES,
    CHANNELS,
    OUTCOMES,
    PURPOSES,
    SOURCES,
    DecisionRequest,
)

_TS = pl.Datetime("us", "UTC")
# Closed vocabularies are Enums: comparisons on them are integer comparisons.
CHANNEL = pl.Enum(CHANNELS)
AUDIENCE = pl.Enum(AUDIENCES)
PURPOSE = pl.Enum(PURPOSES)
OUTCOME = pl.Enum(OUTCOMES)
SOURCE = pl.Enum(SOURCES)
SCHEMAS: dict[str, dict[str, Any]] = {
    "requests": {
        "row": pl.UInt32, "at": _TS, "timezone": pl.Categorical, "channel": CHANNEL,
        "audience": AUDIENCE, "purpose": PURPOSE, "contact_id": pl.String,
        "template_id": pl.String, "template_approved": pl.Boolean,
        "template_locale": pl.Categorical, "template_body": pl.Categorical,
        "unreachable_since": _TS, "days_past_due": pl.Int64,
        "actor_kind": pl.String, "actor_training_valid": pl.Boolean,
    },
    "flags": {"row": pl.UInt32, "flag": pl.String},
    "opted_out": {"row": pl.UInt32, "channel": CHANNEL},
    "windows": {"row": pl.UInt32, "start_s": pl.Int32, "end_s": pl.Int32},
    "contacts": {"row": pl.UInt32, "id": pl.String, "source": SOURCE, "refused": pl.Boolean,
                 "relation": pl.String},
    "consents": {
        "row": pl.UInt32, "purpose": pl.String, "contact_id": pl.String,
        "granted_at": _TS, "expires_at": _TS, "withdrawn_at": _TS,
    },
    "history": {
        "row": pl.UInt32, "at": _TS, "channel": CHANNEL, "audience": AUDIENCE,
        "contact_id": pl.String, "outcome": OUTCOME,
    },
    "notices": {"row": pl.UInt32, "at": _TS, "kind": pl.String},
}

# Columns a builder may leave out; they are then null (a contact's relation: the rules that
# filter on it then treat the person as unknown, i.e. not a spouse).
# A request's days past due: null when left out, and then a rule waived past a number of
# days past due (the Philippine hours) is not waived (fail closed).
# The actor's kind and training status: null when left out, i.e. the system (no training rule
# applies), so builders that predate the actor need no change.
OPTIONAL: dict[str, tuple[str, ...]] = {"contacts": ("relation",),
                                        "requests": ("days_past_due", "actor_kind",
                                                     "actor_training_valid")}


@dataclass(frozen=True, slots=True)
class RequestBatch:
    """Frames of one batch; see the module docstring for their columns."""

    requests: pl.DataFrame
    flags: pl.DataFrame
    opted_out: pl.DataFrame
    windows: pl.DataFrame
    contacts: pl.DataFrame
    consents: pl.DataFrame
    history: pl.DataFrame
    notices: pl.DataFrame

    def __len__(self) -> int:
        return self.requests.height

    def checked(self) -> RequestBatch:
        """The batch with every frame cast to its schema; InputError on a missing column."""
        out: dict[str, pl.DataFrame] = {}
        for name, schema in SCHEMAS.items():
            frame: pl.DataFrame = getattr(self, name)
            for col in OPTIONAL.get(name, ()):
                if col not in frame.columns:
                    frame = frame.with_columns(pl.lit(None, schema[col]).alias(col))
            missing = [c for c in schema if c not in frame.columns]
            if missing:
                raise InputError(f"batch frame {name} lacks columns {missing}", field=name)
            try:
                out[name] = frame.select(pl.col(c).cast(t) for c, t in schema.items())
            except pl.exceptions.PolarsError as exc:
                raise InputError(f"batch frame {name}: {exc.__class__.__name__}",
                                 field=name) from None
        rows = out["requests"]["row"]
        if rows.len() and (rows[0] != 0 or not rows.diff().drop_nulls().eq(1).all()):
            raise InputError("batch requests must have row = 0..n-1 in order", field="row")
        return RequestBatch(**out)


def _frame(name: str, records: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(records, schema=SCHEMAS[name], orient="row") if records else (
        pl.DataFrame(schema=SCHEMAS[name])
    )


def batch_from_requests(requests: Sequence[DecisionRequest]) -> RequestBatch:
    """Frames for a list of validated requests (tests, small batches, replay)."""
    parts: dict[str, list[dict[str, Any]]] = {k: [] for k in SCHEMAS}

    for row, r in enumerate(requests):
        a, b, t = r.attempt, r.borrower, r.attempt.template
        parts["requests"].append({
            "row": row, "at": r.at, "timezone": b.timezone, "channel": a.channel,
            "audience": a.audience, "purpose": a.purpose, "contact_id": a.contact_id,
            "template_id": t.id if t else None, "template_approved": t.approved if t else None,
            "template_locale": t.locale if t else None, "template_body": t.body if t else None,
            "unreachable_since": b.unreachable_since, "days_past_due": b.days_past_due,
            "actor_kind": r.actor.kind if r.actor else None,
            "actor_training_valid": r.actor.training_valid if r.actor else None,
        })
        parts["flags"] += [{"row": row, "flag": f} for f in b.flags]
        parts["opted_out"] += [{"row": row, "channel": c} for c in b.opted_out_channels]
        parts["windows"] += [
            {"row": row, "start_s": w.start_s, "end_s": w.end_s} for w in b.agreed_windows
        ]
        parts["contacts"] += [
            {"row": row, "id": c.id, "source": c.source, "refused": c.refused_contact,
             "relation": c.relation}
            for c in r.contacts
        ]
        parts["consents"] += [
            {"row": row, "purpose": c.purpose, "contact_id": c.contact_id,
             "granted_at": c.granted_at, "expires_at": c.expires_at,
             "withdrawn_at": c.withdrawn_at}
            for c in r.consents
        ]
        parts["history"] += [
            {"row": row, "at": h.at, "channel": h.channel, "audience": h.audience,
             "contact_id": h.contact_id, "outcome": h.outcome}
            for h in r.history
        ]
        parts["notices"] += [{"row": row, "at": n.at, "kind": n.kind} for n in r.notices]
    return RequestBatch(**{k: _frame(k, v) for k, v in parts.items()})
