"""Parse and cross-check a whole portfolio folder before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from faircollect.errors import RowError
from faircollect.portfolio.reader import (
    DEFAULT_ENCODING,
    SPECS,
    read_rows,
    resolve_encoding,
    scan_folder,
)
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
from faircollect.vocabulary import NO_ADDRESS_BOOK

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
    # Optional files the folder does not hold (stems, e.g. "payments").
    absent: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"ParsedPortfolio(borrowers={len(self.borrowers)}, contacts={len(self.contacts)}, "
            f"consents={len(self.consents)}, loans={len(self.loans)}, payments={len(self.payments)})"
        )


class _Folder:
    """The folder's files, read in the chosen encoding."""

    def __init__(self, directory: Path, encoding: str, out: ParsedPortfolio) -> None:
        self.files = scan_folder(directory)
        self.encoding = encoding
        self.out = out
        out.files.extend(self.files.values())
        out.absent.extend(stem for stem in SPECS if stem not in self.files)

    def rows(self, stem: str) -> list[Row]:
        path = self.files.get(stem)
        if path is None:
            return []
        return [
            Row(path.name, line, cells, lines)
            for line, cells, lines in read_rows(path, SPECS[stem], self.encoding)
        ]


def _harvest_refused(row: Row, jurisdiction: str) -> RowError:
    """The error for an address-book contact where the law forbids holding one at all."""
    rule, instrument = NO_ADDRESS_BOOK[jurisdiction]
    # Built directly, not by row.error: the reason holds codes and the rule's words only.
    return RowError(
        f"a contact harvested from the borrower's address book (source address_book) may not "
        f"be held for a borrower in jurisdiction {jurisdiction} (rule {rule}: {instrument}); "
        "import only contacts the borrower designated or found in public records",
        file=row.file, line=row.line_of("source"), column="source",
        jurisdiction=jurisdiction, rule=rule,
    )


def _unique(row: Row, column: str, seen: dict[str, int]) -> str:
    # Ids are not shown: with columns swapped an id column may hold personal data.
    key = row.text(column)
    first = seen.get(key)
    if first is not None:
        raise row.error(column, f"duplicate {column} (first on line {first})")
    seen[key] = row.line_of(column)
    return key


def parse_portfolio(
    directory: Path,
    stored: StoredPortfolio,
    progress: Progress | None = None,
    *,
    encoding: str = DEFAULT_ENCODING,
) -> ParsedPortfolio:
    """Read every portfolio file in `directory`; the first problem raises an InputError
    (a RowError naming file, line and column for a bad row). Nothing is written."""
    out = ParsedPortfolio()
    folder = _Folder(directory, resolve_encoding(encoding), out)
    tick = progress or (lambda _stage, _n: None)

    # Borrowers: jurisdiction of each id (file first, then store) for phones of contacts.
    jurisdiction: dict[str, str] = {k: v[1] for k, v in stored.borrowers.items()}
    seen: dict[str, int] = {}
    for row in folder.rows("borrowers"):
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
    for row in folder.rows("contacts"):
        contact_id = _unique(row, "contact_id", seen)
        borrower_id = row.text("borrower_id")
        if borrower_id not in jurisdiction:
            raise row.error("borrower_id", "unknown borrower (not in borrowers.csv nor stored)")
        if contact_id in owner and owner[contact_id] != borrower_id:
            raise row.error("borrower_id", "this contact_id belongs to another borrower")
        owner[contact_id] = borrower_id
        phone = row.phone("phone", jurisdiction[borrower_id])
        source = row.choice("source", SOURCES)
        if source == "address_book" and jurisdiction[borrower_id] in NO_ADDRESS_BOOK:
            raise _harvest_refused(row, jurisdiction[borrower_id])
        out.contacts.append(
            ContactRecord(
                contact_id=contact_id,
                borrower_id=borrower_id,
                relation=row.text("relation"),
                source=source,
                name=row.text("name"),
                phone=phone.e164,
                line=row.line,
                phone_unverified=not phone.listed,
            )
        )
    tick("contacts", len(out.contacts))

    seen = {}
    for row in folder.rows("consents"):
        _unique(row, "consent_id", seen)
        consent = ConsentRecord.parse(row)
        if consent.borrower_id not in jurisdiction:
            raise row.error("borrower_id", "unknown borrower (not in borrowers.csv nor stored)")
        if consent.contact_id is not None:
            holder = owner.get(consent.contact_id)
            if holder is None:
                raise row.error("contact_id", "unknown contact (not in contacts.csv nor stored)")
            if holder != consent.borrower_id:
                raise row.error("contact_id", "the contact belongs to another borrower")
        _check_consent_change(row, consent, stored)
        out.consents.append(consent)
    tick("consents", len(out.consents))

    loan_terms: dict[str, tuple[str, object]] = {k: (v[2], v[3]) for k, v in stored.loans.items()}
    seen = {}
    for row in folder.rows("loans"):
        _unique(row, "loan_id", seen)
        loan = LoanRecord.parse(row)
        if loan.borrower_id not in jurisdiction:
            raise row.error("borrower_id", "unknown borrower (not in borrowers.csv nor stored)")
        prior = stored.loans.get(loan.loan_id)
        if prior is not None and prior[0] != loan.borrower_id:
            raise row.error("borrower_id", "this loan_id belongs to another borrower")
        loan_terms[loan.loan_id] = (loan.currency, loan.disbursed_on)
        out.loans.append(loan)
    tick("loans", len(out.loans))

    seen = {}
    for row in folder.rows("payments"):
        _unique(row, "payment_id", seen)
        loan_id = row.text("loan_id")
        terms = loan_terms.get(loan_id)
        if terms is None:
            raise row.error("loan_id", "unknown loan (not in loans.csv nor stored)")
        currency, disbursed_on = terms
        payment = PaymentRecord.parse(row, currency)
        if payment.paid_on < disbursed_on:  # type: ignore[operator]
            raise row.error("paid_on", "date before disbursement of the loan")
        out.payments.append(payment)
    tick("payments", len(out.payments))

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
        raise row.error(
            "withdrawn_at",
            "the consent was withdrawn; a withdrawal cannot be changed or undone by import",
        )
