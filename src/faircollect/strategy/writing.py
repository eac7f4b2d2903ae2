"""Writing one batch of a day's decided attempts: attempts, decisions, outbox, one audit entry.

Everything for a batch of accounts goes into the caller's transaction:
- `planned_attempts`: every decided attempt, allowed or not, with its pack version, failing
  rules and the id of its decision;
- `policy_decisions`: the same decisions with their full requests (`record_decision_frame`),
  so `faircollect policy replay` can re-decide what the cycle acted on;
- the outbox: the allowed messages (`enqueue_many`), each body rendered from the approved
  template through the content renderer, which lints the rendered text again;
- for each message to a contact person, its one-time link to the contact-person page
  (`{optout_link}`; `web.services.contact_links.CycleLinks`, stored as a digest);
- one `cycle.batch` audit entry with counts, packs and a digest of the batch's decisions.

Ids derive from the attempt's idempotency key `cycle:<date>:<borrower>:<step>[:<contact>][:r]`
(attempt `a-…`, decision `pd-…`, message `m-…`), so a resumed run repeats them exactly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from faircollect.dispatch.message import CHANNELS as DISPATCH_CHANNELS
from faircollect.dispatch.message import OutboundMessage, message_id_for
from faircollect.dispatch.outbox import enqueue_many
from faircollect.errors import InputError
from faircollect.ledger.money import minor_units
from faircollect.policy.records import record_decision_frame
from faircollect.store.bulk import insert_rows
from faircollect.store.tables.cycle import planned_attempts
from faircollect.store.unit_of_work import UnitOfWork
from faircollect.strategy.library import PlaybookSet
from faircollect.strategy.messages import OPTOUT_LINK, render
from faircollect.vault.vault import Vault
from faircollect.web.services.contact_links import CycleLinks, IssuedLink, record_links

SOURCE = "cycle"  # policy_decisions.source of the cycle's decisions


@dataclass(frozen=True)
class Signature:
    """How messages are signed: the lender's name and the number to call."""

    company: str
    hotline: str


def idempotency_key(day: date, borrower_id: str, step_id: str, contact_id: str | None,
                    replan: bool) -> str:
    """The key of one planned attempt: (date, account, step[, contact][, re-plan])."""
    parts = ["cycle", day.isoformat(), borrower_id, step_id]
    if contact_id:
        parts.append(contact_id)
    if replan:
        parts.append("r")
    return ":".join(parts)


def _digest(prefix: str, text: str) -> str:
    return prefix + hashlib.sha256(text.encode()).hexdigest()[:32]


def _amount(minor: int, currency: str) -> str:
    places = minor_units(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f} {currency}"


def message_values(r: dict[str, Any], sign: Signature,
                   link: str | None = None) -> dict[str, str]:
    """The placeholder values of one attempt (see `strategy.messages.PLACEHOLDERS`).

    `link` is the contact person's one-time link (`{optout_link}`), only for their messages.
    """
    pre_due = r["dpd"] <= 0
    minor = int((r["next_amount"] if pre_due else r["overdue_minor"]) or 0)
    values = {
        "amount": _amount(minor, r["currency"]),
        "due_date": r["due_date"].isoformat() if r["due_date"] else "",
        "dpd": str(max(int(r["dpd"]), 0)), "company": sign.company, "hotline": sign.hotline,
        "next_step": r["next_step"] or "",
    }
    if link is not None:
        values[OPTOUT_LINK] = link
    return values


def _message(books: PlaybookSet, r: dict[str, Any], key: str,
             sign: Signature, link: str | None) -> OutboundMessage:
    tpl = books.templates.get(r["template_id"])
    if tpl is None or not tpl.approved:  # validated at load; HOUSE-TEMPLATES holds anyway
        raise InputError(f"template {r['template_id']!r} has no approved version",
                         field="template")
    return OutboundMessage(
        idempotency_key=key, borrower_id=r["borrower_id"], channel=r["channel"],
        template_id=r["template_id"], purpose=r["purpose"],
        body=render(tpl, message_values(r, sign, link)), planned_at=r["planned_at"],
        audience=r["audience"], contact_id=r["contact_id"],
        notice_kind="escalation_notice" if r["kind"] == "notice" else None,
        expires_at=r.get("expires_at"),
    )


def prepare(books: PlaybookSet, day: date, part: pl.DataFrame, sign: Signature,
            now: datetime, links: CycleLinks | None = None,
            ) -> tuple[list[dict[str, Any]], pl.DataFrame, list[OutboundMessage],
                       list[IssuedLink]]:
    """The batch's attempt rows, decision frame, messages and contact links, before any write.

    Rendering happens here, so a message whose rendered text fails the lint stops the
    batch before its transaction begins. A message to a contact person gets its link from
    `links`; without `links` (or a template that leaves the link out, which the playbook
    validation refuses) the renderer reports the missing `{optout_link}`.
    """
    rows: list[dict[str, Any]] = []
    messages: list[OutboundMessage] = []
    issued: list[IssuedLink] = []
    decision_ids: list[str | None] = []
    message_ids: list[str | None] = []
    for r in part.iter_rows(named=True):
        key = idempotency_key(day, r["borrower_id"], r["step_id"], r["contact_id"],
                              r["replan_of"] is not None)
        send = bool(r["allowed"]) and r["channel"] in DISPATCH_CHANNELS
        if send:
            link = None
            if r["audience"] != "borrower" and links is not None:
                link, row = links.issue(key, r["contact_id"], r["borrower_id"])
                issued.append(row)
            messages.append(_message(books, r, key, sign, link))
        # An attempt without a template in the borrower's locale was never put to a pack:
        # it has no decision record, only its planned_attempts row saying why.
        decided = r["template_id"] is not None
        decision_id = _digest("pd-", "decision:" + key) if decided else None
        message_id = message_id_for(key) if send else None
        decision_ids.append(decision_id)
        message_ids.append(message_id)
        rows.append({
            "attempt_id": _digest("a-", key), "idempotency_key": key, "business_date": day,
            "borrower_id": r["borrower_id"], "playbook_id": r["playbook_id"], "arm": r["arm"],
            "stage": r["stage"], "step_id": r["step_id"], "kind": r["kind"],
            "channel": r["channel"], "audience": r["audience"], "contact_id": r["contact_id"],
            "purpose": r["purpose"], "template_id": r["template_id"] or "",
            "planned_at": r["planned_at"], "dpd": r["dpd"], "allowed": bool(r["allowed"]),
            "rules": ";".join(r["rules"] or []), "categories": ";".join(r["categories"] or []),
            "pack_id": r["pack_id"], "replan_of": r["replan_of"], "message_id": message_id,
            "created_at": now, "decision_id": decision_id,
        })
    decisions = part.with_columns(
        decision_id=pl.Series(decision_ids, dtype=pl.String),
        reference=pl.Series(message_ids, dtype=pl.String),
    ).filter(pl.col("decision_id").is_not_null()).select(
        "decision_id", "reference", decided_at="planned_at", pack_id="pack_id", borrower_id="borrower_id",
        contact_id="contact_id", channel="channel", audience="audience", purpose="purpose",
        rules=pl.col("rules").fill_null([]), request="request", decision="decision",
    )
    return rows, decisions, messages, issued


def _tally(rows: list[dict[str, Any]], books: PlaybookSet) -> dict[str, Any]:
    """Per jurisdiction: denials by rule, and allowed contact-person attempts by purpose (so
    a regulator report's figures can be recounted from the audit log alone)."""
    by_id = books.packs_by_id
    out: dict[str, Any] = {}
    for x in rows:
        pack = by_id.get(x["pack_id"])
        jur = pack.jurisdiction if pack is not None else x["pack_id"]
        t = out.setdefault(jur, {"denied_by_rule": {}, "contact_persons": {}})
        if not x["allowed"]:
            for rule in filter(None, x["rules"].split(";")):
                t["denied_by_rule"][rule] = t["denied_by_rule"].get(rule, 0) + 1
        elif x["audience"] != "borrower":
            t["contact_persons"][x["purpose"]] = t["contact_persons"].get(x["purpose"], 0) + 1
    return out


def write_batch(uow: UnitOfWork, vault: Vault, books: PlaybookSet, day: date,
                part: pl.DataFrame, sign: Signature, now: datetime, index: int,
                links: CycleLinks | None = None) -> int:
    """Write one batch (see the module docstring) in `uow`; returns messages newly queued."""
    rows, decisions, messages, issued = prepare(books, day, part, sign, now, links)
    digest = hashlib.sha256("\n".join(
        f"{x['attempt_id']}|{int(x['allowed'])}|{x['pack_id']}|{x['rules']}" for x in rows
    ).encode()).hexdigest()
    packs: dict[str, int] = {}
    for x in rows:
        packs[x["pack_id"]] = packs.get(x["pack_id"], 0) + 1
    record_decision_frame(uow, decisions, books.packs_by_id, source=SOURCE, now=now)
    insert_rows(uow.conn, planned_attempts, rows)
    created = sum(e.created for e in enqueue_many(uow, vault, messages, now=now))
    new_links = record_links(uow, issued, lender=sign.company, now=now)
    uow.audit("cycle.batch", f"cycle:{day.isoformat()}", {
        "batch": index, "attempts": len(rows), "allowed": sum(x["allowed"] for x in rows),
        "denied": sum(not x["allowed"] for x in rows), "enqueued": created,
        "packs": packs, "digest": digest, "templates": books.templates.version,
        "no_template_in_locale": sum(x["decision_id"] is None for x in rows),
        "tally": _tally(rows, books), "contact_links": new_links,
    })
    return created
