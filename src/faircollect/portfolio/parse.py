"""Parse and cross-check a whole portfolio folder before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from faircollect.errors import InputError, RowError
from faircollect.portfolio.reader import SPECS, locate, read_rows
from faircollect.portfolio.records import (
    SOURCES,
    BorrowerRecord,
    ConsentRecord,
    ContactRecord,
    LoanRecord,
    PaymentRecord,
    Row,
)
from faircollect.portfolio.state import StoredPortfolio

Progress = Callable[[str, int], None]


@dataclass
class ParsedPortfolio:
    """Every record of the folder, validated against itself and against the store."""

    borrowers: list[BorrowerRecord] = field(default_factory=list)
    contacts: list[ContactRecord] = field(default_factory=list)
    consents: list[ConsentRecord] = field(default_factory=list)
    loans: list[LoanRecord] = field(default_factory=list)
    payments: list[PaymentRecord] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"ParsedPortfolio(borrowers={len(self.borrowers)}, contacts={len(self.contacts)}, "
            f"consents={len(self.consents)}, loans={len(self.loans)}, payments={len(self.payments)})"
        )


def _rows(directory: Path, stem: str, out: ParsedPortfolio) -> list[Row]:
    path = locate(directory, stem)
    if path is None:
        return []
    out.files.append(path)
    return [Row(path.name, line, cells) for line, cells in read_rows(path, SPECS[stem])]


def _unique(row: Row, column: str, seen: dict[str, int]) -> str:
    key = row.text(column)
    first = seen.get(key)
    if first is not None:
        raise row.error(column, f"duplicate {column} {key!r} (first on line {first})")
    seen[key] = row.line
    return key


def parse_portfolio(
    directory: Path, stored: StoredPortfolio, progress: Progress | None = None
) -> ParsedPortfolio:
    """Read every portfolio file in `directory`; the first problem raises a RowError."""
    if not directory.is_dir():
        raise InputError(f"{directory} is not a folder", file=str(directory))
    out = ParsedPortfolio()
    tick = progress or (lambda _stage, _n: None)

    # Borrowers: jurisdiction of each id (file first, then store) for phones of contacts.
    jurisdiction: dict[str, str] = {k: v[1] for k, v in stored.borrowers.items()}
    seen: dict[str, int] = {}
    for row in _rows(directory, "borrowers", out):
        _unique(row, "borrower_id", seen)
        record = BorrowerRecord.parse(row)
        stored_b = stored.borrowers.get(record.borrower_id)
        if stored_b is not None and stored_b[2] is not None:
            raise row.error(
                "borrower_id", "this borrower was erased; their data cannot be re-imported"
            )
        jurisdiction[record.borrower_id] = record.jurisdiction
        out.borrowers.append(record)
    tick("borrowers", len(out.borrowers))

    owner: dict[str, str] = {k: v[0] for k, v in stored.contacts.items()}
    seen = {}
    for row in _rows(directory, "contacts", out):
        contact_id = _unique(row, "contact_id", seen)
        borrower_id = row.text("borrower_id")
        if borrower_id not in jurisdiction:
            raise row.error("borrower_id", f"unknown borrower {borrower_id!r}")
        if contact_id in owner and owner[contact_id] != borrower_id:
            raise row.error("borrower_id", "this contact_id belongs to another borrower")
        owner[contact_id] = borrower_id
        out.contacts.append(
            ContactRecord(
                contact_id=contact_id,
                borrower_id=borrower_id,
                relation=row.text("relation"),
                source=row.choice("source", SOURCES),
                name=row.text("name"),
                phone=row.phone("phone", jurisdiction[borrower_id]),
                line=row.line,
            )
        )
    tick("contacts", len(out.contacts))

    seen = {}
    for row in _rows(directory, "consents", out):
        _unique(row, "consent_id", seen)
        consent = ConsentRecord.parse(row)
        if consent.borrower_id not in jurisdiction:
            raise row.error("borrower_id", f"unknown borrower {consent.borrower_id!r}")
        if consent.contact_id is not None:
            holder = owner.get(consent.contact_id)
            if holder is None:
                raise row.error("contact_id", f"unknown contact {consent.contact_id!r}")
            if holder != consent.borrower_id:
                raise row.error("contact_id", "the contact belongs to another borrower")
        _check_consent_change(row, consent, stored)
        out.consents.append(consent)
    tick("consents", len(out.consents))

    loan_terms: dict[str, tuple[str, object]] = {k: (v[2], v[3]) for k, v in stored.loans.items()}
    seen = {}
    for row in _rows(directory, "loans", out):
        _unique(row, "loan_id", seen)
        loan = LoanRecord.parse(row)
        if loan.borrower_id not in jurisdiction:
            raise row.error("borrower_id", f"unknown borrower {loan.borrower_id!r}")
        prior = stored.loans.get(loan.loan_id)
        if prior is not None and prior[0] != loan.borrower_id:
            raise row.error("borrower_id", "this loan_id belongs to another borrower")
        loan_terms[loan.loan_id] = (loan.currency, loan.disbursed_on)
        out.loans.append(loan)
    tick("loans", len(out.loans))

    seen = {}
    for row in _rows(directory, "payments", out):
        _unique(row, "payment_id", seen)
        loan_id = row.text("loan_id")
        terms = loan_terms.get(loan_id)
        if terms is None:
            raise row.error("loan_id", f"unknown loan {loan_id!r}")
        currency, disbursed_on = terms
        payment = PaymentRecord.parse(row, currency)
        if payment.paid_on < disbursed_on:  # type: ignore[operator]
            raise row.error("paid_on", "date before disbursement of the loan")
        out.payments.append(payment)
    tick("payments", len(out.payments))

    if not out.files:
        raise InputError(
            f"{directory} holds no portfolio files (expected borrowers, contacts, consents, "
            "loans or payments as .csv or .parquet)",
            file=str(directory),
        )
    return out


def _check_consent_change(row: Row, consent: ConsentRecord, stored: StoredPortfolio) -> None:
    """A recorded consent may be renewed or withdrawn by a re-import, never rewritten."""
    prior = stored.consents.get(consent.consent_id)
    if prior is None:
        return
    if (prior.borrower_id, prior.purpose, prior.contact_id, prior.granted_at) != (
        consent.borrower_id,
        consent.purpose,
        consent.contact_id,
        consent.granted_at,
    ):
        raise row.error(
            "consent_id",
            "this consent is already recorded with another borrower, purpose, contact or grant "
            "time; a consent is never rewritten: record the change under a new consent_id",
        )
    if prior.withdrawn_at is not None and consent.withdrawn_at != prior.withdrawn_at:
        raise RowError(
            "the consent was withdrawn; a withdrawal cannot be changed or undone by import",
            file=row.file,
            line=row.line,
            column="withdrawn_at",
        )
