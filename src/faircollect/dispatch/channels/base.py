"""The seam every channel implements, and what a send can come back with.

A channel must never deliver the same idempotency key twice: the worker hands it the key
with every message, and asks it (`reconcile`) about a message whose sender died mid-send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from faircollect.dispatch.message import Delivery

Outcome = Literal["delivered", "failed", "refused"]


@dataclass(frozen=True, slots=True)
class SendResult:
    """The channel accepted the message: its reference and the delivery outcome so far."""

    provider_ref: str
    at: datetime
    outcome: Outcome = "delivered"


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """What a channel knows of a key whose sender died mid-send.

    `sent`: it went out (with `result`); `not_sent`: it certainly did not, or the channel
    dedupes on the key itself, so sending again is safe; `unknown`: it may have gone out and
    the channel cannot tell, so it must not be sent again.
    """

    status: Literal["sent", "not_sent", "unknown"]
    result: SendResult | None = None


class SendError(Exception):
    """A send failed. The message says why in words without personal data."""

    transient: bool = True


class TransientSendError(SendError):
    """Worth retrying later: timeouts, 5xx, a server that is down."""

    transient = True


class PermanentSendError(SendError):
    """Retrying will not help: refused recipient, no address, a channel that cannot carry it."""

    transient = False


class Channel(Protocol):
    """Somewhere messages go: a file, an SMTP server, an SMS gateway."""

    name: str
    # Whether the worker must read the recipient's address from the vault for this channel.
    needs_address: bool

    def send(self, delivery: Delivery) -> SendResult:
        """Deliver once per idempotency key; raise SendError when it did not go out."""
        ...

    def reconcile(self, message_id: str, idempotency_key: str) -> Reconciliation:
        """Say whether a message whose sender died mid-send went out."""
        ...

    def close(self) -> None:
        """Release files and connections."""
        ...


@runtime_checkable
class SendsBatches(Protocol):
    """A channel that can take a whole batch at once (one lock, one write, one fsync)."""

    def send_batch(self, deliveries: Sequence[Delivery]) -> list[SendResult | SendError]:
        """Deliver each once per idempotency key; one result or error per delivery, in order.

        Raising (rather than returning an error) means the channel cannot tell which went
        out; the worker then leaves the batch to reconciliation.
        """
        ...
