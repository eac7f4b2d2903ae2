"""`webhook:URL`: an SMS gateway's HTTP API, with signed requests and retries.

Each request carries `Idempotency-Key` (the gateway keeps one message per key, which makes
a retry safe), `X-FairCollect-Timestamp` and `X-FairCollect-Signature`:
``v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>``. The gateway recomputes the
signature and rejects stale timestamps. 5xx answers, 429 and timeouts are retried with
exponential backoff; other 4xx answers are final.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from faircollect.config import Secret
from faircollect.dispatch.channels.base import (
    PermanentSendError,
    Reconciliation,
    SendResult,
    TransientSendError,
)
from faircollect.dispatch.message import Delivery

SIGNATURE_HEADER = "X-FairCollect-Signature"
TIMESTAMP_HEADER = "X-FairCollect-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header value for a request body sent at `timestamp` (Unix seconds)."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    """Whether `signature` is right for the body and timestamp (constant-time compare)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def _now() -> datetime:
    return datetime.now(UTC)


class WebhookChannel:
    """Posts SMS messages to a gateway URL, signed, retried, idempotent per key."""

    name = "webhook"
    needs_address = True

    def __init__(
        self,
        url: str,
        secret: Secret,
        *,
        timeout: float = 5.0,
        retries: int = 4,
        backoff: float = 0.5,
        clock: Callable[[], datetime] = _now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self._secret = secret.value.encode("utf-8")
        self.retries = retries
        self.backoff = backoff
        self._clock = clock
        self._sleep = sleep
        self._client = httpx.Client(timeout=timeout)

    def __repr__(self) -> str:
        return f"WebhookChannel(url={self.url!r})"

    def send(self, delivery: Delivery) -> SendResult:
        """POST the message; retry 5xx, 429 and timeouts with backoff, then give up for now."""
        if delivery.channel != "sms":
            raise PermanentSendError(f"the webhook channel carries sms, not {delivery.channel}")
        if not delivery.address:
            raise PermanentSendError("no phone number on file for the recipient")
        body = json.dumps(
            {
                "message_id": delivery.message_id,
                "to": delivery.address,
                "body": delivery.body,
                "template_id": delivery.template_id,
                "purpose": delivery.purpose,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        problem = "no answer"
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.backoff * 2 ** (attempt - 1))
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                IDEMPOTENCY_HEADER: delivery.idempotency_key,
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(self._secret, timestamp, body),
            }
            try:
                response = self._client.post(self.url, content=body, headers=headers)
            except httpx.TransportError as exc:  # timeouts, refused connections
                problem = type(exc).__name__
                continue
            if response.status_code >= 500 or response.status_code == 429:
                problem = f"HTTP {response.status_code}"
                continue
            if response.status_code >= 400:
                raise PermanentSendError(
                    f"the gateway refused the message: HTTP {response.status_code}"
                )
            at = delivery.at or self._clock()
            return SendResult(provider_ref=self._reference(response, delivery), at=at)
        raise TransientSendError(
            f"the gateway did not accept after {self.retries + 1} tries: {problem}"
        )

    @staticmethod
    def _reference(response: httpx.Response, delivery: Delivery) -> str:
        try:
            data = response.json()
        except ValueError:
            return delivery.message_id
        ref = data.get("id") if isinstance(data, dict) else None
        return str(ref)[:128] if ref else delivery.message_id

    def reconcile(self, message_id: str, idempotency_key: str) -> Reconciliation:
        """Sending again is safe: the gateway keeps one message per idempotency key."""
        return Reconciliation("not_sent")

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()
