"""Canonical audit records pinned by fixed vectors: the bytes docs/audit.md shows, and their
leaf hashes computed outside the code (`printf '\\x00…' | openssl dgst -sha256`).

A verifier in another language rebuilds these bytes from the documented rules; if the record
layout, the time format, the payload's key order or the leaf prefix drifted, the property
test comparing the product to the stdlib would still pass (both sides are Python), these not.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from faircollect.audit import merkle
from faircollect.audit.canonical import canonical_payload, entry_bytes, format_time

DOC_RECORD = (b'{"action":"promise.record","actor":"agent:7","at":"2026-03-01T12:00:00.000000Z",'
              b'"payload":{"amount":"12.50"},"seq":41,"subject":"loan:L-1"}')
DOC_LEAF = "0249ccb7b9d614baac2a316106fa793fe1050acf28d57b5762ab87a3bf5df8b2"

RECORD = ('{"action":"consent.grant","actor":"api:k-1","at":"2026-03-01T04:00:00.000001Z",'
          '"payload":{"a":{"y":"7.10","z":"2026-03-01"},"b":[1,"二",null,true]},"seq":0,'
          '"subject":"borrower:b-1"}').encode()
LEAF = "46f3ab293e082059a5bcc2d524d1fa9c6f78d3670b5027b809172c552c198797"


def test_the_documented_record_and_its_leaf() -> None:
    at = format_time(datetime(2026, 3, 1, 12, tzinfo=UTC))
    payload = canonical_payload({"amount": Decimal("12.50")})
    record = entry_bytes(41, at, "agent:7", "promise.record", "loan:L-1", payload)
    assert record == DOC_RECORD
    assert merkle.leaf_hash(record).hex() == DOC_LEAF


def test_a_record_with_nesting_unicode_dates_and_an_offset_time() -> None:
    # 12:00:00.000001 at UTC+8 is 04:00:00.000001Z; keys sorted at every depth; UTF-8 as is.
    at = format_time(datetime(2026, 3, 1, 12, 0, 0, 1, tzinfo=timezone(timedelta(hours=8))))
    payload = canonical_payload({"b": [1, "二", None, True],
                                 "a": {"z": date(2026, 3, 1), "y": Decimal("7.10")}})
    record = entry_bytes(0, at, "api:k-1", "consent.grant", "borrower:b-1", payload)
    assert record == RECORD
    assert merkle.leaf_hash(record).hex() == LEAF
