"""One-time links for contact persons: see who contacted you and why, refuse further
contact, ask for your own data to be erased. No sign-in: the link's token is the key.

A token is random, kept only as its SHA-256 digest, lives 30 days and serves one person. It
shows the lender and when and how the person was contacted, never the borrower's debt or
identity. A refusal sets the contact's `refused_contact`, which the policy decision point's
`contact_refused` rule reads on the very next decision; an erasure removes the person's name
and phone (ciphertext and blind index) and refuses contact too. Both are audited and take
effect in the same transaction. The link stays usable to see that they took effect.

The daily cycle puts a link into every message to a contact person (`CycleLinks`): its token
is HMAC-SHA256 of the attempt's idempotency key under a keyring-derived key, so a resumed
run renders the very same body and link, while nobody without the key can derive one. The
URL holds the token only: no name, phone, borrower id or anything of the debt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import insert, select, update

from faircollect.bootstrap import App
from faircollect.errors import InputError, NotFound
from faircollect.store.tables.dispatch import contact_history
from faircollect.store.tables.foundation import contacts
from faircollect.store.tables.web import web_contact_links
from faircollect.store.unit_of_work import UnitOfWork
from faircollect.web.services.keys import derived

LIFETIME: Final = timedelta(days=30)
_l = web_contact_links


@dataclass(frozen=True, slots=True)
class Contacted:
    at: datetime
    channel: str


@dataclass(frozen=True, slots=True)
class ContactPage:
    """What the contact person sees: the lender, their relation as recorded, the contacts
    made, and whether they have refused or erased (never anything of the debt)."""

    lender: str
    relation: str
    refused: bool
    erased: bool
    contacted: tuple[Contacted, ...] = field(default_factory=tuple)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(app: App, *, actor: str, contact_id: str, lender: str) -> str:
    """A new link token for this contact person (shown once, put in the message's body)."""
    if not lender.strip() or len(lender) > 120:
        raise InputError("lender: 1-120 characters", field="lender")
    now = app.store.clock()
    token = secrets.token_urlsafe(24)
    with app.store.transaction(actor) as uow:
        row = uow.conn.execute(select(contacts.c.borrower_id).where(
            contacts.c.contact_id == contact_id)).first()
        if row is None:
            raise NotFound("unknown contact", contact_id=contact_id)
        uow.conn.execute(insert(_l).values(
            token_digest=_digest(token), contact_id=contact_id, borrower_id=row.borrower_id,
            lender=lender.strip(), created_at=now, expires_at=now + LIFETIME))
        uow.audit("web.contact_link_issued", f"contact:{contact_id}", {})
    return token


def contact_url(base_url: str, token: str) -> str:
    """The address of a contact-person page: the public base URL and the token, nothing else."""
    return f"{base_url.rstrip('/')}/contact/{token}"


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A link the cycle put into a message: its token's digest and whom it serves."""

    token_digest: str
    contact_id: str
    borrower_id: str


@dataclass(frozen=True)
class CycleLinks:
    """Links for the cycle's messages to contact persons (one per attempt, derived).

    `key` is secret (`cycle_links(app)` derives it from the keyring); `base_url` the public
    address of the web faces.
    """

    key: bytes = field(repr=False)
    base_url: str

    def token(self, idempotency_key: str) -> str:
        mac = hmac.new(self.key, b"contact-link\x00" + idempotency_key.encode(), "sha256")
        return base64.urlsafe_b64encode(mac.digest()[:24]).decode()  # 32 URL-safe characters

    def issue(self, idempotency_key: str, contact_id: str,
              borrower_id: str) -> tuple[str, IssuedLink]:
        """The URL to put in the message and the row to store (digest only)."""
        token = self.token(idempotency_key)
        return contact_url(self.base_url, token), IssuedLink(_digest(token), contact_id,
                                                             borrower_id)


def cycle_links(app: App) -> CycleLinks:
    """The cycle's link maker for this store's keyring and `FAIRCOLLECT_PUBLIC_URL`."""
    return CycleLinks(key=derived(app, "contact links"), base_url=app.settings.public_url)


def record_links(uow: UnitOfWork, links: Iterable[IssuedLink], *, lender: str,
                 now: datetime) -> int:
    """Store the links of a batch in the caller's transaction; returns how many are new.

    A link already stored (a resumed run derives the same token) is left as it is.
    """
    todo = {x.token_digest: x for x in links}
    if not todo:
        return 0
    have = set(uow.conn.execute(select(_l.c.token_digest).where(
        _l.c.token_digest.in_(list(todo)))).scalars())
    new = [x for d, x in todo.items() if d not in have]
    if new:
        uow.conn.execute(insert(_l), [{
            "token_digest": x.token_digest, "contact_id": x.contact_id,
            "borrower_id": x.borrower_id, "lender": lender, "created_at": now,
            "expires_at": now + LIFETIME} for x in new])
    for x in new:
        uow.audit("web.contact_link_issued", f"contact:{x.contact_id}", {"via": "cycle"})
    return len(new)


def _link(conn: object, token: str, now: datetime) -> tuple[str, str, str]:
    row = conn.execute(select(_l.c.contact_id, _l.c.borrower_id, _l.c.lender).where(  # type: ignore[attr-defined]
        _l.c.token_digest == _digest(token), _l.c.expires_at > now)).first()
    if row is None:
        raise NotFound("this link is unknown or has expired")
    return str(row.contact_id), str(row.borrower_id), str(row.lender)


def show(app: App, token: str) -> ContactPage:
    now = app.store.clock()
    with app.store.read() as conn:
        contact_id, _borrower, lender = _link(conn, token, now)
        c = conn.execute(select(contacts.c.relation, contacts.c.refused_contact,
                                contacts.c.name_ct, contacts.c.phone_ct).where(
            contacts.c.contact_id == contact_id)).one()
        h = contact_history.c
        rows = conn.execute(select(h.at, h.channel).where(
            h.contact_id == contact_id, h.audience != "borrower").order_by(h.at.desc())
            .limit(20)).all()
    return ContactPage(lender, str(c.relation), bool(c.refused_contact),
                       c.name_ct is None and c.phone_ct is None,
                       tuple(Contacted(r.at, str(r.channel)) for r in rows))


def refuse(app: App, token: str) -> None:
    """Refuse further contact: the decision point denies every later attempt at once."""
    now = app.store.clock()
    with app.store.transaction("contact-person") as uow:
        contact_id, borrower_id, _ = _link(uow.conn, token, now)
        uow.conn.execute(update(contacts).where(contacts.c.contact_id == contact_id).values(
            refused_contact=True, updated_at=now))
        uow.conn.execute(update(_l).where(_l.c.token_digest == _digest(token),
                                          _l.c.used_at.is_(None)).values(used_at=now))
        uow.audit("contact.refused", f"contact:{contact_id}",
                  {"borrower_id": borrower_id, "via": "contact_link"})


def erase(app: App, token: str) -> None:
    """Erase the person's own data (name, phone, its blind index) and refuse contact."""
    now = app.store.clock()
    with app.store.transaction("contact-person") as uow:
        contact_id, borrower_id, _ = _link(uow.conn, token, now)
        uow.conn.execute(update(contacts).where(contacts.c.contact_id == contact_id).values(
            refused_contact=True, name_ct=None, phone_ct=None, phone_bidx=None,
            updated_at=now))
        uow.conn.execute(update(_l).where(_l.c.token_digest == _digest(token),
                                          _l.c.used_at.is_(None)).values(used_at=now))
        uow.audit("contact.erased", f"contact:{contact_id}",
                  {"borrower_id": borrower_id, "fields": ["name", "phone"],
                   "via": "contact_link"})
