"""Deciding a plan: decision-request frames per pack, the vectorised decide, and re-planning.

Every planned attempt becomes one row of a `policy.batch.RequestBatch` (the long frames hold
the borrower's flags, opt-outs, the contact asked about and its consents, the recent history
and notices) and is decided by `policy.vector.decide_frame` under the pack of its
jurisdiction. A denial only about timing (hours, per-day caps) is decided again with the
scalar `decide` to learn `next_allowed_at`; when that falls on the same local day inside the step's
hours, the attempt is re-planned then and decided again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson
import polars as pl

from faircollect.policy.batch import RequestBatch
from faircollect.policy.decide import decide
from faircollect.policy.pack import Pack
from faircollect.policy.params import ContactHours, CountedCap
from faircollect.policy.records import canonical_request, request_json
from faircollect.policy.request import DecisionRequest
from faircollect.policy.vector import decide_frame
from faircollect.strategy.inputs import PlanInputs
from faircollect.strategy.library import PlaybookSet
from faircollect.vocabulary import HISTORY_DAYS

# The planner's own denial of an attempt whose step has no template in the borrower's locale
# (the pack never sees it: there is no message to decide about).
NO_TEMPLATE_RULE = "NO-TEMPLATE-IN-LOCALE"


@dataclass(frozen=True, slots=True)
class Decided:
    """The plan's attempts with `allowed`, `rules`, `categories`, `pack_id`, `replan_of`."""

    attempts: pl.DataFrame


def _templates(books: PlaybookSet, ids: list[str]) -> pl.DataFrame:
    rows = []
    for tid in ids:
        t = books.templates.get(tid)
        rows.append((tid, t.approved if t else False, t.locale if t else None,
                     t.body if t else None))
    return pl.DataFrame(rows, schema={"template_id": pl.String, "template_approved": pl.Boolean,
                                      "template_locale": pl.String, "body": pl.String},
                        orient="row")


def build_batch(rows: pl.DataFrame, inputs: PlanInputs, books: PlaybookSet,
                day: date) -> RequestBatch:
    """Request frames for `rows` (attempts with a `row` column 0..n-1, one jurisdiction)."""
    tpl = _templates(books, rows["template_id"].unique().to_list())
    req = rows.join(tpl, on="template_id", how="left", maintain_order="left").with_columns(
        # A notice's decision sees the words it will carry about the next round.
        template_body=pl.when(pl.col("next_step").is_not_null())
        .then(pl.col("body").str.replace_all("{next_step}", pl.col("next_step").fill_null(""),
                                             literal=True))
        .otherwise(pl.col("body")),
    ).join(inputs.accounts.select("borrower_id", "unreachable_since", "flags", "opted_out"),
           on="borrower_id", how="left", maintain_order="left")
    requests = req.select("row", at=pl.col("planned_at"), timezone="timezone",
                          channel="channel", audience="audience", purpose="purpose",
                          contact_id="contact_id", template_id="template_id",
                          template_approved="template_approved",
                          template_locale="template_locale", template_body="template_body",
                          unreachable_since="unreachable_since",
                          # The PH hours are waived past 15 days past due: rules read it.
                          days_past_due=pl.col("dpd").cast(pl.Int64))
    flags = req.select("row", "flags").explode("flags").drop_nulls().rename({"flags": "flag"})
    opted = req.select("row", "opted_out").explode("opted_out").drop_nulls().rename(
        {"opted_out": "channel"})
    key = rows.select("row", "borrower_id", "contact_id").filter(
        pl.col("contact_id").is_not_null())
    contacts = key.join(inputs.contacts, on=["borrower_id", "contact_id"]).select(
        "row", id="contact_id", source="source", refused="refused", relation="relation")
    consents = key.join(inputs.consents, on=["borrower_id", "contact_id"]).select(
        "row", purpose=pl.lit("contact_designated_contact"), contact_id="contact_id",
        granted_at="granted_at", expires_at="expires_at", withdrawn_at="withdrawn_at")
    since = datetime.combine(day - timedelta(days=HISTORY_DAYS), datetime.min.time())
    hist = inputs.history.filter(
        (pl.col("audience") != "borrower")
        | (pl.col("at").dt.replace_time_zone(None) >= since))
    history = rows.select("row", "borrower_id").join(hist, on="borrower_id").select(
        "row", "at", "channel", "audience", "contact_id", "outcome").sort("row")
    notices = rows.select("row", "borrower_id").join(inputs.notices, on="borrower_id").select(
        "row", "at", "kind")
    windows = pl.DataFrame(schema={"row": pl.UInt32, "start_s": pl.Int32, "end_s": pl.Int32})
    return RequestBatch(requests=requests, flags=flags, opted_out=opted, windows=windows,
                        contacts=contacts, consents=consents, history=history,
                        notices=notices)


def requests_of(batch: RequestBatch, rows: list[int],
                jurisdiction: str) -> dict[int, DecisionRequest]:
    """Some rows of a batch as request models (for the scalar re-decide), by row."""
    wanted = pl.Series(rows, dtype=pl.UInt32).implode()
    parts: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for name in ("requests", "flags", "opted_out", "contacts", "consents", "history",
                 "notices"):
        frame: pl.DataFrame = getattr(batch, name)
        grouped: dict[int, list[dict[str, Any]]] = {}
        for rec in frame.filter(pl.col("row").is_in(wanted)).to_dicts():
            grouped.setdefault(int(rec.pop("row")), []).append(rec)
        parts[name] = grouped
    out = {}
    for row in rows:
        def of(name: str, row: int = row) -> list[dict[str, Any]]:
            return parts[name].get(row, [])

        r = of("requests")[0]
        tpl = None if r["template_id"] is None else {
            "id": r["template_id"], "approved": bool(r["template_approved"]),
            "locale": r["template_locale"] or "und", "body": r["template_body"]}
        out[row] = DecisionRequest.model_validate({
            "jurisdiction": jurisdiction, "at": r["at"],
            "attempt": {"channel": r["channel"], "audience": r["audience"],
                        "purpose": r["purpose"], "contact_id": r["contact_id"],
                        "template": tpl},
            "borrower": {"timezone": r["timezone"],
                         "days_past_due": int(r.get("days_past_due") or 0),
                         "unreachable_since": r["unreachable_since"],
                         "flags": [f["flag"] for f in of("flags")],
                         "opted_out_channels": [o["channel"] for o in of("opted_out")]},
            "contacts": [{"id": c["id"], "relation": c["relation"] or "designated",
                          "source": c["source"],
                          "refused_contact": bool(c["refused"])} for c in of("contacts")],
            "consents": of("consents"), "history": of("history"), "notices": of("notices"),
        })
    return out


def _same_day_rules(pack: Pack) -> frozenset[str]:
    """Rules a later time the same day can satisfy: contact hours and per-day caps.

    A rolling seven-day cap or a hold will not clear before tomorrow's plan, so those
    denials are recorded and left to the next day rather than searched for.
    """
    return frozenset(r.id for r in pack.rules if isinstance(r.params, ContactHours) or (
        isinstance(r.params, CountedCap) and r.params.window == "local_day"))


def decide_plan(attempts: pl.DataFrame, inputs: PlanInputs, books: PlaybookSet,
                day: date, *, with_requests: bool = False) -> Decided:
    """Decide every attempt under its jurisdiction's pack, re-planning timing denials.

    `with_requests` adds `request` (each decision request as JSON, for `policy_decisions`)
    and `decision` (the decision's JSON where the scalar decide made it, else null).
    """
    inp = inputs.checked()
    out: list[pl.DataFrame] = []
    unwritten = attempts.filter(pl.col("template_id").is_null())
    if unwritten.height:
        out.append(_no_template(unwritten, books, with_requests))
    attempts = attempts.filter(pl.col("template_id").is_not_null())
    for (jur,), part in attempts.partition_by("jurisdiction", as_dict=True).items():
        pack = books.packs[str(jur)]
        rows = part.with_row_index("row")
        batch = build_batch(rows, inp, books, day)
        verdict = decide_frame(batch, pack)
        decided = rows.join(verdict.select("row", "allowed", "rules", "categories"),
                            on="row").with_columns(pack_id=pl.lit(pack.id),
                                                   replan_of=pl.lit(None, pl.String))
        if with_requests:
            decided = decided.with_columns(
                request=request_json(batch, pack.id, rows["dpd"].clip(lower_bound=0)),
                decision=pl.lit(None, pl.String))
        out.append(decided.drop("row"))
        retry = decided.filter(~pl.col("allowed") & pl.col("rules").list.eval(
            pl.element().is_in(list(_same_day_rules(pack)))).list.all())
        out.extend(_replanned(retry, batch, str(jur), books, pack.id, with_requests))
    if not out:
        empty = attempts.with_columns(
            allowed=pl.lit(None, pl.Boolean), rules=pl.lit(None, pl.List(pl.String)),
            categories=pl.lit(None, pl.List(pl.String)), pack_id=pl.lit(None, pl.String),
            replan_of=pl.lit(None, pl.String))
        if with_requests:
            empty = empty.with_columns(request=pl.lit(None, pl.String),
                                       decision=pl.lit(None, pl.String))
        return Decided(empty)
    return Decided(pl.concat(out, how="vertical_relaxed"))


def _no_template(rows: pl.DataFrame, books: PlaybookSet, with_requests: bool) -> pl.DataFrame:
    """Attempts with no template in the borrower's locale: denied before any pack decides.

    Nothing in another language is sent instead; the attempt is recorded (rule
    NO_TEMPLATE_RULE, category TEMPLATE) so the report shows who got nothing and why.
    """
    packs = {j: p.id for j, p in books.packs.items()}
    out = rows.with_columns(
        allowed=pl.lit(False), rules=pl.lit([NO_TEMPLATE_RULE], pl.List(pl.String)),
        categories=pl.lit(["TEMPLATE"], pl.List(pl.String)),
        pack_id=pl.col("jurisdiction").replace_strict(packs, default=None,
                                                      return_dtype=pl.String),
        replan_of=pl.lit(None, pl.String))
    if with_requests:
        out = out.with_columns(request=pl.lit(None, pl.String),
                               decision=pl.lit(None, pl.String))
    return out


def _replanned(retry: pl.DataFrame, batch: RequestBatch, jur: str, books: PlaybookSet,
               pack_id: str, with_requests: bool) -> list[pl.DataFrame]:
    pack = books.packs[jur]
    found = []
    requests = requests_of(batch, retry["row"].to_list(), pack_id)
    for rec in retry.iter_rows(named=True):
        request = requests[rec["row"]]
        first = decide(request, pack)
        if first.next_allowed_at is None:
            continue
        nxt = datetime.fromisoformat(first.next_allowed_at)
        local_start = rec["planned_at"].astimezone(nxt.tzinfo)
        if nxt.date() != local_start.date() or nxt.hour * 3600 + nxt.minute * 60 >= int(
                rec["hours_end"]):
            continue  # not today, or past the step's hours: tomorrow's plan takes over
        moved = request.at_time(nxt)
        again = decide(moved, pack)
        extra = {"request": canonical_request(moved), "decision": orjson.dumps(
            again.to_json(), option=orjson.OPT_SORT_KEYS).decode()} if with_requests else {}
        found.append({**{k: v for k, v in rec.items() if k != "row"},
                      "planned_at": nxt, "allowed": again.allowed,
                      "rules": [v.rule for v in again.violations],
                      "categories": sorted({v.category.value for v in again.violations}),
                      "pack_id": pack.id, "replan_of": rec["step_id"], **extra})
    if not found:
        return []
    schema = retry.drop("row").schema
    return [pl.DataFrame(found, schema=schema, orient="row")]
