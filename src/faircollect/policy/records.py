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
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import polars as pl

from faircollect.errors import InputError
from faircollect.policy.batch import RequestBatch
from faircollect.policy.decision import Decision
from faircollect.policy.pack import Pack
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
    # `actor` is an optional addition: left out when absent, so earlier requests keep the
    # canonical text (and digest) they always had.
    skip = {"actor"} if request.actor is None else None
    return orjson.dumps(request.model_dump(mode="json", exclude=skip),
                        option=orjson.OPT_SORT_KEYS).decode()


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


def _check_source(source: object) -> None:
    if not isinstance(source, str) or not _SOURCE.match(source):
        raise InputError("field source: a short lower-case token is required", field="source")


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
    _check_source(source)
    if not items:
        return []
    recorded_at = now or datetime.now(UTC)
    rows = [_row(item, source, recorded_at) for item in items]
    return _write(uow, rows, source)


def _write(uow: UnitOfWork, rows: list[dict[str, Any]], source: str) -> list[str]:
    """Insert decision rows and the batch's one audit entry (see `record_decisions`)."""
    insert_rows(uow.conn, policy_decisions, rows)
    packs: dict[str, int] = {}
    for r in rows:
        packs[r["pack_id"]] = packs.get(r["pack_id"], 0) + 1
    allowed = sum(1 for r in rows if r["allowed"])
    first, last = rows[0]["decision_id"], rows[-1]["decision_id"]
    uow.audit(AUDIT_ACTION, f"policy-decisions:{first}", {
        "count": len(rows), "pack": ",".join(sorted(packs)), "packs": packs,
        "allowed": allowed, "denied": len(rows) - allowed, "first": first, "last": last,
        "source": source,
    })
    return [r["decision_id"] for r in rows]


# ---- frame-based bulk recording (the daily cycle: many thousands of decisions a batch) -------

_ISO = "%Y-%m-%dT%H:%M:%S%.6fZ"


def _iso(col: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone("UTC").dt.strftime(_ISO)


def _listed(requests: pl.DataFrame, long: pl.DataFrame, name: str,
            item: pl.Expr) -> pl.DataFrame:
    """`requests` with column `name`: each row's items of `long` as a list ([] when none)."""
    grouped = long.group_by("row").agg(item.alias(name))
    out = requests.join(grouped, on="row", how="left")
    return out.with_columns(pl.col(name).fill_null(pl.lit([], dtype=out.schema[name])))


def request_json(batch: RequestBatch, jurisdiction: str,
                 days_past_due: pl.Series | None = None) -> pl.Series:
    """The decision request of every row of `batch` as JSON text, in row order.

    The same shape as `canonical_request` (keys sorted, instants in UTC with a `Z`), built
    with Polars instead of one model per row, so recording a million decisions stays cheap;
    `DecisionRequest.model_validate_json` reads it back (replay does). Contacts carry the
    relation `designated` (the batch frames do not hold relations; no rule reads them).
    `days_past_due` gives each row's value (0 when not given).
    """
    b = batch.checked()
    req = b.requests.with_columns(
        dpd=(days_past_due.cast(pl.Int64) if days_past_due is not None
             else pl.lit(0, pl.Int64)))
    req = _listed(req, b.flags, "flags_l", pl.col("flag"))
    req = _listed(req, b.opted_out, "opted_l", pl.col("channel").cast(pl.String))
    req = _listed(req, b.windows, "windows_l", pl.struct(
        end=pl.format("{}:{}", (pl.col("end_s") // 3600).cast(pl.String).str.zfill(2),
                      (pl.col("end_s") % 3600 // 60).cast(pl.String).str.zfill(2)),
        start=pl.format("{}:{}", (pl.col("start_s") // 3600).cast(pl.String).str.zfill(2),
                        (pl.col("start_s") % 3600 // 60).cast(pl.String).str.zfill(2))))
    req = _listed(req, b.consents, "consents_l", pl.struct(
        contact_id="contact_id", expires_at=_iso("expires_at"), granted_at=_iso("granted_at"),
        purpose="purpose", withdrawn_at=_iso("withdrawn_at")))
    req = _listed(req, b.contacts, "contacts_l", pl.struct(
        id="id", refused_contact="refused",
        relation=pl.col("relation").fill_null("designated"),
        source=pl.col("source").cast(pl.String)))
    req = _listed(req, b.history.sort("row", "at"), "history_l", pl.struct(
        at=_iso("at"), audience=pl.col("audience").cast(pl.String),
        channel=pl.col("channel").cast(pl.String), contact_id="contact_id",
        outcome=pl.col("outcome").cast(pl.String)))
    req = _listed(req, b.notices, "notices_l", pl.struct(at=_iso("at"), kind="kind"))
    template = pl.when(pl.col("template_id").is_not_null()).then(pl.struct(
        approved="template_approved", body=pl.col("template_body").cast(pl.String),
        id="template_id", locale=pl.col("template_locale").cast(pl.String)))
    doc = pl.struct(
        at=_iso("at"),
        attempt=pl.struct(audience=pl.col("audience").cast(pl.String),
                          channel=pl.col("channel").cast(pl.String), contact_id="contact_id",
                          purpose=pl.col("purpose").cast(pl.String), template=template),
        borrower=pl.struct(agreed_windows="windows_l", days_past_due="dpd", flags="flags_l",
                           opted_out_channels="opted_l",
                           timezone=pl.col("timezone").cast(pl.String),
                           unreachable_since=_iso("unreachable_since")),
        consents="consents_l", contacts="contacts_l", history="history_l",
        jurisdiction=pl.lit(jurisdiction), notices="notices_l",
    )
    return req.sort("row").select(request=doc.struct.json_encode()).to_series()


def _decision_text(pack: Pack | None, pack_id: str, rules: tuple[str, ...]) -> str:
    by_id = {r.id: r for r in pack.rules} if pack is not None else {}
    violations = []
    for rule in rules:
        r = by_id.get(rule)
        violations.append({"rule": rule, "category": r.category if r else "",
                           "citation": r.citation if r else "",
                           "message": r.summary if r else ""})
    return orjson.dumps({"allowed": not rules, "violations": violations,
                         "next_allowed_at": None, "pack": pack_id},
                        option=orjson.OPT_SORT_KEYS).decode()


FRAME_COLUMNS = ("decision_id", "decided_at", "pack_id", "borrower_id", "contact_id", "channel",
                 "audience", "purpose", "rules", "request", "reference")


def record_decision_frame(uow: UnitOfWork, frame: pl.DataFrame, packs: Mapping[str, Pack], *,
                          source: str, now: datetime | None = None) -> list[str]:
    """Insert the decisions of `frame` into `policy_decisions`; ONE audit entry, as above.

    `frame` has FRAME_COLUMNS: `rules` is the list of failing rule ids (empty: allowed),
    `request` the request's JSON text (`request_json`), and optionally `decision`, the
    decision's JSON text (when null or absent it is built from the rules and `packs`, with
    the rules' summaries as messages and no `next_allowed_at`). The caller chooses the
    decision ids (e.g. derived from an idempotency key, so a resumed run repeats them).
    """
    _check_source(source)
    if frame.height == 0:
        return []
    missing = [c for c in FRAME_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"decision frame lacks columns {missing}", field="frame")
    recorded_at = now or datetime.now(UTC)
    given = frame["decision"].to_list() if "decision" in frame.columns else [None] * frame.height
    texts: dict[tuple[str, tuple[str, ...]], tuple[str, str]] = {}
    rows: list[dict[str, Any]] = []
    for rec, decision in zip(frame.select(FRAME_COLUMNS).iter_rows(named=True), given,
                             strict=True):
        rules = tuple(rec["rules"] or ())
        key = (rec["pack_id"], rules)
        known = texts.get(key)
        if known is None:
            pack = packs.get(rec["pack_id"])
            category = {r.id: r.category for r in pack.rules} if pack is not None else {}
            known = texts[key] = (_decision_text(pack, rec["pack_id"], rules),
                                  ";".join(sorted({category.get(r, "") for r in rules})))
        rows.append({
            "decision_id": rec["decision_id"], "decided_at": rec["decided_at"],
            "recorded_at": recorded_at, "pack_id": rec["pack_id"],
            "borrower_id": _token(rec["borrower_id"], "borrower_id"),
            "contact_id": rec["contact_id"], "channel": rec["channel"],
            "audience": rec["audience"], "purpose": rec["purpose"], "allowed": not rules,
            "categories": known[1], "rules": ";".join(rules), "request": rec["request"],
            "decision": decision or known[0], "source": source,
            "reference": _token(rec["reference"], "reference", optional=True),
        })
    return _write(uow, rows, source)
