"""`smtp://host:port`: e-mail through a real SMTP server with smtplib.

The Message-ID is derived from the idempotency key (so a receiving system can drop a
duplicate) and a sent-keys journal refuses to hand a key to the server twice.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from faircollect.dispatch.channels.base import (
    PermanentSendError,
    Reconciliation,
    SendResult,
    TransientSendError,
)
from faircollect.dispatch.channels.journal import SentKeys
from faircollect.dispatch.message import Delivery

_SUBJECTS = {
    "reminder": "A reminder about your account",
    "collection": "About your account",
    "locate": "A message for someone you know",
}


def _now() -> datetime:
    return datetime.now(UTC)


class SmtpChannel:
    """Sends e-mail messages over SMTP, once per idempotency key."""

    name = "smtp"
    needs_address = True

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        journal: SentKeys,
        timeout: float = 10.0,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.journal = journal
        self.timeout = timeout
        self._clock = clock

    def __repr__(self) -> str:
        return f"SmtpChannel(host={self.host!r}, port={self.port})"

    @staticmethod
    def message_id_header(delivery: Delivery) -> str:
        """The Message-ID for a delivery: the same for every try of one idempotency key."""
        return f"<{delivery.message_id}@faircollect.invalid>"

    def _compose(self, delivery: Delivery, address: str, at: datetime) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = address
        mail["Subject"] = _SUBJECTS.get(delivery.purpose, "About your account")
        mail["Date"] = format_datetime(at)
        mail["Message-ID"] = self.message_id_header(delivery)
        mail["X-FairCollect-Template"] = delivery.template_id
        mail.set_content(delivery.body)
        return mail

    def send(self, delivery: Delivery) -> SendResult:
        """Hand the e-mail to the server unless this key was handed on before."""
        if delivery.channel != "email":
            raise PermanentSendError(f"the smtp channel carries e-mail, not {delivery.channel}")
        if not delivery.address:
            raise PermanentSendError("no e-mail address on file for the recipient")
        known = self.journal.status(delivery.idempotency_key)
        if known is not None and known[0] == "sent":
            return SendResult(
                provider_ref=known[1] or self.message_id_header(delivery), at=self._clock()
            )
        if not self.journal.begin(delivery.idempotency_key):
            raise PermanentSendError("an earlier try may have reached the server; not sent again")
        at = delivery.at or self._clock()
        mail = self._compose(delivery, delivery.address, at)
        try:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except OSError as exc:
            # Nothing reached the server: the key may be tried again.
            self.journal.record(delivery.idempotency_key, "rejected")
            raise TransientSendError(
                f"cannot connect to the SMTP server: {type(exc).__name__}"
            ) from exc
        try:
            with client:
                client.send_message(mail)
        except smtplib.SMTPResponseException as exc:
            self.journal.record(delivery.idempotency_key, "rejected")
            if 400 <= exc.smtp_code < 500:
                raise TransientSendError(f"SMTP server deferred: {exc.smtp_code}") from exc
            raise PermanentSendError(f"SMTP server refused: {exc.smtp_code}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            self.journal.record(delivery.idempotency_key, "rejected")
            raise PermanentSendError("SMTP server refused the recipient") from exc
        except (OSError, smtplib.SMTPException) as exc:
            # The connection broke mid-conversation: it may have been accepted. Never resend.
            raise PermanentSendError(
                f"SMTP conversation broke ({type(exc).__name__}); outcome unknown, not resent"
            ) from exc
        ref = self.message_id_header(delivery)
        self.journal.record(delivery.idempotency_key, "sent", ref)
        return SendResult(provider_ref=ref, at=at)

    def reconcile(self, message_id: str, idempotency_key: str) -> Reconciliation:
        """Sent or never begun per the journal; begun but not finished is unknown."""
        known = self.journal.status(idempotency_key)
        if known is None or known[0] == "rejected":
            return Reconciliation("not_sent")
        if known[0] == "sent":
            return Reconciliation("sent", SendResult(provider_ref=known[1] or "", at=self._clock()))
        return Reconciliation("unknown")

    def close(self) -> None:
        """Close the journal."""
        self.journal.close()
