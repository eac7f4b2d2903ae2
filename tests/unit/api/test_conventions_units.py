"""Pure parts of the API conventions: rate buckets, cursors, ETags, id masking, settings."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from faircollect.api.access_log import mask_value
from faircollect.api.etags import check_if_match, etag_of
from faircollect.api.pages import PageRequest, decode_cursor, encode_cursor, paginate
from faircollect.api.ratelimit import Buckets, per_minute
from faircollect.errors import ConfigError, InputError, PreconditionFailed, PreconditionRequired


def test_bucket_refills_at_the_configured_rate() -> None:
    now = [0.0]
    b = Buckets(60, clock=lambda: now[0])
    assert all(b.take("k") == 0 for _ in range(60))
    assert b.take("k") == 1
    assert b.take("other") == 0
    now[0] += 1.0
    assert b.take("k") == 0 and b.take("k") == 1


def test_rate_limit_setting() -> None:
    assert per_minute({}) == 600
    assert per_minute({"FAIRCOLLECT_API_RATE_LIMIT": "0"}) == 0
    with pytest.raises(ConfigError):
        per_minute({"FAIRCOLLECT_API_RATE_LIMIT": "fast"})


def test_cursor_round_trip_and_pages() -> None:
    assert decode_cursor(encode_cursor(["a", 1])) == ["a", 1]
    with pytest.raises(InputError):
        decode_cursor("!!")
    items = [{"id": f"x{i}"} for i in range(5)]
    out: list[str] = []
    after = None
    while True:
        chunk, nxt = paginate(items, PageRequest(2, after), lambda i: (i["id"],))
        out += [i["id"] for i in chunk]
        if nxt is None:
            break
        after = decode_cursor(nxt)
    assert out == [f"x{i}" for i in range(5)]


def _req(headers: dict[str, str]) -> Request:
    return Request({"type": "http", "headers": [(k.lower().encode(), v.encode())
                                                for k, v in headers.items()]})


def test_if_match() -> None:
    tag = etag_of({"a": 1})
    assert tag == etag_of({"a": 1}) != etag_of({"a": 2})
    check_if_match(_req({"If-Match": tag}), tag, required=True)
    check_if_match(_req({"If-Match": "*"}), tag, required=True)
    check_if_match(_req({}), tag, required=False)
    with pytest.raises(PreconditionRequired):
        check_if_match(_req({}), tag, required=True)
    with pytest.raises(PreconditionFailed):
        check_if_match(_req({"If-Match": '"old"'}), tag, required=False)


def test_mask_value_keeps_prefix_and_last_two() -> None:
    assert mask_value("b-0000003") == "b-*****03"
    assert mask_value("b-2") == "b-*"
    assert "0000" not in mask_value("0000003")


def test_idempotency_caller_digest_fixed_vector() -> None:
    """Stored Idempotency-Key claims are keyed by this digest of the credential; from
    `printf 'faircollect-caller\\0fc_test_token' | sha256sum`."""
    from faircollect.api.conventions import caller_digest

    expected = "ad29bdf4058383dd49adeca3b63211fa463542e1e52e73760de00bff10067497"
    assert caller_digest("Bearer fc_test_token") == expected
    assert caller_digest("fc_test_token") == expected
    assert caller_digest(None) != expected
