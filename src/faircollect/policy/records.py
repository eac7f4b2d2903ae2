"""Recording the decisions the system acts on, with their request and pack version.

Only decisions that something acts on are recorded: the daily cycle's planned attempts, a
dispatch. `faircollect policy check` and `POST /v1/policy/decisions` are pure queries (nothing
is contacted because of their answer), so they record nothing and write no audit entry.

A recorded row keeps the full decision request as canonical JSON. Requests hold tokens
(borrower, contact and template ids), flags, times and template bodies with placeholders,
never personal data; whoever assembles a request must keep it that way. The stored request
is what `replay` re-decides under another pack version.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from faircollect.errors import InputError
from faircollect.policy.decision import Decision
from faircollect.policy.request import DecisionRequest
from faircollect.store.bulk import insert_rows
from faircollect.store.tables.policy import policy_decisions
from faircollect.store.unit_of_work import UnitOfWork

# (request, its decision, the borrower's id, what acted on it, e.g. an outbox message id)
DecisionItem = tuple[DecisionRequest, Decision, str, str | None]

AUDIT_ACTION = "policy.decided"
_SOURCE = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
_ID_LIMIT = 64


def new_decision_id() -> str:
    """A fresh decision id (random; 35 characters)."""
    return "pd-" + uuid.uuid4().hex


def canonical_request(request: DecisionRequest) -> str:
    """The request as canonical JSON text: sorted keys, instants in UTC, no whitespace."""
    return orjson.dumps(request.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS).decode()


def _token(value: object, name: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > _ID_LIMIT:
        raise InputError(f"field {name}: a non-empty id of at most {_ID_LIMIT} characters "
                         "is required", field=name)
    return value


def _row(item: DecisionItem, source: str, now: datetime) -> dict[str, Any]:
    request, decision, borrower_id, reference = item
    a = request.attempt
    rules = [v.rule for v in decision.violations]
    categories = sorted({v.category.value for v in decision.violations})
    return {
        "decision_id": new_decision_id(),
        "decided_at": request.at,
        "recorded_at": now,
        "pack_id": decision.pack,
        "borrower_id": _token(borrower_id, "borrower_id"),
        "contact_id": a.contact_id,
        "channel": a.channel,
        "audience": a.audience,
        "purpose": a.purpose,
        "allowed": decision.allowed,
        "categories": ";".join(categories),
        "rules": ";".join(rules),
        "request": canonical_request(request),
        "decision": orjson.dumps(decision.to_json(), option=orjson.OPT_SORT_KEYS).decode(),
        "source": source,
        "reference": _token(reference, "reference", optional=True),
    }


def record_decisions(uow: UnitOfWork, items: Sequence[DecisionItem], *, source: str,
                     now: datetime | None = None) -> list[str]:
    """Insert `items` into `policy_decisions` in `uow`'s transaction; return their ids.

    Each row keeps the request, the decision and its pack version. The batch gets ONE audit
    entry (action `policy.decided`; payload: count, pack, packs (count per pack), allowed,
    denied, first and last decision id), not one per decision: a daily cycle decides
    millions of attempts, and an entry each would flood the Merkle log without adding
    evidence, since the rows themselves sit in the same transaction as the entry.

    `source` names who acted (`cycle`, `dispatch`, ...); `now` is the recording time
    (defaults to the current time). An empty `items` writes nothing.
    """
    if not isinstance(source, str) or not _SOURCE.match(source):
        raise InputError("field source: a short lower-case token is required", field="source")
    if not items:
        return []
    recorded_at = now or datetime.now(UTC)
    rows = [_row(item, source, recorded_at) for item in items]
    insert_rows(uow.conn, policy_decisions, rows)
    packs: dict[str, int] = {}
    for r in rows:
        packs[r["pack_id"]] = packs.get(r["pack_id"], 0) + 1
    allowed = sum(1 for r in rows if r["allowed"])
    first, last = rows[0]["decision_id"], rows[-1]["decision_id"]
    uow.audit(AUDIT_ACTION, f"policy-decisions:{first}", {
        "count": len(rows),
        "pack": ",".join(sorted(packs)),
        "packs": packs,
        "allowed": allowed,
        "denied": len(rows) - allowed,
        "first": first,
        "last": last,
        "source": source,
    })
    return [r["decision_id"] for r in rows]
