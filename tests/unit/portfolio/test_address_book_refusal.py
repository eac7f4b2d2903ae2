"""Import refuses address-book contacts outright where the law forbids holding them (IN, KE)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faircollect.errors import RowError
from faircollect.portfolio.parse import parse_portfolio
from faircollect.portfolio.state import StoredPortfolio

PHONES = {"IN": ("+919876543210", "+919812345678", "Asia/Kolkata", "INR"),
          "KE": ("+254712345678", "+254722345678", "Africa/Nairobi", "KES"),
          "NG": ("+2348031234567", "+2348051234567", "Africa/Lagos", "NGN"),
          "PH": ("+639171234567", "+639181234567", "Asia/Manila", "PHP"),
          "ID": ("+6281234567890", "+6281298765432", "Asia/Jakarta", "IDR")}


def _folder(tmp_path: Path, jurisdiction: str, source: str) -> Path:
    own, other, tz, currency = PHONES[jurisdiction]
    d = tmp_path / jurisdiction
    d.mkdir()
    (d / "borrowers.csv").write_text(
        "borrower_id,full_name,national_id,phone,timezone,jurisdiction\n"
        f"b-1,Asha Rao,ID-0001,{own},{tz},{jurisdiction}\n", encoding="utf-8")
    (d / "loans.csv").write_text(
        "loan_id,borrower_id,principal,currency,annual_rate,term_months,disbursed_on,"
        f"first_due_on\nl-1,b-1,1000,{currency},0.18,6,2026-01-05,2026-02-05\n",
        encoding="utf-8")
    (d / "contacts.csv").write_text(
        "contact_id,borrower_id,name,phone,relation,source\n"
        f"c-1,b-1,Ravi Rao,{other},sibling,borrower_designated\n"
        f"c-2,b-1,Meena Iyer,{other},friend,{source}\n", encoding="utf-8")
    return d


@pytest.mark.parametrize("jurisdiction", ["IN", "KE"])
def test_address_book_contact_is_refused_naming_file_line_jurisdiction_and_rule(
        tmp_path: Path, jurisdiction: str) -> None:
    with pytest.raises(RowError) as err:
        parse_portfolio(_folder(tmp_path, jurisdiction, "address_book"), StoredPortfolio())
    e = err.value
    assert e.fields["file"] == "contacts.csv" and e.fields["line"] == 3
    assert e.fields["column"] == "source" and e.fields["jurisdiction"] == jurisdiction
    rule = {"IN": "IN-NO-CONTACT-LIST", "KE": "KE-NO-UNSOLICITED"}[jurisdiction]
    assert e.fields["rule"] == rule
    assert e.message.startswith("contacts.csv:3 column source: ")
    assert f"jurisdiction {jurisdiction}" in e.message and rule in e.message
    # Never a value from the row: the names and numbers stay out of the message.
    assert "Meena" not in e.message and PHONES[jurisdiction][1] not in e.message


@pytest.mark.parametrize("jurisdiction", ["NG", "PH", "ID"])
def test_other_new_markets_import_them_and_the_packs_never_contact_them(
        tmp_path: Path, jurisdiction: str) -> None:
    parsed = parse_portfolio(_folder(tmp_path, jurisdiction, "address_book"), StoredPortfolio())
    assert [c.source for c in parsed.contacts] == ["borrower_designated", "address_book"]
    assert parsed.borrowers[0].locale == ("id-ID" if jurisdiction == "ID" else "en")


@pytest.mark.parametrize("jurisdiction", ["IN", "KE"])
def test_designated_and_public_record_contacts_still_import(
        tmp_path: Path, jurisdiction: str) -> None:
    parsed = parse_portfolio(_folder(tmp_path, jurisdiction, "public_record"), StoredPortfolio())
    assert len(parsed.contacts) == 2
