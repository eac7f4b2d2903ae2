"""Fixed vectors for the documented wire formats (docs/dispatch-and-cases.md).

The expected values are literals computed once outside the product, with Python's own
hmac/hashlib on the command line, e.g.

    python3 -c "import hmac, hashlib; print(hmac.new(SECRET, TS + b'.' + BODY,
                hashlib.sha256).hexdigest())"
    printf '%s' 'cycle:2026-05-11:B-000123:cn-early-sms' | sha256sum   # first 32 hex digits

so a change to the signature or the message id derivation fails here even if the product's
sign() and verify() (or enqueue and its readers) change together.
"""

from __future__ import annotations

import httpx
import pytest

from faircollect.config import Secret
from faircollect.dispatch.channels import webhook
from faircollect.dispatch.channels.webhook import WebhookChannel, sign, verify
from faircollect.dispatch.message import Delivery, message_id_for

SECRET = "whsec-test-0123456789"
TIMESTAMP = "1767225600"  # 2026-01-01T00:00:00Z
KEY = "cycle:2026-05-11:B-000123:cn-early-sms"
MESSAGE_ID = "m-0530c0b9037131f60b89b8ad5fce12f7"

SHORT_BODY = b'{"id":"m-1"}'
SHORT_SIGNATURE = "v1=a31f17c74c8cff710e74c700ab32f57ced1115f067747cfbea4bbff4e8c72aae"

# The exact body WebhookChannel.send posts for DELIVERY (json.dumps, UTF-8, not ASCII-escaped).
BODY = ('{"message_id": "m-0530c0b9037131f60b89b8ad5fce12f7", "to": "+8613800000000", '
        '"body": "您好，提醒您还款。", "template_id": "cn-early-sms", "purpose": "reminder"}'
        ).encode()
SIGNATURE = "v1=64472a29e35a869075aa7050ef2fb7f2397f9ad127bd63ed3758aade3baea780"


def test_message_id_from_idempotency_key_fixed_vector() -> None:
    assert message_id_for(KEY) == MESSAGE_ID


def test_planned_attempt_idempotency_key_fixed_vector() -> None:
    """The key of a planned attempt and the message id it gives, as a lender's systems and
    a channel that dedupes see them. Digests from `printf KEY | sha256sum | cut -c1-32`."""
    from datetime import date

    from faircollect.strategy.writing import idempotency_key

    plain = idempotency_key(date(2026, 11, 1), "B-000123", "cn-remind-d3", None, False)
    assert plain == "cycle:2026-11-01:B-000123:cn-remind-d3"
    assert message_id_for(plain) == "m-dabb7e04fcab71711d6498b75df98422"
    replanned = idempotency_key(date(2026, 11, 1), "B-000123", "cn-locate-d31", "c-000045", True)
    assert replanned == "cycle:2026-11-01:B-000123:cn-locate-d31:c-000045:r"
    assert message_id_for(replanned) == "m-d68949c8d0742c796802eacf1278cbba"


def test_signature_fixed_vector() -> None:
    assert sign(SECRET.encode(), TIMESTAMP, SHORT_BODY) == SHORT_SIGNATURE
    assert sign(SECRET.encode(), TIMESTAMP, BODY) == SIGNATURE
    assert verify(SECRET.encode(), TIMESTAMP, BODY, SIGNATURE)
    assert not verify(SECRET.encode(), "1767225601", BODY, SIGNATURE)


def test_webhook_request_headers_and_body_fixed_vector(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "gw-1"})

    monkeypatch.setattr(webhook.time, "time", lambda: float(TIMESTAMP))
    channel = WebhookChannel("http://127.0.0.1:9/sms", Secret(SECRET))
    channel._client.close()
    channel._client = httpx.Client(transport=httpx.MockTransport(gateway))  # no network
    delivery = Delivery(message_id=MESSAGE_ID, idempotency_key=KEY, borrower_id="B-000123",
                        audience="borrower", contact_id=None, channel="sms",
                        template_id="cn-early-sms", purpose="reminder",
                        body="您好，提醒您还款。", address="+8613800000000")
    try:
        result = channel.send(delivery)
    finally:
        channel.close()
    assert result.provider_ref == "gw-1"
    (request,) = seen
    assert request.content == BODY
    assert request.headers["X-FairCollect-Timestamp"] == TIMESTAMP
    assert request.headers["X-FairCollect-Signature"] == SIGNATURE
    assert request.headers["Idempotency-Key"] == KEY
