"""Demo sign-ins for `faircollect demo`: a compliance officer and a collector with a few
assigned cases, each with a random password and a TOTP secret (flagged demo, so that
`faircollect web demo-code` may show their current code), and one contact-person link."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from faircollect.access.assignment import assign
from faircollect.bootstrap import App
from faircollect.store.tables.foundation import borrowers, contacts
from faircollect.web.services.contact_links import issue_link
from faircollect.web.services.staff import add_staff

ACCOUNTS = (("demo-compliance", "compliance"), ("demo-collector", "collector"),
            ("demo-supervisor", "supervisor"))


@dataclass(frozen=True, slots=True)
class DemoSignIn:
    username: str
    role: str
    password: str


@dataclass(frozen=True, slots=True)
class DemoAccess:
    accounts: tuple[DemoSignIn, ...]
    contact_path: str | None


def create_demo_signins(app: App, *, actor: str = "demo", cases: int = 10) -> DemoAccess:
    made = []
    for username, role in ACCOUNTS:
        password = secrets.token_urlsafe(12)
        add_staff(app, actor=actor, username=username, role=role, password=password, demo=True)
        made.append(DemoSignIn(username, role, password))
    with app.store.read() as conn:
        ids = conn.execute(select(borrowers.c.borrower_id).order_by(borrowers.c.borrower_id)
                           .limit(cases)).scalars().all()
        contact = conn.execute(select(contacts.c.contact_id).where(
            contacts.c.source != "address_book").order_by(contacts.c.contact_id)
            .limit(1)).scalar()
    for bid in ids:
        assign(app.store, actor=actor, borrower_id=bid, collector_id="staff:demo-collector")
    path = None
    if contact is not None:
        path = "/contact/" + issue_link(app, actor=actor, contact_id=contact,
                                        lender="FairCollect Demo Lender")
    return DemoAccess(tuple(made), path)
