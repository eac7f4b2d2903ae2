"""The consent ledger service: grant, renew, withdraw, review, and validity from the records.

Every change appends one record to `consent_records`, issues a signed receipt (grants,
renewals, withdrawals) and writes one audit entry, all in one transaction: they commit
together or not at all. Input is checked before anything is written, so bad input (an
unknown purpose, a contact of another borrower, withdrawing a withdrawn consent) changes
nothing. Withdrawing takes as little as granting: one call with the consent id.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import orjson
import polars as pl
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, insert, select

from faircollect.consent import frame, record
from faircollect.consent.catalogue import Catalogue, Purpose, load_catalogue
from faircollect.consent.receipt import SIGNING_KEY_NAME, build_receipt, sign_receipt
from faircollect.consent.record import ConsentRecord, ConsentState
from faircollect.consent.repository import (
    load_borrower,
    load_contact,
    load_receipt_documents,
    load_records,
    load_records_frame,
)
from faircollect.errors import Conflict, InputError, IntegrityError, NotFound
from faircollect.instants import require_in_range
from faircollect.store.tables.consent import consent_notices, consent_receipts
from faircollect.store.tables.foundation import consent_records
from faircollect.store.unit_of_work import Store, UnitOfWork
from faircollect.vault.keys import KeyProvider

# How a consent was given or withdrawn (Kantara "collection method").
CHANNELS: tuple[str, ...] = ("app", "web", "paper", "call", "portal", "api")
REVIEW_CHANNEL = "review"
# How far ahead of the store's clock a withdrawal may be dated: room for a client clock that
# runs a little fast, no more. A withdrawal dated later is refused (docs/consent-and-access.md).
WITHDRAWAL_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Issued:
    """The outcome of a grant, renewal or withdrawal: ids and the signed receipt."""

    consent_id: str
    record_id: int
    receipt_id: str
    receipt: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Review:
    """What a periodic review found at `as_of` and which consents it stopped."""

    as_of: datetime
    expiring: tuple[ConsentState, ...]  # valid now, ending within the window: ask to renew
    lapsed: tuple[ConsentState, ...]  # ended by expiry: marked stopped (when applied)
    overdue: tuple[ConsentState, ...]  # open-ended and older than the purpose allows: stopped
    applied: bool = True  # False: a read-only review that stopped nothing (lists what would)


# A review finding: the consent's state, and the stop (last opening record, end) it calls for.
_Finding = tuple[ConsentState, tuple[ConsentRecord, datetime] | None]


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise InputError(f"{name} needs a time zone offset", field=name)
    return require_in_range(value, name)


def _within_max(purpose: Purpose, start: datetime, end: datetime) -> None:
    if end - start > purpose.max_duration:
        raise InputError(
            f"expires_at: a consent for purpose {purpose.id} may run at most "
            f"{purpose.max_duration.days} days (its maximum duration in the catalogue)",
            field="expires_at", purpose=purpose.id, max_days=purpose.max_duration.days,
        )


class ConsentLedger:
    """Grants, renewals, withdrawals and reviews over the store, with signed receipts."""

    def __init__(self, store: Store, keys: KeyProvider, catalogue: Catalogue | None = None):
        self.store = store
        self.keys = keys
        self.catalogue = catalogue or load_catalogue()

    def __repr__(self) -> str:
        return f"ConsentLedger(catalogue={self.catalogue.version!r})"

    # -- commands -------------------------------------------------------------------------
    def grant(
        self,
        *,
        actor: str,
        borrower_id: str,
        purpose: str,
        notice_text: str,
        policy_version: str,
        channel: str,
        contact_id: str | None = None,
        granted_at: datetime | None = None,
        expires_at: datetime | None = None,
        consent_id: str | None = None,
    ) -> Issued:
        """Record a new consent; expires after the purpose's default duration unless told."""
        p = self.catalogue.purpose(purpose)
        self._check_channel(channel)
        notice = self._check_notice(notice_text, policy_version)
        now = self.store.clock()
        start = _aware(granted_at, "granted_at") if granted_at else now
        end = _aware(expires_at, "expires_at") if expires_at else start + p.default_duration
        if end <= start:
            raise InputError("expires_at must be after granted_at", field="expires_at")
        _within_max(p, start, end)
        if p.needs_contact and not contact_id:
            raise InputError(f"purpose {purpose} needs a contact_id", field="contact_id")
        if not p.needs_contact and contact_id:
            raise InputError(f"purpose {purpose} is not about a contact person",
                             field="contact_id")
        cid = consent_id or "cs-" + uuid.uuid4().hex[:20]
        with self.store.transaction(actor) as uow:
            b = load_borrower(uow.conn, borrower_id)
            if b.erased:
                raise Conflict(f"borrower {borrower_id} was erased", borrower_id=borrower_id)
            if contact_id:
                c = load_contact(uow.conn, contact_id)
                if c.borrower_id != borrower_id:
                    raise InputError(
                        f"contact {contact_id} is not a contact of borrower {borrower_id}",
                        field="contact_id", contact_id=contact_id, borrower_id=borrower_id,
                    )
                if c.source == "address_book":
                    raise InputError(
                        f"contact {contact_id} came from an address book; such contacts are "
                        "never used, so no consent can be recorded for them",
                        field="contact_id", contact_id=contact_id,
                    )
            if load_records(uow.conn, consent_id=cid):
                raise Conflict(f"consent {cid} already exists", consent_id=cid)
            rec = self._append(uow, ConsentRecord(
                0, cid, borrower_id, purpose, contact_id, "grant", start, end, None,
                channel, policy_version, notice, now,
            ), notice_text)
            return self._issue(uow, rec, b.jurisdiction, b.locale, now)

    def renew(
        self,
        *,
        actor: str,
        consent_id: str,
        notice_text: str,
        policy_version: str,
        channel: str,
        at: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> Issued:
        """Renew a consent from `at` (now) to `expires_at` (default duration); never a withdrawn one."""
        self._check_channel(channel)
        notice = self._check_notice(notice_text, policy_version)
        now = self.store.clock()
        start = _aware(at, "at") if at else now
        with self.store.transaction(actor) as uow:
            recs = self._consent(uow.conn, consent_id)
            first = recs[0]
            if any(r.kind == "withdraw" for r in recs):
                raise Conflict(f"consent {consent_id} was withdrawn; a new grant is needed",
                               consent_id=consent_id)
            p = self.catalogue.purpose(first.purpose)
            end = _aware(expires_at, "expires_at") if expires_at else start + p.default_duration
            if end <= start:
                raise InputError("expires_at must be after the renewal time", field="expires_at")
            _within_max(p, start, end)
            b = load_borrower(uow.conn, first.borrower_id)
            rec = self._append(uow, ConsentRecord(
                0, consent_id, first.borrower_id, first.purpose, first.contact_id, "renew",
                start, end, None, channel, policy_version, notice, now,
            ), notice_text)
            return self._issue(uow, rec, b.jurisdiction, b.locale, now)

    def withdraw(
        self, *, actor: str, consent_id: str, channel: str, at: datetime | None = None
    ) -> Issued:
        """Withdraw a consent from `at` (now); Conflict when it was already withdrawn."""
        self._check_channel(channel)
        now = self.store.clock()
        when = _aware(at, "at") if at else now
        if when > now + WITHDRAWAL_CLOCK_SKEW:
            raise InputError(
                f"at: a withdrawal cannot be dated in the future (more than "
                f"{int(WITHDRAWAL_CLOCK_SKEW.total_seconds() // 60)} minutes after the store's "
                f"clock, {now.isoformat()})",
                field="at",
            )
        with self.store.transaction(actor) as uow:
            recs = self._consent(uow.conn, consent_id)
            done = next((r for r in recs if r.kind == "withdraw"), None)
            if done is not None:
                raise Conflict(f"consent {consent_id} is already withdrawn",
                               consent_id=consent_id)
            first = recs[0]
            if when < first.granted_at:
                raise InputError("a withdrawal cannot precede the grant", field="at")
            latest = [r for r in recs if r.kind in record.OPENING][-1]
            b = load_borrower(uow.conn, first.borrower_id)
            rec = self._append(uow, ConsentRecord(
                0, consent_id, first.borrower_id, first.purpose, first.contact_id, "withdraw",
                first.granted_at, latest.expires_at, when, channel, latest.policy_version,
                None, now,
            ), None)
            return self._issue(uow, rec, b.jurisdiction, b.locale, now)

    def review(
        self, *, actor: str, as_of: datetime, window_days: int = 30, apply: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> Review:
        """List consents expiring within the window, and lapsed or overdue ones to stop.

        Without `apply` this only reads: nothing is written, not even an audit entry. With
        `apply`, a lapsed consent (its last span ended by expiry) gets an `expire` record
        marking the stop, and an open-ended consent older than its purpose's default duration
        gets an `expire` record at `as_of`, which ends its validity there; the run is audited
        (`consent.review`). Applying twice changes nothing more. `on_progress(done, total)`
        counts the consents examined (every thousand, and at the end).
        """
        as_of = _aware(as_of, "as_of")
        if not apply:
            with self.store.read() as conn:
                expiring, lapsed, overdue = self._review(conn, as_of, window_days, on_progress)
            return Review(as_of, _states(expiring), _states(lapsed), _states(overdue),
                          applied=False)
        now = self.store.clock()
        with self.store.transaction(actor) as uow:
            expiring, lapsed, overdue = self._review(uow.conn, as_of, window_days,
                                                     on_progress)
            for why, found in (("lapsed", lapsed), ("overdue", overdue)):
                for _, stop in found:
                    if stop is not None:
                        self._stop(uow, stop[0], stop[1], now, why)
            uow.audit("consent.review", "consents", {
                "as_of": as_of, "expiring": len(expiring), "lapsed": len(lapsed),
                "overdue": len(overdue),
            })
        return Review(as_of, _states(expiring), _states(lapsed), _states(overdue), applied=True)

    def _review(self, conn: Connection, as_of: datetime, window_days: int,
                on_progress: Callable[[int, int], None] | None = None) -> tuple[
        list[_Finding], list[_Finding], list[_Finding]
    ]:
        """What a review at `as_of` finds; each finding carries the stop it would write."""
        horizon = as_of + timedelta(days=window_days)
        expiring: list[_Finding] = []
        lapsed: list[_Finding] = []
        overdue: list[_Finding] = []
        by_consent: dict[str, list[ConsentRecord]] = {}
        for r in load_records(conn):
            by_consent.setdefault(r.consent_id, []).append(r)
        total = len(by_consent)
        for done, recs in enumerate(by_consent.values()):
            if on_progress is not None and done % 1000 == 0:
                on_progress(done, total)
            if any(r.kind == "withdraw" for r in recs):
                continue
            st = record.state(recs, as_of)
            opened = [i for i, r in enumerate(recs) if r.kind in record.OPENING]
            if not opened:
                continue
            last = recs[opened[-1]]
            stopped = any(r.kind == "expire" for r in recs[opened[-1] + 1 :])
            end = last.expires_at
            for r in recs[opened[-1] + 1 :]:
                end = r.expires_at if end is None else min(end, r.expires_at or end)
            if st.status == "active" and end is not None and end <= horizon:
                expiring.append((st, None))
            elif st.status == "expired" and not stopped and end is not None and end <= as_of:
                lapsed.append((st, (last, end)))
            elif st.status == "active" and end is None:
                p = self.catalogue.purpose(last.purpose)
                if last.granted_at + p.default_duration <= as_of:
                    # The state as the stop leaves it: the stop is the consent's newest record.
                    cut = replace(_cut(last, as_of, as_of),
                                  record_id=max(r.record_id for r in recs) + 1)
                    overdue.append((record.state([*recs, cut], as_of), (last, as_of)))
        if on_progress is not None:
            on_progress(total, total)
        return expiring, lapsed, overdue

    # -- queries --------------------------------------------------------------------------
    def records(self, borrower_id: str) -> list[ConsentRecord]:
        """One borrower's ledger records, in write order."""
        with self.store.read() as conn:
            return load_records(conn, borrower_id=borrower_id)

    def show(self, borrower_id: str, at: datetime) -> list[ConsentState]:
        """The state at `at` of each of a borrower's consents."""
        with self.store.read() as conn:
            load_borrower(conn, borrower_id)
            recs = load_records(conn, borrower_id=borrower_id)
        by_consent: dict[str, list[ConsentRecord]] = {}
        for r in recs:
            by_consent.setdefault(r.consent_id, []).append(r)
        return [record.state(v, at) for v in by_consent.values()]

    def valid(self, borrower_id: str, purpose: str, contact_id: str | None, at: datetime) -> bool:
        """Whether the ledger holds a valid consent for this use at `at` (past or future)."""
        self.catalogue.purpose(purpose)
        return record.valid(self.records(borrower_id), purpose, contact_id, _aware(at, "at"))

    def decision_consents(self, borrower_id: str) -> list[dict[str, Any]]:
        """The borrower's consents in the decision request's `consents` shape."""
        return record.decision_entries(self.records(borrower_id))

    def listed_consents(self, borrower_id: str) -> list[dict[str, Any]]:
        """The decision-request spans, each with its `consent_id` (to withdraw or renew by).

        NotFound when the borrower does not exist.
        """
        with self.store.read() as conn:
            load_borrower(conn, borrower_id)
            return record.listed_entries(load_records(conn, borrower_id=borrower_id))

    def consent(self, consent_id: str) -> tuple[str, list[dict[str, Any]]]:
        """One consent's owner and its spans (as in `listed_consents`); NotFound when none."""
        owner = self.owner(consent_id)
        return owner, [s for s in self.listed_consents(owner) if s["consent_id"] == consent_id]

    def owner(self, consent_id: str) -> str:
        """The borrower a consent belongs to; NotFound when there is no such consent."""
        with self.store.read() as conn:
            return self._consent(conn, consent_id)[0].borrower_id

    def spans(self, borrower_ids: Sequence[str] | None = None) -> pl.DataFrame:
        """Validity spans for the portfolio (or some borrowers), for `valid_frame`."""
        with self.store.read() as conn:
            return frame.spans_frame(load_records_frame(conn, borrower_ids))

    def valid_frame(self, queries: pl.DataFrame) -> pl.DataFrame:
        """`queries` (borrower_id, purpose, contact_id, at) with `consent_valid` added."""
        return frame.valid_frame(queries, self.spans())

    def receipts(self, ident: str) -> list[dict[str, Any]]:
        """Signed receipts by receipt id or consent id; NotFound when there are none."""
        with self.store.read() as conn:
            docs = load_receipt_documents(conn, ident)
        if not docs:
            raise NotFound(f"no receipt or consent {ident!r}", id=ident)
        return docs

    def public_key(self) -> Ed25519PublicKey:
        """The key receipts are signed with, to publish for offline verification."""
        return self.keys.signing_key(SIGNING_KEY_NAME).public_key()

    # -- helpers --------------------------------------------------------------------------
    @staticmethod
    def _check_channel(channel: str) -> None:
        if channel not in CHANNELS:
            raise InputError(
                f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}", field="channel"
            )

    @staticmethod
    def _check_notice(notice_text: str, policy_version: str) -> str:
        if not notice_text.strip():
            raise InputError("the notice text shown to the borrower is required",
                             field="notice_text")
        if not policy_version.strip():
            raise InputError("the privacy policy version is required", field="policy_version")
        return hashlib.sha256(notice_text.encode("utf-8")).hexdigest()

    @staticmethod
    def _consent(conn: Connection, consent_id: str) -> list[ConsentRecord]:
        recs = load_records(conn, consent_id=consent_id)
        if not recs:
            raise NotFound(f"no consent {consent_id!r}", consent_id=consent_id)
        return recs

    def _append(self, uow: UnitOfWork, rec: ConsentRecord, notice_text: str | None
                ) -> ConsentRecord:
        if notice_text is not None and rec.notice_sha256 is not None:
            seen = uow.conn.execute(select(consent_notices.c.notice_sha256).where(
                consent_notices.c.notice_sha256 == rec.notice_sha256)).first()
            if seen is None:
                uow.conn.execute(insert(consent_notices).values(
                    notice_sha256=rec.notice_sha256, text=notice_text,
                    first_shown_at=rec.recorded_at))
        result = uow.conn.execute(insert(consent_records).values(
            consent_id=rec.consent_id, borrower_id=rec.borrower_id, purpose=rec.purpose,
            contact_id=rec.contact_id, kind=rec.kind, granted_at=rec.granted_at,
            expires_at=rec.expires_at, withdrawn_at=rec.withdrawn_at, channel=rec.channel,
            policy_version=rec.policy_version, notice_sha256=rec.notice_sha256,
            recorded_at=rec.recorded_at,
        ))
        key = result.inserted_primary_key
        if key is None:  # every supported dialect reports it; guard the typing
            raise IntegrityError("the database did not report the new record id")
        return replace(rec, record_id=int(key[0]))

    def _issue(self, uow: UnitOfWork, rec: ConsentRecord, jurisdiction: str, locale: str,
               now: datetime) -> Issued:
        key = self.keys.signing_key(SIGNING_KEY_NAME)
        receipt_id = str(uuid.uuid4())
        body = build_receipt(
            receipt_id=receipt_id, record=rec, purpose=self.catalogue.purpose(rec.purpose),
            catalogue=self.catalogue, jurisdiction=jurisdiction, language=locale,
            issued_at=now, public_key=key.public_key(),
        )
        doc = sign_receipt(body, key)
        uow.conn.execute(insert(consent_receipts).values(
            receipt_id=receipt_id, consent_id=rec.consent_id, record_id=rec.record_id,
            borrower_id=rec.borrower_id, kind=rec.kind, issued_at=now,
            document=orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode("utf-8"),
        ))
        uow.audit(f"consent.{rec.kind}", rec.borrower_id, {
            "consent_id": rec.consent_id, "record_id": rec.record_id, "purpose": rec.purpose,
            "contact_id": rec.contact_id, "granted_at": rec.granted_at,
            "expires_at": rec.expires_at, "withdrawn_at": rec.withdrawn_at,
            "channel": rec.channel, "policy_version": rec.policy_version,
            "notice_sha256": rec.notice_sha256, "receipt_id": receipt_id,
        })
        return Issued(rec.consent_id, rec.record_id, receipt_id, doc)

    def _stop(self, uow: UnitOfWork, last: ConsentRecord, at: datetime, now: datetime,
              why: str) -> ConsentRecord:
        rec = self._append(uow, _cut(last, at, now), None)
        uow.audit("consent.expire", rec.borrower_id, {
            "consent_id": rec.consent_id, "record_id": rec.record_id, "purpose": rec.purpose,
            "contact_id": rec.contact_id, "stopped_at": at, "reason": why,
        })
        return rec


def _states(found: list[_Finding]) -> tuple[ConsentState, ...]:
    return tuple(st for st, _ in found)


def _cut(last: ConsentRecord, at: datetime, now: datetime) -> ConsentRecord:
    """The `expire` record a review writes to end the spans before it at `at`."""
    return ConsentRecord(
        0, last.consent_id, last.borrower_id, last.purpose, last.contact_id, "expire",
        last.granted_at, at, None, REVIEW_CHANNEL, last.policy_version, None, now,
    )
