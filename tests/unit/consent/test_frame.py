"""The vectorised validity agrees with the scalar one on random ledgers and questions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from faircollect.consent.frame import records_frame, spans_frame, valid_frame
from faircollect.consent.record import ConsentRecord, valid

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PURPOSES = ("contact_designated_contact", "marketing")
CONTACTS = (None, "c-1", "c-2")


def _at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


@st.composite
def ledgers(draw: st.DrawFn) -> list[ConsentRecord]:
    out: list[ConsentRecord] = []
    rid = 0
    for n in range(draw(st.integers(0, 6))):
        borrower = draw(st.sampled_from(("b-1", "b-2")))
        purpose = draw(st.sampled_from(PURPOSES))
        contact = draw(st.sampled_from(CONTACTS))
        cid = f"cs-{n}"
        for k in range(draw(st.integers(1, 4))):
            kind = "grant" if k == 0 else draw(st.sampled_from(("renew", "expire", "withdraw")))
            g = _at(draw(st.integers(0, 100)))
            e = draw(st.one_of(st.none(), st.integers(0, 120).map(_at)))
            w = _at(draw(st.integers(0, 120))) if kind == "withdraw" else None
            if kind == "expire" and e is None:
                e = g
            rid += 1
            out.append(ConsentRecord(rid, cid, borrower, purpose, contact, kind, g, e, w))
    return out


@settings(max_examples=150, deadline=None)
@given(ledgers(), st.lists(st.tuples(st.sampled_from(("b-1", "b-2", "b-3")),
                                     st.sampled_from(PURPOSES), st.sampled_from(CONTACTS),
                                     st.integers(-5, 125)), max_size=30))
def test_valid_frame_equals_scalar_valid(
    recs: list[ConsentRecord], questions: list[tuple[str, str, str | None, int]]
) -> None:
    q = pl.DataFrame(
        [(b, p, c, _at(h)) for b, p, c, h in questions],
        schema={"borrower_id": pl.String, "purpose": pl.String, "contact_id": pl.String,
                "at": pl.Datetime("us", "UTC")},
        orient="row",
    )
    got = valid_frame(q, spans_frame(records_frame(recs)))["consent_valid"].to_list()
    want = [valid([r for r in recs if r.borrower_id == b], p, c, _at(h))
            for b, p, c, h in questions]
    assert got == want


def test_valid_frame_keeps_row_order_and_extra_columns() -> None:
    recs = [ConsentRecord(1, "cs-1", "b-1", "marketing", None, "grant", T0, _at(10), None)]
    q = pl.DataFrame({
        "borrower_id": ["b-1", "b-1", "b-1"], "purpose": ["marketing"] * 3,
        "contact_id": [None, None, None], "at": [_at(11), _at(0), _at(9)], "tag": [1, 2, 3],
    })
    out = valid_frame(q, spans_frame(records_frame(recs)))
    assert out["consent_valid"].to_list() == [False, True, True]
    assert out["tag"].to_list() == [1, 2, 3]
