"""The access guard: the one way personal data is decrypted for a person.

Every read states who is reading (an `Actor` with a role) and why (a purpose of access). The
guard asks the policy, decrypts only what is allowed, masks what must be masked, and writes
one audit entry per person read (who, which fields, whose token, why) in the same transaction
as the read. A denied read decrypts nothing, is audited on its own, and raises AccessDenied.
Address-book contacts are never decrypted except for the few purposes the policy names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, select

from faircollect.access.assignment import assigned_borrowers
from faircollect.access.policy import AccessPolicy, Relation, Verdict, decide, load_policy
from faircollect.errors import (
    AccessDenied,
    InputError,
    IntegrityError,
    KeyUnavailable,
    NotFound,
)
from faircollect.governance.training_service import untrained_for
from faircollect.store.tables.foundation import borrowers, contacts
from faircollect.store.unit_of_work import Store, UnitOfWork
from faircollect.vault.envelope import open_sealed
from faircollect.vault.masking import MASKERS
from faircollect.vault.vault import Vault

BORROWER_FIELDS: tuple[str, ...] = ("full_name", "national_id", "phone", "email")
CONTACT_FIELDS: tuple[str, ...] = ("name", "phone")
ViewKind = Literal["full", "masked", "withheld", "erased"]
_CHUNK = 900  # bound parameters per IN list, under SQLite's limit
_VERSION = b"\x01"  # vault.envelope's ciphertext format
TRAINED_ROLES = frozenset({"collector"})  # roles that reveal only with valid training


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is reading: an id (a token, never a name), a role and, for a borrower, who they are."""

    id: str
    role: str
    borrower_id: str | None = None


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact person as the reader may see them; `view` says how the values were given."""

    contact_id: str
    borrower_id: str
    relation: str
    source: str
    refused_contact: bool
    view: ViewKind
    name: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class BorrowerView:
    """A borrower's personal fields as the reader may see them (absent fields are None)."""

    borrower_id: str
    view: ViewKind
    values: dict[str, str | None] = field(default_factory=dict, repr=False)


class Guard:
    """Checks role, scope and purpose; decrypts, masks and audits every read."""

    def __init__(self, store: Store, vault: Vault, policy: AccessPolicy | None = None) -> None:
        self.store = store
        self.vault = vault
        self.policy = policy or load_policy()
        self._verdicts: dict[tuple[str, str, str, Relation, bool], Verdict] = {}

    def __repr__(self) -> str:
        return f"Guard(policy={self.policy.version!r})"

    # -- reads ----------------------------------------------------------------------------
    def borrower(
        self, actor: Actor, borrower_id: str, *, purpose: str, full: bool = False,
        fields: Sequence[str] = BORROWER_FIELDS,
    ) -> BorrowerView:
        """One borrower's personal fields, masked unless `full` is asked for and allowed."""
        bad = [f for f in fields if f not in BORROWER_FIELDS]
        if bad:
            raise InputError(f"unknown borrower field {bad[0]!r}", field="fields")
        names = [f"borrower.{f}" for f in fields]
        values: dict[str, str | None] = {}
        kind: ViewKind = "full" if full else "masked"
        with self.store.transaction(actor.id) as uow:
            denied = self._authorise(uow, actor, [borrower_id], names, purpose, full)
            if denied is not None:
                # Committed with the transaction; raised once it is over.
                self._audit_denial(uow, actor, denied, purpose, full)
            else:
                cols = [borrowers.c[f"{f}_ct"] for f in fields]
                row = uow.conn.execute(
                    select(*cols).where(borrowers.c.borrower_id == borrower_id)
                ).first()
                if row is None:
                    raise NotFound(f"no borrower {borrower_id!r}", borrower_id=borrower_id)
                cipher = self._cipher(uow.conn, borrower_id)
                if cipher is None:
                    kind = "erased"
                else:
                    for f, blob in zip(fields, row, strict=True):
                        plain = None if blob is None else open_sealed(
                            cipher, blob, _ctx("borrowers", f, borrower_id))
                        values[f] = plain if full or plain is None else MASKERS[f](plain)
                self._audit_read(uow, actor, borrower_id, names, purpose, kind, 1)
        if denied is not None:
            raise denied
        return BorrowerView(borrower_id, kind, values)

    def contacts(
        self, actor: Actor, borrower_ids: Sequence[str], *, purpose: str, full: bool = False
    ) -> list[ContactView]:
        """The contact persons of these borrowers, masked unless `full` is asked and allowed.

        All or nothing: if any borrower is outside the actor's reach, nothing is decrypted.
        """
        wanted = list(dict.fromkeys(borrower_ids))
        names = [f"contact.{f}" for f in CONTACT_FIELDS]
        ab_ok = purpose in self.policy.address_book.purposes
        out: list[ContactView] = []
        with self.store.transaction(actor.id) as uow:
            denied = self._authorise(uow, actor, wanted, names, purpose, full)
            if denied is not None:
                self._audit_denial(uow, actor, denied, purpose, full)
                wanted = []  # decrypt nothing
            c = contacts.c
            query = select(c.contact_id, c.borrower_id, c.relation, c.source, c.refused_contact,
                           c.name_ct, c.phone_ct)
            read: dict[str, list[str]] = {b: [] for b in wanted}
            mask_name, mask_phone = MASKERS["name"], MASKERS["phone"]
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i : i + _CHUNK]
                rows = uow.conn.execute(query.where(c.borrower_id.in_(chunk))).all()
                ciphers = self.vault.ciphers(uow.conn, chunk)
                for cid, bid, rel, source, refused, name_ct, phone_ct in rows:
                    if source == "address_book" and not ab_ok:
                        out.append(ContactView(cid, bid, rel, source, refused, "withheld"))
                        continue
                    cipher = ciphers.get(bid)
                    if cipher is None:  # crypto-shredded: nothing of theirs can be read
                        out.append(ContactView(cid, bid, rel, source, refused, "erased"))
                        continue
                    name = None if name_ct is None else _open(cipher, name_ct, "contacts.name:", cid)
                    phone = None if phone_ct is None else _open(cipher, phone_ct,
                                                                "contacts.phone:", cid)
                    if not full:
                        name = mask_name(name) if name is not None else None
                        phone = mask_phone(phone) if phone is not None else None
                    read[bid].append(cid)
                    out.append(ContactView(cid, bid, rel, source, refused,
                                           "full" if full else "masked", name, phone))
            view: ViewKind = "full" if full else "masked"
            for bid, cids in read.items():
                if cids:
                    self._audit_read(uow, actor, bid, names, purpose, view, len(cids))
        if denied is not None:
            raise denied
        out.sort(key=lambda v: (v.borrower_id, v.contact_id))
        return out

    # -- checks ---------------------------------------------------------------------------
    def verdict(
        self, role: str, field_name: str, purpose: str, relation: Relation, want_full: bool
    ) -> Verdict:
        """The policy's answer, cached: it depends on these five values only."""
        key = (role, field_name, purpose, relation, want_full)
        v = self._verdicts.get(key)
        if v is None:
            v = self._verdicts[key] = decide(self.policy, role, field_name, purpose, relation,
                                             want_full=want_full)
        return v

    def _authorise(
        self, uow: UnitOfWork, actor: Actor, borrower_ids: list[str], fields: list[str],
        purpose: str, full: bool,
    ) -> AccessDenied | None:
        """None when every field of every borrower may be read, else the first denial."""
        rp = self.policy.roles.get(actor.role)
        relations: dict[str, Relation]
        if rp is not None and rp.scope == "assigned":
            mine = assigned_borrowers(uow.conn, actor.id, borrower_ids)
            relations = {b: "assigned" if b in mine else "other" for b in borrower_ids}
        elif rp is not None and rp.scope == "self":
            relations = {b: "self" if b == actor.borrower_id else "other" for b in borrower_ids}
        else:
            relations = dict.fromkeys(borrower_ids, "other")
        if actor.role in TRAINED_ROLES:
            untrained = _untrained(uow.conn, actor, borrower_ids, self.store.clock())
            if untrained is not None:
                return untrained
        for bid in borrower_ids:
            for f in fields:
                v = self.verdict(actor.role, f, purpose, relations[bid], full)
                if not v.allowed:
                    return AccessDenied(f"access denied: {v.reason}", role=actor.role,
                                        purpose=purpose, borrower_id=bid, field=f)
        return None

    def _audit_denial(self, uow: UnitOfWork, actor: Actor, denied: AccessDenied, purpose: str,
                      full: bool) -> None:
        uow.audit("access.denied", str(denied.fields["borrower_id"]), {
            "role": actor.role, "field": denied.fields["field"], "purpose": purpose,
            "full": full, "reason": denied.message, "policy": self.policy.version,
        })

    def _cipher(self, conn: Connection, borrower_id: str) -> AESGCM | None:
        try:
            return self.vault.cipher(conn, borrower_id)
        except KeyUnavailable:
            return None  # crypto-shredded: nothing of theirs can be read any more

    def _audit_read(self, uow: UnitOfWork, actor: Actor, borrower_id: str, fields: list[str],
                    purpose: str, view: ViewKind, records: int) -> None:
        # Kept to scalars: a bulk read writes one entry per borrower, so this runs often.
        uow.audit("access.read", borrower_id, {
            "role": actor.role, "fields": ",".join(fields), "purpose": purpose, "view": view,
            "records": records,
        })


def _untrained(conn: Connection, actor: Actor, borrower_ids: list[str],
               now: datetime) -> AccessDenied | None:
    """HOUSE-TRAINING: an untrained collector reveals nothing of a case of that jurisdiction."""
    by_borrower: dict[str, str] = {}
    for i in range(0, len(borrower_ids), _CHUNK):
        chunk = borrower_ids[i : i + _CHUNK]
        by_borrower.update(conn.execute(select(borrowers.c.borrower_id, borrowers.c.jurisdiction)
                                        .where(borrowers.c.borrower_id.in_(chunk))).all())
    bad = untrained_for(conn, actor.id, set(by_borrower.values()), now)
    if bad is None:
        return None
    bid = next(b for b in borrower_ids if by_borrower.get(b) == bad)
    return AccessDenied(f"access denied: HOUSE-TRAINING: no valid training for {bad}",
                        role=actor.role, borrower_id=bid, field="training", rule="HOUSE-TRAINING",
                        jurisdiction=bad)


def _open(cipher: AESGCM, blob: bytes, place: str, record_id: str) -> str:
    """`vault.envelope.open_sealed` for the hot loop: same checks, context built inline."""
    if blob[:1] != _VERSION:
        raise IntegrityError("unknown ciphertext version")
    try:
        return cipher.decrypt(blob[1:13], blob[13:], (place + record_id).encode()).decode()
    except InvalidTag as exc:
        raise IntegrityError("a ciphertext failed authentication") from exc


def _ctx(table: str, column: str, record_id: str) -> bytes:
    # Same bytes as vault.envelope.field_context, inlined: this runs once per field read.
    return f"{table}.{column}:{record_id}".encode()
