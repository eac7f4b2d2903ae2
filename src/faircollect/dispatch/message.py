"""The values that move through dispatch: a message to enqueue and a claimed delivery.

Neither carries an address: the worker reads the recipient's address from the vault at
send time. Reprs leave out the body, which may name the borrower.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

from faircollect.errors import InputError

Audience = Literal["borrower", "designated_contact"]
MessageChannel = Literal["sms", "email", "call", "letter", "app_push"]
State = Literal["pending", "sending", "sent", "failed", "dead"]

AUDIENCES: Final[tuple[str, ...]] = ("borrower", "designated_contact")
CHANNELS: Final[tuple[str, ...]] = ("sms", "email", "call", "letter", "app_push")
PURPOSES: Final[tuple[str, ...]] = ("reminder", "collection", "locate")
STATES: Final[tuple[str, ...]] = ("pending", "sending", "sent", "failed", "dead")
MAX_KEY_LENGTH: Final = 200


def message_id_for(idempotency_key: str) -> str:
    """The message id derived from its idempotency key: one key, one id, everywhere.

    Deriving it (rather than drawing a random one) lets a channel that only sees message ids
    (the file channel's lines) dedupe on the key.
    """
    return "m-" + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A message a command wants sent; `enqueue` stores it once per idempotency key."""

    idempotency_key: str
    borrower_id: str
    channel: str
    template_id: str
    purpose: str
    body: str = field(repr=False)
    planned_at: datetime
    audience: str = "borrower"
    contact_id: str | None = None
    notice_kind: str | None = None
    # The end of the message's validity (exclusive): never sent at or after it. None: no
    # end (a case letter that must go out whenever the worker runs).
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.idempotency_key or len(self.idempotency_key) > MAX_KEY_LENGTH:
            raise InputError(
                f"idempotency_key: must be 1 to {MAX_KEY_LENGTH} characters",
                field="idempotency_key",
            )
        if not self.borrower_id:
            raise InputError("borrower_id: required", field="borrower_id")
        if self.channel not in CHANNELS:
            raise InputError(
                f"channel: {self.channel!r} is not one of {', '.join(CHANNELS)}", field="channel"
            )
        if self.audience not in AUDIENCES:
            raise InputError(
                f"audience: {self.audience!r} is not one of {', '.join(AUDIENCES)}",
                field="audience",
            )
        if self.purpose not in PURPOSES:
            raise InputError(
                f"purpose: {self.purpose!r} is not one of {', '.join(PURPOSES)}", field="purpose"
            )
        if (self.audience == "borrower") != (self.contact_id is None):
            raise InputError(
                "contact_id: required for a designated contact, absent for the borrower",
                field="contact_id",
            )
        if self.expires_at is not None and self.expires_at <= self.planned_at:
            raise InputError("expires_at: must be after planned_at", field="expires_at")
        if not self.template_id:
            raise InputError("template_id: required", field="template_id")
        if self.planned_at.tzinfo is None:
            raise InputError("planned_at: needs a time zone offset", field="planned_at")

    @property
    def message_id(self) -> str:
        """The id this message gets in the outbox."""
        return message_id_for(self.idempotency_key)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed message, opened for sending: what a channel is handed.

    `address` is the recipient's phone or e-mail from the vault, or None for channels that
    need none (file) or messages that have none (letter, app push). `at` is the instant to
    stamp the send with when a simulation sends at the planned time; None: the channel's
    clock.
    """

    message_id: str
    idempotency_key: str
    borrower_id: str
    audience: str
    contact_id: str | None
    channel: str
    template_id: str
    purpose: str
    body: str = field(repr=False)
    address: str | None = field(default=None, repr=False)
    at: datetime | None = None
