"""The shared vocabulary of the contracts (shared/spec): one place for every enumeration.

Decision requests, portfolio files, case commands and playbooks all speak these words; a
value outside them is an error at the edge (or, for flags in a decision, a denial).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Channel = Literal["call", "sms", "email", "letter", "visit", "app_push"]
# `guarantor` and `co_maker` (additions for the IN/NG/PH/KE/ID packs) are people who signed
# for the loan; they come last so the earlier values keep their codes in every frame.
Audience = Literal["borrower", "designated_contact", "third_party", "guarantor", "co_maker"]
AttemptPurpose = Literal["reminder", "collection", "locate"]
Outcome = Literal["connected", "no_answer", "busy", "delivered", "failed", "refused"]
ContactSource = Literal["borrower_designated", "address_book", "public_record"]

# Days of borrower contact history a decision request carries: the longest counted window
# is 7 local days, and the margin covers every time zone (planner and send-time check).
HISTORY_DAYS: Final = 9

JURISDICTIONS: Final = ("CN", "US", "UK", "IN", "NG", "PH", "KE", "ID")
# Borrowers' languages. `id-ID` (Indonesia) may be recorded, but the content linter has no
# lexicon for it yet, so no pack serves it and such a borrower is sent nothing in writing.
LOCALES: Final = ("zh-CN", "en", "id-ID")
CHANNELS: Final[tuple[str, ...]] = get_args(Channel)
AUDIENCES: Final[tuple[str, ...]] = get_args(Audience)
ATTEMPT_PURPOSES: Final[tuple[str, ...]] = get_args(AttemptPurpose)
OUTCOMES: Final[tuple[str, ...]] = get_args(Outcome)
CONTACT_SOURCES: Final[tuple[str, ...]] = get_args(ContactSource)
# The audiences that are liable for the debt (they signed for it), and the contact relation
# each one must carry in the request: a guarantor attempt goes to a `guarantor` contact.
LIABLE_AUDIENCES: Final = ("guarantor", "co_maker")
# Jurisdictions whose law forbids a lender to hold numbers harvested from a borrower's
# address book at all, so import refuses them: the pack rule and the instrument that say so.
NO_ADDRESS_BOOK: Final[dict[str, tuple[str, str]]] = {
    "IN": ("IN-NO-CONTACT-LIST", "RBI (Digital Lending) Directions, 2025: no access to the "
                                 "borrower's contact list"),
    "KE": ("KE-NO-UNSOLICITED", "CBK (Digital Credit Providers) Regulations, 2022: no access "
                                "to the customer's phone book"),
}
CONSENT_CHANNELS: Final = ("app", "web", "paper", "call")
# Borrower flags the decision contract names; anything else is unknown and denied.
FLAGS: Final = (
    "dispute_open",
    "cease_requested",
    "bankruptcy",
    "deceased",
    "attorney_represented",
    "breathing_space",
    "hardship_pause",
    "vulnerable",
)
# The flags that put an account on hold (HOUSE-HOLDS): no collection while set.
HOLD_FLAGS: Final = (
    "dispute_open",
    "bankruptcy",
    "deceased",
    "attorney_represented",
    "breathing_space",
    "hardship_pause",
)
