"""Retention shreds exactly the borrowers whose period has ended, per jurisdiction."""

from __future__ import annotations

from datetime import date

from _privacy_seed import seed
from sqlalchemy import select

from faircollect.retention.run import address_book_contacts, due, run_retention
from faircollect.store.tables.foundation import borrowers

# Seeded last activity: the payment on 2026-02-01 (later than every other dated record).
LAST = date(2026, 2, 1)


def _erased(app) -> list[str]:  # type: ignore[no-untyped-def]
    with app.store.read() as conn:
        return list(conn.execute(select(borrowers.c.borrower_id).where(
            borrowers.c.erased_at.is_not(None)).order_by(borrowers.c.borrower_id)).scalars())


def test_due_exactly_on_the_end_of_each_period(app) -> None:  # type: ignore[no-untyped-def]
    seed(app, last_payment=LAST)
    with app.store.read() as conn:
        assert due(conn, date(2028, 1, 31)) == []
        cn = due(conn, date(2028, 2, 1))
        assert [(d.borrower_id, d.last_activity, d.due_on) for d in cn] == [
            ("b-1", LAST, date(2028, 2, 1))]
        assert [d.borrower_id for d in due(conn, date(2029, 1, 31))] == ["b-1"]
        assert [d.borrower_id for d in due(conn, date(2029, 2, 1))] == ["b-1", "b-2"]
        assert [d.borrower_id for d in due(conn, date(2032, 2, 1))] == ["b-1", "b-2", "b-3"]


def test_run_shreds_what_is_due_and_nothing_else(app) -> None:  # type: ignore[no-untyped-def]
    seed(app, last_payment=LAST)
    dry = run_retention(app.store, app.vault, actor="retention", as_of=date(2029, 2, 1),
                        dry_run=True)
    assert [d.borrower_id for d in dry] == ["b-1", "b-2"] and _erased(app) == []
    done = run_retention(app.store, app.vault, actor="retention", as_of=date(2029, 2, 1))
    assert [d.borrower_id for d in done] == ["b-1", "b-2"]
    assert _erased(app) == ["b-1", "b-2"]
    again = run_retention(app.store, app.vault, actor="retention", as_of=date(2029, 2, 1))
    assert again == []


def test_address_book_contacts_are_listed_until_cleared(app) -> None:  # type: ignore[no-untyped-def]
    seed(app, last_payment=LAST)
    with app.store.read() as conn:
        assert [(e.contact_id, e.borrower_id) for e in address_book_contacts(conn)] == [
            ("c-2", "b-1")]
    run_retention(app.store, app.vault, actor="retention", as_of=date(2028, 2, 1))
    with app.store.read() as conn:
        assert address_book_contacts(conn) == []
