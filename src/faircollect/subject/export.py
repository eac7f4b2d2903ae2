"""`faircollect subject export ID`: everything held on a borrower, as JSON (PIPL Art. 45, GDPR Art. 15).

Personal fields are decrypted through the access guard (role compliance or the borrower
themself, purpose data_subject_request), so the export is itself an audited read. The rest
is read from every table holding records about the borrower, plus their consent receipts and
the audit entries about them (including who read their data and why). Ciphertexts held
elsewhere (message bodies) are listed as encrypted, never exported raw.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Connection, select

from faircollect.access.guard import Actor, Guard
from faircollect.consent.repository import load_borrower
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.consent import consent_receipts
from faircollect.subject.holdings import borrower_tables, is_secret, loan_tables

PURPOSE = "data_subject_request"
FORMAT = "faircollect-subject-export/1"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _name(value: object) -> str:
    # SQLAlchemy names are str subclasses (quoted_name); JSON wants plain str keys.
    return str(value).encode().decode()


def _plain_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.endswith("_ct")}


def _rows(conn: Connection, table: Any, where: Any) -> list[dict[str, Any]]:
    out = []
    for row in conn.execute(select(table).where(where)).mappings():
        item: dict[str, Any] = {}
        for col, v in row.items():
            k = _name(col)
            if is_secret(table, k):
                if isinstance(v, bytes | memoryview):
                    item[k] = "[encrypted]"
                continue
            item[k] = _plain(v)
        out.append(item)
    return out


def export_subject(guard: Guard, actor: Actor, borrower_id: str) -> dict[str, Any]:
    """The export document for one borrower; AccessDenied unless the actor may read it all."""
    store = guard.store
    with store.read() as conn:
        ref = load_borrower(conn, borrower_id)
    person = guard.borrower(actor, borrower_id, purpose=PURPOSE, full=True)
    people = guard.contacts(actor, [borrower_id], purpose=PURPOSE, full=True)
    with store.read() as conn:
        holdings: dict[str, list[dict[str, Any]]] = {}
        for t in borrower_tables():
            holdings[_name(t.name)] = _rows(conn, t, t.c.borrower_id == borrower_id)
        loan_ids = [r["loan_id"] for r in holdings.get("loans", [])]
        for t in loan_tables():
            holdings[_name(t.name)] = _rows(conn, t, t.c.loan_id.in_(loan_ids)) if loan_ids else []
        receipts = [orjson.loads(d) for d in conn.execute(
            select(consent_receipts.c.document)
            .where(consent_receipts.c.borrower_id == borrower_id)
            .order_by(consent_receipts.c.issued_at)).scalars()]
        history = [
            {k: e[k] for k in ("seq", "at", "actor", "action", "payload")}
            for e in map(orjson.loads, conn.execute(
                select(audit_entries.c.record)
                .where(audit_entries.c.subject == borrower_id)
                .order_by(audit_entries.c.seq)).scalars())
        ]
    # The guard's decrypted values stand in for the borrower's and contacts' ciphertexts.
    contacts_by_id = {c["contact_id"]: _plain_fields(c) for c in holdings.pop("contacts", [])}
    for v in people:
        entry = contacts_by_id.setdefault(v.contact_id, {"contact_id": v.contact_id})
        entry.update({"name": v.name, "phone": v.phone, "view": v.view})
    borrower_row = _plain_fields((holdings.pop("borrowers", None) or [{}])[0])
    doc = {
        "format": FORMAT,
        "borrower_id": borrower_id,
        "erased": ref.erased,
        "borrower": {**borrower_row, **person.values, "view": person.view},
        "contacts": list(contacts_by_id.values()),
        "consents": holdings.pop("consent_records", []),
        "consent_receipts": receipts,
        "loans": holdings.pop("loans", []),
        "records": holdings,
        "history": history,
    }
    with store.transaction(actor.id) as uow:
        uow.audit("subject.export", borrower_id, {
            "role": actor.role, "purpose": PURPOSE,
            "sections": sorted(k for k in doc if k not in ("format", "borrower_id")),
        })
    return doc

