"""Contact persons the borrower designates or removes themselves (the portal's service).

Adding one stores the person as an import would (name and phone sealed under the borrower's
data key, the phone's blind index, source `borrower_designated`) and records the borrower's
consent (purpose `contact_designated_contact`) for that person in the consent ledger, with
the notice the borrower was shown. Removing one withdraws every open consent for the person
(the planner's eligible-contact filter and the decision point's consent rule stop using
them on the next decision), refuses further contact, and drops their name, phone and blind
index: nothing is kept of someone the borrower no longer names. Each step is audited
(`contact.designated_added`, the ledger's own entries, `contact.designated_removed`).

The contact row and the consent are two transactions (the ledger opens its own); when the
consent cannot be recorded the new row is removed again, so a contact never stands without
the consent that allows its use.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import delete, insert, select, update

from faircollect.bootstrap import App
from faircollect.cases.borrower import load_borrower
from faircollect.consent.ledger import ConsentLedger
from faircollect.errors import AccessDenied, Conflict, FairCollectError, InputError, NotFound
from faircollect.store.tables.foundation import consent_records, contacts
from faircollect.vault.phone import normalise_phone

PURPOSE: Final = "contact_designated_contact"
SOURCE: Final = "borrower_designated"
# The relations a borrower may name from the portal (a free text would invite personal data).
RELATIONS: Final = ("parent", "sibling", "spouse", "child", "relative", "friend", "colleague",
                    "other")
MAX_CONTACTS: Final = 5
MAX_NAME: Final = 80


@dataclass(frozen=True, slots=True)
class Designated:
    """One of the borrower's designated contacts, as the portal lists it (no name, no phone
    but its last two digits)."""

    contact_id: str
    relation: str
    phone_hint: str
    added_at: datetime
    refused: bool


def designated_contacts(app: App, borrower_id: str) -> list[Designated]:
    """The borrower's designated contacts that are still held (removed ones are not)."""
    c = contacts.c
    with app.store.read() as conn:
        rows = conn.execute(select(c.contact_id, c.relation, c.phone_ct, c.created_at,
                                   c.refused_contact).where(
            c.borrower_id == borrower_id, c.source == SOURCE, c.phone_ct.is_not(None))
            .order_by(c.created_at, c.contact_id)).all()
        cipher = app.vault.cipher(conn, borrower_id) if rows else None
    out = []
    for r in rows:
        phone = app.vault.open(cipher, r.phone_ct, "contacts", "phone", r.contact_id)  # type: ignore[arg-type]
        out.append(Designated(r.contact_id, r.relation, "•• " + phone[-2:], r.created_at,
                              bool(r.refused_contact)))
    return out


def add_designated_contact(app: App, *, actor: str, borrower_id: str, name: str, phone: str,
                           relation: str, notice_text: str, policy_version: str,
                           channel: str = "portal") -> tuple[str, str]:
    """Store a new designated contact and the borrower's consent for them.

    Returns (contact id, consent id). InputError names the field that is wrong (never its
    value); Conflict when the borrower already names `MAX_CONTACTS` people or this phone.
    """
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise InputError(f"name: 1-{MAX_NAME} characters", field="name")
    if relation not in RELATIONS:
        raise InputError(f"relation: one of {', '.join(RELATIONS)}", field="relation")
    now = app.store.clock()
    contact_id = "c-" + uuid.uuid4().hex[:20]
    indexer = app.vault.indexer
    with app.store.transaction(actor) as uow:
        b = load_borrower(uow.conn, borrower_id, lock=True)
        e164 = normalise_phone(phone, b.jurisdiction)
        bidx = indexer.index("phone", e164)
        held = uow.conn.execute(select(contacts.c.phone_bidx).where(
            contacts.c.borrower_id == borrower_id, contacts.c.source == SOURCE,
            contacts.c.phone_ct.is_not(None))).scalars().all()
        if len(held) >= MAX_CONTACTS:
            raise Conflict(f"at most {MAX_CONTACTS} designated contacts",
                           borrower_id=borrower_id)
        if bidx in held:
            raise Conflict("this person is already one of your contacts",
                           borrower_id=borrower_id)
        cipher = app.vault.cipher(uow.conn, borrower_id)
        uow.conn.execute(insert(contacts).values(
            contact_id=contact_id, borrower_id=borrower_id, relation=relation, source=SOURCE,
            name_ct=app.vault.seal(cipher, name, "contacts", "name", contact_id),
            phone_ct=app.vault.seal(cipher, e164, "contacts", "phone", contact_id),
            phone_bidx=bidx, phone_unverified=False, refused_contact=False,
            row_digest=indexer.digest((contact_id, borrower_id, relation, SOURCE, name, e164)),
            created_at=now, updated_at=now))
        uow.audit("contact.designated_added", f"contact:{contact_id}",
                  {"borrower_id": borrower_id, "relation": relation, "via": channel})
    try:
        issued = ConsentLedger(app.store, app.keys).grant(
            actor=actor, borrower_id=borrower_id, purpose=PURPOSE, notice_text=notice_text,
            policy_version=policy_version, channel=channel, contact_id=contact_id)
    except FairCollectError:
        with app.store.transaction(actor) as uow:
            uow.conn.execute(delete(contacts).where(contacts.c.contact_id == contact_id))
            uow.audit("contact.designated_removed", f"contact:{contact_id}",
                      {"borrower_id": borrower_id, "reason": "consent_not_recorded"})
        raise
    return contact_id, issued.consent_id


def remove_designated_contact(app: App, *, actor: str, borrower_id: str, contact_id: str,
                              channel: str = "portal") -> list[str]:
    """Withdraw the borrower's consents for the person, refuse contact and drop their data.

    Returns the consent ids withdrawn. AccessDenied when the person is not this borrower's
    designated contact.
    """
    with app.store.read() as conn:
        row = conn.execute(select(contacts.c.borrower_id, contacts.c.source,
                                  contacts.c.phone_ct).where(
            contacts.c.contact_id == contact_id)).first()
        if row is None:
            raise NotFound("unknown contact", contact_id=contact_id)
        if row.borrower_id != borrower_id or row.source != SOURCE:
            raise AccessDenied("this is not one of your designated contacts")
        if row.phone_ct is None:
            raise Conflict("this contact was already removed", contact_id=contact_id)
        ids = conn.execute(select(consent_records.c.consent_id).where(
            consent_records.c.contact_id == contact_id,
            consent_records.c.purpose == PURPOSE).distinct()).scalars().all()
    ledger = ConsentLedger(app.store, app.keys)
    withdrawn = []
    for cid in sorted(ids):
        try:
            ledger.withdraw(actor=actor, consent_id=cid, channel=channel)
        except Conflict:  # withdrawn before
            continue
        withdrawn.append(cid)
    now = app.store.clock()
    with app.store.transaction(actor) as uow:
        uow.conn.execute(update(contacts).where(contacts.c.contact_id == contact_id).values(
            refused_contact=True, name_ct=None, phone_ct=None, phone_bidx=None,
            updated_at=now))
        uow.audit("contact.designated_removed", f"contact:{contact_id}",
                  {"borrower_id": borrower_id, "consents_withdrawn": withdrawn, "via": channel})
    return withdrawn
