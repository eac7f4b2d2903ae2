"""`faircollect import DIR`: load a portfolio all-or-nothing, encrypted, idempotent, audited.

The whole folder is parsed and checked first; then one transaction writes every new or
changed record, its audit entries and the run's summary. Same ids with the same content
change nothing; changed content becomes an audited update; a consent change becomes a new
consent record (renewal or withdrawal), never an edit.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import polars as pl
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import bindparam, delete, insert, update

from faircollect.bootstrap import App
from faircollect.ledger.money import Money
from faircollect.ledger.schedule_frame import schedule_frame
from faircollect.portfolio.parse import ParsedPortfolio, Progress, parse_portfolio
from faircollect.portfolio.payments import payment_digest
from faircollect.portfolio.reader import DEFAULT_ENCODING
from faircollect.portfolio.records import BorrowerRecord, ContactRecord, LoanRecord
from faircollect.portfolio.state import StoredPortfolio, load_stored
from faircollect.store.bulk import insert_rows
from faircollect.store.tables.foundation import (
    borrowers,
    consent_records,
    contacts,
    data_keys,
    import_runs,
    installments,
    loans,
    payments,
)
from faircollect.store.unit_of_work import UnitOfWork

AUDIT_CHUNK = 1000
# Part of a row's digest only when set, so rows stored before the flag existed (all of them
# listed numbers) keep their digests, and a number the plan lists later is an update.
_UNVERIFIED: dict[bool, tuple[str, ...]] = {False: (), True: ("phone_unverified",)}


@dataclass
class ImportReport:
    """What an import did, per kind of record: created, updated, unchanged; which optional
    files the folder did not hold; how many phone numbers the numbering plan does not list."""

    run_id: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)  # file names, e.g. "payments.csv"
    phone_unverified: dict[str, int] = field(default_factory=dict)  # borrowers, contacts

    def tally(self, kind: str, created: int, updated: int, unchanged: int) -> None:
        self.counts[kind] = {"created": created, "updated": updated, "unchanged": unchanged}

    @property
    def changed(self) -> int:
        return sum(c["created"] + c["updated"] for c in self.counts.values())


def import_portfolio(
    app: App,
    directory: Path,
    *,
    actor: str = "cli",
    progress: Progress | None = None,
    encoding: str = DEFAULT_ENCODING,
) -> ImportReport:
    """Import the folder; raises InputError (RowError naming file, line and column for a
    bad row), writing nothing. CSV files are read as `encoding` (utf-8, gb18030, gbk or
    utf-16)."""
    store = app.store
    with store.read() as conn:
        stored = load_stored(conn)
    parsed = parse_portfolio(directory, stored, progress, encoding=encoding)
    report = ImportReport(
        run_id=str(uuid.uuid4()),
        absent=[f"{stem}.csv" for stem in parsed.absent],
        phone_unverified={
            "borrowers": sum(1 for b in parsed.borrowers if b.phone_unverified),
            "contacts": sum(1 for c in parsed.contacts if c.phone_unverified),
        },
    )
    started = store.clock()
    with store.transaction(actor=actor) as uow:
        writer = _Writer(app, uow, stored, report, progress)
        writer.borrowers(parsed.borrowers)
        writer.contacts(parsed.contacts)
        writer.consents(parsed)
        writer.loans(parsed.loans)
        writer.payments(parsed)
        summary = orjson.dumps(
            {**report.counts, "absent": report.absent, "phone_unverified": report.phone_unverified},
            option=orjson.OPT_SORT_KEYS,
        ).decode()
        uow.conn.execute(
            insert(import_runs).values(
                run_id=report.run_id,
                source_digest=_digest_files(parsed.files),
                started_at=started,
                finished_at=store.clock(),
                counts=summary,
            )
        )
        uow.audit(
            "portfolio.imported",
            f"import:{report.run_id}",
            {
                "counts": report.counts,
                "absent": report.absent,
                "phone_unverified": report.phone_unverified,
            },
        )
    return report


def _digest_files(files: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.name.encode() + b"\x00")
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _chunks(items: Sequence[str], size: int = AUDIT_CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _schedules(records: list[LoanRecord]) -> list[dict[str, Any]]:
    """Installment rows for the loans, built for all of them at once by the ledger core."""
    frame = pl.DataFrame(
        {
            "loan_id": [r.loan_id for r in records],
            "principal": [str(Money(r.principal_minor, r.currency).amount) for r in records],
            "currency": [r.currency for r in records],
            "annual_rate": [str(r.annual_rate) for r in records],
            "term_months": [r.term_months for r in records],
            "disbursed_on": [r.disbursed_on for r in records],
            "first_due_on": [r.first_due_on for r in records],
            "schedule": [r.schedule for r in records],
        }
    )
    built = schedule_frame(frame).select(
        "loan_id",
        "number",
        "due_on",
        pl.col("principal").alias("principal_minor"),
        pl.col("interest").alias("interest_minor"),
        pl.col("fees").alias("fees_minor"),
    )
    return built.to_dicts()


class _Writer:
    """Writes one parsed portfolio inside one unit of work."""

    def __init__(
        self,
        app: App,
        uow: UnitOfWork,
        stored: StoredPortfolio,
        report: ImportReport,
        progress: Progress | None,
    ) -> None:
        self.vault = app.vault
        self.digest = app.vault.indexer.digest
        self.index = app.vault.indexer.index
        self.uow = uow
        self.conn = uow.conn
        self.stored = stored
        self.report = report
        self.now = app.store.clock()
        self.tick: Callable[[str, int], None] = progress or (lambda _s, _n: None)
        self.ciphers: dict[str, AESGCM] = {}

    def _audit(self, kind: str, created: list[str], updated: list[str]) -> None:
        subject = f"import:{self.report.run_id}"
        for verb, ids in (("created", created), ("updated", updated)):
            for chunk in _chunks(ids):
                self.uow.audit(f"portfolio.{kind}.{verb}", subject, {"ids": list(chunk)})

    def _cipher(self, borrower_id: str) -> AESGCM:
        cipher = self.ciphers.get(borrower_id)
        if cipher is None:
            cipher = self.ciphers[borrower_id] = self.vault.cipher(self.conn, borrower_id)
        return cipher

    # -- borrowers ----------------------------------------------------------------------
    def _borrower_row(self, b: BorrowerRecord, digest: str, cipher: AESGCM) -> dict[str, Any]:
        seal = self.vault.seal
        bid = b.borrower_id
        return {
            "borrower_id": bid,
            "jurisdiction": b.jurisdiction,
            "timezone": b.timezone,
            "locale": b.locale,
            "flags": ";".join(b.flags),
            "opted_out_channels": ";".join(b.opted_out_channels),
            "full_name_ct": seal(cipher, b.full_name, "borrowers", "full_name", bid),
            "national_id_ct": seal(cipher, b.national_id, "borrowers", "national_id", bid),
            "phone_ct": seal(cipher, b.phone, "borrowers", "phone", bid),
            "email_ct": seal(cipher, b.email, "borrowers", "email", bid) if b.email else None,
            "phone_bidx": self.index("phone", b.phone),
            "phone_unverified": b.phone_unverified,
            "national_id_bidx": self.index("national_id", b.national_id.upper()),
            "email_bidx": self.index("email", b.email) if b.email else None,
            "row_digest": digest,
            "updated_at": self.now,
        }

    def borrowers(self, records: list[BorrowerRecord]) -> None:
        new_rows, key_rows, changed_rows = [], [], []
        unchanged = 0
        for b in records:
            digest = self.digest(
                (
                    b.borrower_id,
                    b.jurisdiction,
                    b.timezone,
                    b.locale,
                    ";".join(b.flags),
                    ";".join(b.opted_out_channels),
                    b.full_name,
                    b.national_id,
                    b.phone,
                    b.email or "",
                    *_UNVERIFIED[b.phone_unverified],
                )
            )
            prior = self.stored.borrowers.get(b.borrower_id)
            if prior is None:
                key_row, cipher = self.vault.new_key_row(self.conn, b.borrower_id, self.now)
                self.ciphers[b.borrower_id] = cipher
                key_rows.append(key_row)
                row = self._borrower_row(b, digest, cipher)
                row["created_at"] = self.now
                new_rows.append(row)
            elif prior[0] != digest:
                row = self._borrower_row(b, digest, self._cipher(b.borrower_id))
                row["b_id"] = row.pop("borrower_id")
                changed_rows.append(row)
            else:
                unchanged += 1
        if key_rows:
            insert_rows(self.conn, data_keys, key_rows)
            insert_rows(self.conn, borrowers, new_rows)
        if changed_rows:
            self.conn.execute(
                update(borrowers).where(borrowers.c.borrower_id == bindparam("b_id")), changed_rows
            )
        self.report.tally("borrowers", len(new_rows), len(changed_rows), unchanged)
        self._audit(
            "borrowers", [r["borrower_id"] for r in new_rows], [r["b_id"] for r in changed_rows]
        )
        self.tick("write borrowers", len(records))

    # -- contacts -----------------------------------------------------------------------
    def contacts(self, records: list[ContactRecord]) -> None:
        new_rows: list[dict[str, Any]] = []
        changed_rows: list[dict[str, Any]] = []
        unchanged = 0
        seal = self.vault.seal
        for c in records:
            digest = self.digest(
                (
                    c.contact_id,
                    c.borrower_id,
                    c.relation,
                    c.source,
                    c.name,
                    c.phone,
                    *_UNVERIFIED[c.phone_unverified],
                )
            )
            prior = self.stored.contacts.get(c.contact_id)
            if prior is not None and prior[1] == digest:
                unchanged += 1
                continue
            cipher = self._cipher(c.borrower_id)
            cid = c.contact_id
            row: dict[str, Any] = {
                "borrower_id": c.borrower_id,
                "relation": c.relation,
                "source": c.source,
                "name_ct": seal(cipher, c.name, "contacts", "name", cid),
                "phone_ct": seal(cipher, c.phone, "contacts", "phone", cid),
                "phone_bidx": self.index("phone", c.phone),
                "phone_unverified": c.phone_unverified,
                "row_digest": digest,
                "updated_at": self.now,
            }
            if prior is None:
                new_rows.append(
                    {**row, "contact_id": cid, "refused_contact": False, "created_at": self.now}
                )
            else:
                changed_rows.append({**row, "c_id": cid})
        if new_rows:
            insert_rows(self.conn, contacts, new_rows)
        if changed_rows:
            self.conn.execute(
                update(contacts).where(contacts.c.contact_id == bindparam("c_id")), changed_rows
            )
        self.report.tally("contacts", len(new_rows), len(changed_rows), unchanged)
        self._audit(
            "contacts", [r["contact_id"] for r in new_rows], [r["c_id"] for r in changed_rows]
        )
        self.tick("write contacts", len(records))

    # -- consents -----------------------------------------------------------------------
    def consents(self, parsed: ParsedPortfolio) -> None:
        rows: list[dict[str, Any]] = []
        created: list[str] = []
        updated: list[str] = []
        unchanged = 0
        for c in parsed.consents:
            base = {
                "consent_id": c.consent_id,
                "borrower_id": c.borrower_id,
                "purpose": c.purpose,
                "contact_id": c.contact_id,
                "granted_at": c.granted_at,
                "channel": c.channel,
                "policy_version": c.policy_version,
                "notice_sha256": None,
                "recorded_at": self.now,
            }
            prior = self.stored.consents.get(c.consent_id)
            if prior is None:
                rows.append(
                    {**base, "kind": "grant", "expires_at": c.expires_at, "withdrawn_at": None}
                )
                created.append(c.consent_id)
                if c.withdrawn_at is not None:
                    rows.append(
                        {
                            **base,
                            "kind": "withdraw",
                            "expires_at": c.expires_at,
                            "withdrawn_at": c.withdrawn_at,
                        }
                    )
                continue
            changed = False
            if c.expires_at != prior.expires_at:
                rows.append(
                    {**base, "kind": "renew", "expires_at": c.expires_at, "withdrawn_at": None}
                )
                changed = True
            if c.withdrawn_at is not None and prior.withdrawn_at is None:
                rows.append(
                    {
                        **base,
                        "kind": "withdraw",
                        "expires_at": c.expires_at,
                        "withdrawn_at": c.withdrawn_at,
                    }
                )
                changed = True
            if changed:
                updated.append(c.consent_id)
            else:
                unchanged += 1
        if rows:
            insert_rows(self.conn, consent_records, rows)
        self.report.tally("consents", len(created), len(updated), unchanged)
        self._audit("consents", created, updated)
        self.tick("write consents", len(parsed.consents))

    # -- loans --------------------------------------------------------------------------
    def loans(self, records: list[LoanRecord]) -> None:
        new_rows, changed_rows, schedule_rows = [], [], []
        replaced: list[str] = []
        unchanged = 0
        for loan in records:
            digest = self.digest(
                (
                    loan.loan_id,
                    loan.borrower_id,
                    loan.currency,
                    str(loan.principal_minor),
                    str(loan.annual_rate),
                    str(loan.term_months),
                    loan.disbursed_on.isoformat(),
                    loan.first_due_on.isoformat(),
                    loan.schedule,
                )
            )
            prior = self.stored.loans.get(loan.loan_id)
            if prior is not None and prior[1] == digest:
                unchanged += 1
                continue
            row: dict[str, Any] = {
                "borrower_id": loan.borrower_id,
                "currency": loan.currency,
                "principal_minor": loan.principal_minor,
                "annual_rate": loan.annual_rate,
                "term_months": loan.term_months,
                "disbursed_on": loan.disbursed_on,
                "first_due_on": loan.first_due_on,
                "schedule": loan.schedule,
                "row_digest": digest,
                "updated_at": self.now,
            }
            if prior is None:
                new_rows.append({**row, "loan_id": loan.loan_id, "created_at": self.now})
            else:
                changed_rows.append({**row, "l_id": loan.loan_id})
                replaced.append(loan.loan_id)
            schedule_rows.append(loan)
        if new_rows:
            insert_rows(self.conn, loans, new_rows)
        if changed_rows:
            self.conn.execute(
                update(loans).where(loans.c.loan_id == bindparam("l_id")), changed_rows
            )
            self.conn.execute(delete(installments).where(installments.c.loan_id.in_(replaced)))
        if schedule_rows:
            insert_rows(self.conn, installments, _schedules(schedule_rows))
        self.report.tally("loans", len(new_rows), len(changed_rows), unchanged)
        self._audit("loans", [r["loan_id"] for r in new_rows], replaced)
        self.tick("write loans", len(records))

    # -- payments -----------------------------------------------------------------------
    def payments(self, parsed: ParsedPortfolio) -> None:
        new_rows: list[dict[str, Any]] = []
        changed_rows: list[dict[str, Any]] = []
        unchanged = 0
        for p in parsed.payments:
            digest = payment_digest(self.digest, p)
            prior = self.stored.payments.get(p.payment_id)
            if prior == digest:
                unchanged += 1
                continue
            row = {
                "loan_id": p.loan_id,
                "paid_on": p.paid_on,
                "amount_minor": p.amount_minor,
                "row_digest": digest,
            }
            if prior is None:
                new_rows.append({**row, "payment_id": p.payment_id, "created_at": self.now})
            else:
                changed_rows.append({**row, "p_id": p.payment_id})
        if new_rows:
            insert_rows(self.conn, payments, new_rows)
        if changed_rows:
            self.conn.execute(
                update(payments).where(payments.c.payment_id == bindparam("p_id")), changed_rows
            )
        self.report.tally("payments", len(new_rows), len(changed_rows), unchanged)
        self._audit(
            "payments", [r["payment_id"] for r in new_rows], [r["p_id"] for r in changed_rows]
        )
        self.tick("write payments", len(parsed.payments))
