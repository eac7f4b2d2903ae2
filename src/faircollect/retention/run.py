"""Which borrowers are due for erasure under the retention policy, and the run that erases them.

Last activity is the latest date in any record about the borrower (payments, due dates,
contact history, consents, promises, complaints...), found from the schema so new parts count.
A borrower is due on the day their period ends: last activity + N years <= as-of date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, delete, func, select, update

from faircollect.retention.policy import RetentionPolicy, add_years, load_retention
from faircollect.store.tables.foundation import borrowers, contacts, loans
from faircollect.store.unit_of_work import Store
from faircollect.subject.erase import erase_in
from faircollect.subject.holdings import activity_columns, borrower_tables, loan_tables
from faircollect.vault.vault import Vault

KIND = "collection_records"


@dataclass(frozen=True, slots=True)
class Due:
    """A borrower whose retention period ends on `due_on`."""

    borrower_id: str
    jurisdiction: str
    last_activity: date
    due_on: date
    citation: str


@dataclass(frozen=True, slots=True)
class AddressBookEntry:
    """An address-book contact to delete: tokens only, never decrypted."""

    contact_id: str
    borrower_id: str
    created_at: datetime


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    if isinstance(value, date):
        return value
    return None


def last_activity(conn: Connection) -> dict[str, date]:
    """The latest activity date of every borrower not yet erased."""
    latest: dict[str, date] = {}

    def see(bid: str, value: object) -> None:
        d = _day(value)
        if d is not None and (bid not in latest or d > latest[bid]):
            latest[bid] = d

    for t in borrower_tables():
        for col in activity_columns(t):
            for bid, value in conn.execute(
                select(t.c.borrower_id, func.max(t.c[col])).group_by(t.c.borrower_id)
            ):
                see(bid, value)
    for t in loan_tables():
        for col in activity_columns(t):
            query = (select(loans.c.borrower_id, func.max(t.c[col]))
                     .join(loans, loans.c.loan_id == t.c.loan_id)
                     .group_by(loans.c.borrower_id))
            for bid, value in conn.execute(query):
                see(bid, value)
    erased = set(conn.execute(
        select(borrowers.c.borrower_id).where(borrowers.c.erased_at.is_not(None))).scalars())
    return {b: d for b, d in latest.items() if b not in erased}


def due(conn: Connection, as_of: date, policy: RetentionPolicy | None = None) -> list[Due]:
    """Borrowers whose collection records are past their retention period on `as_of`."""
    policy = policy or load_retention()
    activity = last_activity(conn)
    out: list[Due] = []
    for bid, jurisdiction in conn.execute(
        select(borrowers.c.borrower_id, borrowers.c.jurisdiction)
        .where(borrowers.c.erased_at.is_(None)).order_by(borrowers.c.borrower_id)
    ):
        last = activity.get(bid)
        if last is None:
            continue
        period = policy.period(KIND, jurisdiction)
        ends = add_years(last, period.years)
        if ends <= as_of:
            out.append(Due(bid, jurisdiction, last, ends, period.citation))
    return out


def run_retention(
    store: Store, vault: Vault, *, actor: str, as_of: date, dry_run: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Due]:
    """Erase every borrower due on `as_of` (each in its own transaction); returns them.
    `on_progress(done, total)` is told of each erasure."""
    with store.read() as conn:
        todo = due(conn, as_of)
    if dry_run:
        return todo
    if on_progress is not None:
        on_progress(0, len(todo))
    for done, d in enumerate(todo, 1):
        with store.transaction(actor) as uow:
            erase_in(uow, vault, d.borrower_id, reason="retention", now=store.clock())
            uow.audit("retention.erase", d.borrower_id, {
                "as_of": as_of, "last_activity": d.last_activity, "due_on": d.due_on,
                "kind": KIND, "jurisdiction": d.jurisdiction,
            })
        if on_progress is not None:
            on_progress(done, len(todo))
    return todo


def address_book_contacts(conn: Connection) -> list[AddressBookEntry]:
    """Address-book contacts still holding data: for the compliance report's deletion list."""
    rows = conn.execute(
        select(contacts.c.contact_id, contacts.c.borrower_id, contacts.c.created_at)
        .where(contacts.c.source == ADDRESS_BOOK, contacts.c.phone_ct.is_not(None))
        .order_by(contacts.c.borrower_id, contacts.c.contact_id)
    )
    return [AddressBookEntry(*r) for r in rows]


ADDRESS_BOOK = "address_book"  # the contact source of numbers harvested from a phone


def delete_address_book(store: Store, *, actor: str) -> int:
    """Delete every address-book contact in one audited transaction; returns how many.

    Their ciphertexts and blind indexes are cleared first and the rows then deleted, so no
    ciphertext or blind index of them stays in the live tables. Contacts the borrower
    designated are untouched. The audit entry holds only the count.
    """
    now = store.clock()
    with store.transaction(actor) as uow:
        harvested = contacts.c.source == ADDRESS_BOOK
        uow.conn.execute(update(contacts).where(harvested).values(
            name_ct=None, phone_ct=None, phone_bidx=None, updated_at=now))
        deleted = int(uow.conn.execute(delete(contacts).where(harvested)).rowcount)
        uow.audit("retention.address_book_delete", "contacts", {"deleted": deleted})
    return deleted
