"""Pure parts of dispatch and cases: message ids, validation, signatures, kept/broken rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from faircollect.cases.plans import plan_status, split_evenly
from faircollect.cases.promises import PromiseFacts, promise_status
from faircollect.dispatch.channels.webhook import sign, verify
from faircollect.dispatch.message import OutboundMessage, message_id_for
from faircollect.errors import InputError

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _message(**kw: object) -> OutboundMessage:
    fields: dict[str, object] = dict(
        idempotency_key="k-1",
        borrower_id="b-1",
        channel="sms",
        template_id="t",
        purpose="reminder",
        body="Dear Ada",
        planned_at=AT,
    )
    fields.update(kw)
    return OutboundMessage(**fields)  # type: ignore[arg-type]


def test_message_id_follows_the_key() -> None:
    assert message_id_for("k-1") == _message().message_id == message_id_for("k-1")
    assert message_id_for("k-1") != message_id_for("k-2")


@pytest.mark.parametrize(
    "bad",
    [
        {"idempotency_key": ""},
        {"idempotency_key": "x" * 201},
        {"channel": "visit"},
        {"purpose": "threaten"},
        {"audience": "third_party"},
        {"audience": "designated_contact"},
        {"contact_id": "c-1"},
        {"planned_at": datetime(2026, 3, 2)},
    ],
)
def test_bad_messages_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InputError):
        _message(**bad)


def test_repr_hides_the_body() -> None:
    assert "Ada" not in repr(_message())


def test_signature_verifies_only_the_signed_body_and_time() -> None:
    sig = sign(b"s3cret", "1700000000", b'{"a":1}')
    assert sig.startswith("v1=") and verify(b"s3cret", "1700000000", b'{"a":1}', sig)
    assert not verify(b"s3cret", "1700000001", b'{"a":1}', sig)
    assert not verify(b"s3cret", "1700000000", b'{"a":2}', sig)
    assert not verify(b"other", "1700000000", b'{"a":1}', sig)


def test_promise_status() -> None:
    facts = PromiseFacts(1000, date(2026, 3, 1), date(2026, 3, 10), cancelled=False)
    assert promise_status(facts, [], date(2026, 3, 5)) == "pending"
    assert promise_status(facts, [(date(2026, 3, 9), 999)], date(2026, 3, 11)) == "broken"
    assert promise_status(facts, [(date(2026, 3, 9), 1000)], date(2026, 3, 11)) == "kept"
    # Money paid before the promise or after its date does not keep it.
    late = [(date(2026, 2, 28), 1000), (date(2026, 3, 11), 1000)]
    assert promise_status(facts, late, date(2026, 3, 12)) == "broken"
    assert (
        promise_status(
            PromiseFacts(1, date(2026, 3, 1), date(2026, 3, 2), True), [], date(2026, 3, 5)
        )
        == "cancelled"
    )


def test_split_evenly_puts_the_remainder_last() -> None:
    assert split_evenly(1000, 3) == [333, 333, 334]
    assert sum(split_evenly(7, 7)) == 7


def test_plan_status() -> None:
    dues = [(date(2026, 4, 1), 500), (date(2026, 5, 1), 500)]
    assert plan_status(dues, [], date(2026, 3, 20), False) == "active"
    assert plan_status(dues, [(date(2026, 3, 30), 400)], date(2026, 4, 2), False) == "broken"
    assert plan_status(dues, [(date(2026, 3, 30), 500)], date(2026, 4, 2), False) == "active"
    assert plan_status(dues, [(date(2026, 4, 1), 1000)], date(2026, 4, 2), False) == "completed"
    assert plan_status(dues, [], date(2026, 3, 20), True) == "cancelled"
