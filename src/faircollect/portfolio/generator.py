"""A synthetic portfolio in the import format, for demos, tests and benchmarks.

Borrowers live across CN, US and UK time zones; they designate contact persons (with consent
in every state: valid, expiring, expired, withdrawn) and some also have address-book contacts
a lender harvested (which FairCollect imports only to flag for deletion). Loans follow
repayment behaviours from punctual to defaulted, so the snapshot has every bucket. All names,
ids, phones and e-mails are made up; e-mails use the reserved example.* domains. Seeded: the
same arguments always give the same files.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from faircollect.ledger.money import Money
from faircollect.ledger.schedule import LoanTerms, add_months, build_schedule

ZONES = {
    "CN": ["Asia/Shanghai"] * 9 + ["Asia/Urumqi"],
    "US": ["America/New_York"] * 4
    + ["America/Chicago"] * 3
    + [
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
    ],
    "UK": ["Europe/London"],
}
CURRENCY = {"CN": "CNY", "US": "USD", "UK": "GBP"}
PRINCIPAL = {"CN": (1_000, 30_000), "US": (500, 6_000), "UK": (300, 4_000)}
CN_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
CN_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华"
EN_GIVEN = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Drew", "Robin", "Charlie", "Skyler", "Rowan", "Emerson", "Harper", "Logan", "Parker", "Reese"]
EN_FAMILY = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke"]
RELATIONS_DESIGNATED = ["parent", "sibling", "spouse", "friend", "colleague"]
RELATIONS_BOOK = ["friend", "colleague", "classmate", "neighbour", "other"]
# Repayment behaviours and their shares: punctual, sometimes late, late, stops paying.
BEHAVIOURS = (("punctual", 0.55), ("slightly_late", 0.2), ("late", 0.12), ("stops", 0.13))
FLAG_RATES = {
    "dispute_open": 0.01,
    "hardship_pause": 0.01,
    "cease_requested": 0.005,
    "vulnerable": 0.01,
    "bankruptcy": 0.003,
    "deceased": 0.001,
}
JURISDICTION_FLAGS = {"US": {"attorney_represented": 0.004}, "UK": {"breathing_space": 0.006}}
PROGRESS_EVERY = 1000  # borrowers written between two progress reports


@dataclass(frozen=True)
class GeneratedCounts:
    borrowers: int
    contacts: int
    consents: int
    loans: int
    payments: int


def _cn_id(rng: random.Random, born: date) -> str:
    body = f"{rng.choice(['110101', '310104', '440305', '650102'])}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _phone(rng: random.Random, jurisdiction: str) -> str:
    """A made-up number that `phonenumbers` accepts as valid (some ranges are unallocated)."""
    region = {"UK": "GB"}.get(jurisdiction, jurisdiction)
    while True:
        candidate = _phone_candidate(rng, jurisdiction)
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate, region)):
            return candidate


def _phone_candidate(rng: random.Random, jurisdiction: str) -> str:
    if jurisdiction == "CN":
        return (
            f"1{rng.choice(['38', '39', '50', '58', '86', '88'])}{rng.randint(0, 99_999_999):08d}"
        )
    if jurisdiction == "US":
        area = rng.choice(["212", "312", "415", "206", "617", "305", "713", "404", "602", "907"])
        return f"({area}) 555-01{rng.randint(0, 99):02d}"
    return f"07{rng.choice(['911', '400', '500', '800'])} {rng.randint(100_000, 999_999)}"


def _name(rng: random.Random, jurisdiction: str) -> str:
    if jurisdiction == "CN":
        return rng.choice(CN_SURNAMES) + "".join(
            rng.choice(CN_GIVEN) for _ in range(rng.randint(1, 2))
        )
    return f"{rng.choice(EN_GIVEN)} {rng.choice(EN_FAMILY)}"


def _national_id(rng: random.Random, jurisdiction: str) -> str:
    if jurisdiction == "CN":
        return _cn_id(rng, date(1960, 1, 1) + timedelta(days=rng.randint(0, 15_000)))
    if jurisdiction == "US":
        return f"9{rng.randint(0, 99):02d}-{rng.randint(70, 99)}-{rng.randint(0, 9999):04d}"
    return f"QQ{rng.randint(0, 999_999):06d}{rng.choice('ABCD')}"


def _instant(day: date, zone: str, rng: random.Random) -> str:
    local = datetime.combine(
        day, time(rng.randint(9, 20), rng.choice([0, 15, 30, 45])), ZoneInfo(zone)
    )
    return local.isoformat()


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    roll, acc = rng.random(), 0.0
    for name, share in table:
        acc += share
        if roll < acc:
            return name
    return table[-1][0]


def generate_portfolio(
    directory: Path,
    *,
    borrowers: int = 10_000,
    seed: int = 7,
    as_of: date | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> GeneratedCounts:
    """Write borrowers/contacts/consents/loans/payments CSV files into `directory`;
    `on_progress(done, total)` is told of borrowers written, every thousand and at the end."""
    rng = random.Random(seed)
    as_of = as_of or datetime.now(UTC).date()
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        name: (directory / f"{name}.csv").open("w", newline="", encoding="utf-8")
        for name in ("borrowers", "contacts", "consents", "loans", "payments")
    }
    try:
        w = {name: csv.writer(fh) for name, fh in files.items()}
        w["borrowers"].writerow(
            [
                "borrower_id",
                "full_name",
                "national_id",
                "phone",
                "email",
                "timezone",
                "jurisdiction",
                "locale",
                "flags",
                "opted_out_channels",
            ]
        )
        w["contacts"].writerow(["contact_id", "borrower_id", "name", "phone", "relation", "source"])
        w["consents"].writerow(
            [
                "consent_id",
                "borrower_id",
                "purpose",
                "contact_id",
                "granted_at",
                "expires_at",
                "withdrawn_at",
                "channel",
                "policy_version",
            ]
        )
        w["loans"].writerow(
            [
                "loan_id",
                "borrower_id",
                "principal",
                "currency",
                "annual_rate",
                "term_months",
                "disbursed_on",
                "first_due_on",
                "schedule",
            ]
        )
        w["payments"].writerow(["payment_id", "loan_id", "paid_on", "amount"])
        n = {"contacts": 0, "consents": 0, "loans": 0, "payments": 0}
        if on_progress is not None:
            on_progress(0, borrowers)
        for i in range(borrowers):
            juris = rng.choices(["CN", "US", "UK"], weights=[5, 3, 2])[0]
            zone = rng.choice(ZONES[juris])
            bid = f"b-{i + 1:07d}"
            flags = [
                f
                for f, p in {**FLAG_RATES, **JURISDICTION_FLAGS.get(juris, {})}.items()
                if rng.random() < p
            ]
            opted = [c for c in ("sms", "email") if rng.random() < 0.03]
            email = (
                f"user{i + 1}@example.{rng.choice(['com', 'org', 'net'])}"
                if rng.random() < 0.8
                else ""
            )
            w["borrowers"].writerow(
                [
                    bid,
                    _name(rng, juris),
                    _national_id(rng, juris),
                    _phone(rng, juris),
                    email,
                    zone,
                    juris,
                    "zh-CN" if juris == "CN" else "en",
                    ";".join(flags),
                    ";".join(opted),
                ]
            )
            onboarded = as_of - timedelta(days=rng.randint(60, 420))
            _contacts_and_consents(rng, w, n, bid, juris, zone, onboarded, as_of)
            for _ in range(1 if rng.random() < 0.75 else 2):
                _loan(rng, w, n, bid, juris, onboarded, as_of)
            if on_progress is not None and ((i + 1) % PROGRESS_EVERY == 0 or i + 1 == borrowers):
                on_progress(i + 1, borrowers)
        return GeneratedCounts(borrowers, n["contacts"], n["consents"], n["loans"], n["payments"])
    finally:
        for fh in files.values():
            fh.close()


def _contacts_and_consents(
    rng: random.Random,
    w: dict[str, Any],
    n: dict[str, int],
    bid: str,
    juris: str,
    zone: str,
    onboarded: date,
    as_of: date,
) -> None:
    def consent(purpose: str, contact_id: str, state: str) -> None:
        n["consents"] += 1
        granted = onboarded + timedelta(days=rng.randint(0, 5))
        expires: date | None = granted + timedelta(days=365)
        withdrawn = ""
        if state == "expired":
            granted = as_of - timedelta(days=rng.randint(400, 500))
            expires = granted + timedelta(days=365)
        elif state == "expiring":
            expires = as_of + timedelta(days=rng.randint(1, 20))
            granted = expires - timedelta(days=365)
        elif state == "withdrawn":
            withdrawn = _instant(
                min(as_of - timedelta(days=1), granted + timedelta(days=rng.randint(1, 60))),
                zone,
                rng,
            )
        elif state == "open_ended":
            expires = None
        w["consents"].writerow(
            [
                f"k-{n['consents']:08d}",
                bid,
                purpose,
                contact_id,
                _instant(granted, zone, rng),
                _instant(expires, zone, rng) if expires else "",
                withdrawn,
                rng.choice(["app", "app", "web", "paper"]),
                "privacy-2025.2",
            ]
        )

    for _ in range(rng.choice([0, 1, 1, 1, 2, 2])):
        n["contacts"] += 1
        cid = f"c-{n['contacts']:08d}"
        w["contacts"].writerow(
            [
                cid,
                bid,
                _name(rng, juris),
                _phone(rng, juris),
                rng.choice(RELATIONS_DESIGNATED),
                "borrower_designated",
            ]
        )
        state = rng.choices(
            ["valid", "expiring", "expired", "withdrawn", "none"], weights=[70, 8, 8, 8, 6]
        )[0]
        if state != "none":
            consent("contact_designated_contact", cid, state)
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        n["contacts"] += 1
        w["contacts"].writerow(
            [
                f"c-{n['contacts']:08d}",
                bid,
                _name(rng, juris),
                _phone(rng, juris),
                rng.choice(RELATIONS_BOOK),
                "address_book",
            ]
        )
    if rng.random() < 0.9:
        consent(
            "electronic_communications",
            "",
            rng.choice(["valid", "valid", "open_ended", "withdrawn"]),
        )
    if rng.random() < 0.3:
        consent("marketing", "", rng.choice(["valid", "withdrawn", "expired"]))


def _loan(
    rng: random.Random,
    w: dict[str, Any],
    n: dict[str, int],
    bid: str,
    juris: str,
    onboarded: date,
    as_of: date,
) -> None:
    n["loans"] += 1
    loan_id = f"L-{n['loans']:08d}"
    low, high = PRINCIPAL[juris]
    principal = (
        Decimal(rng.randint(low, high) * 10) / 10
        if juris != "CN"
        else Decimal(rng.randint(low // 100, high // 100) * 100)
    )
    term = rng.choice([3, 6, 6, 12, 12, 12])
    rate = Decimal(rng.choice(["0.0799", "0.12", "0.18", "0.24", "0.2399"]))
    kind = (
        "bullet"
        if term == 3 and rng.random() < 0.3
        else rng.choice(["equal_installment"] * 4 + ["equal_principal"])
    )
    disbursed = onboarded + timedelta(days=rng.randint(0, 30))
    if disbursed >= as_of:
        disbursed = as_of - timedelta(days=1)
    first_due = add_months(disbursed, 1)
    currency = CURRENCY[juris]
    w["loans"].writerow(
        [
            loan_id,
            bid,
            f"{principal}",
            currency,
            f"{rate}",
            term,
            disbursed.isoformat(),
            first_due.isoformat(),
            kind,
        ]
    )
    terms = LoanTerms(Money.parse(str(principal), currency), rate, term, first_due, kind, disbursed)  # type: ignore[arg-type]
    behaviour = _pick(rng, BEHAVIOURS)
    stop_after = rng.randint(0, term - 1) if behaviour == "stops" else term
    for inst in build_schedule(terms):
        if inst.number > stop_after:
            break
        delay = {
            "punctual": rng.randint(-5, 0),
            "slightly_late": rng.randint(-2, 12),
            "late": rng.randint(10, 75),
            "stops": rng.randint(-3, 20),
        }[behaviour]
        paid_on = max(inst.due_on + timedelta(days=delay), disbursed)
        if paid_on > as_of:
            break
        n["payments"] += 1
        amount = inst.total.amount
        w["payments"].writerow(
            [f"p-{n['payments']:09d}", loan_id, paid_on.isoformat(), f"{amount}"]
        )
