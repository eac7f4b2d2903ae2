"""The vectorised decide's shared columns: local clock at DST edges, linter once per template."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from policy_requests import build

from faircollect.policy import builtin_packs, decide, parse_request, resolve_pack
from faircollect.policy.batch import batch_from_requests
from faircollect.policy.content_check import LINT_ERROR, builtin_lint
from faircollect.policy.offsets import local_clock
from faircollect.policy.vector import decide_frame

EDGES = [  # (zone, an instant near a DST change or a day edge)
    ("America/New_York", datetime(2026, 3, 8, 6, 59, tzinfo=UTC)),  # 01:59 EST, then 03:00
    ("America/New_York", datetime(2026, 3, 8, 7, 1, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),  # 01:30 EDT (first)
    ("America/New_York", datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),  # 01:30 EST (second)
    ("Europe/London", datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),
    ("Europe/London", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
    ("Europe/London", datetime(2026, 10, 25, 23, 59, tzinfo=UTC)),
    ("Asia/Urumqi", datetime(2026, 5, 10, 17, 59, tzinfo=UTC)),  # 23:59 local (UTC+6)
    ("Asia/Urumqi", datetime(2026, 5, 10, 18, 0, tzinfo=UTC)),  # local midnight
    ("Australia/Sydney", datetime(2026, 4, 4, 16, 30, tzinfo=UTC)),  # 03:30 AEDT -> AEST day
]


def test_local_clock_matches_zoneinfo_at_dst_edges() -> None:
    at = pl.Series([int(t.timestamp()) for _, t in EDGES], dtype=pl.Int64)
    tz = pl.Series([z for z, _ in EDGES], dtype=pl.Categorical)
    lo, hi = int(at.min()) - 2 * 86_400, int(at.max()) + 86_400  # type: ignore[arg-type]
    sod, midnight = local_clock(at, tz, lo, hi)
    assert midnight is not None
    for (name, t), s, m in zip(EDGES, sod.to_list(), midnight.to_list(), strict=True):
        local = t.astimezone(ZoneInfo(name))
        assert s == local.hour * 3600 + local.minute * 60 + local.second, (name, t)
        start = datetime.combine(local.date(), datetime.min.time(), tzinfo=ZoneInfo(name))
        assert m == int(start.timestamp()), (name, t)
    only_sod, none = local_clock(at, tz, lo, hi, day_start=False)
    assert none is None and only_sod.to_list() == sod.to_list()


def test_linter_runs_once_per_distinct_template_and_target() -> None:
    calls: list[tuple[str, str, str, str]] = []

    def counting(body: str, locale: str, audience: str, channel: str) -> frozenset[str]:
        calls.append((body, locale, audience, channel))
        return builtin_lint(body, locale, audience, channel)

    bodies = ["Pay now, you lowlife. Reply STOP to opt out.", "Please pay. Reply STOP.",
              "Please pay in the app."]
    reqs = []
    for i in range(300):
        raw = build(jurisdiction="US", attempt__channel="sms")
        raw["attempt"]["template"]["body"] = bodies[i % 3]
        reqs.append(parse_request(raw))
    frame = decide_frame(batch_from_requests(reqs), resolve_pack("US"), linter=counting)
    assert len(calls) == 3 and len(set(calls)) == 3
    expected = [decide(r, resolve_pack("US"), linter=builtin_lint) for r in reqs[:3]]
    assert frame["rules"].to_list()[:3] == [[v.rule for v in d.violations] for d in expected]
    assert "US-OPT-OUT" in frame["rules"][2] and "HOUSE-CONTENT" in frame["rules"][0]


@pytest.mark.parametrize("pack", builtin_packs(), ids=lambda p: p.id)
def test_a_linter_error_fails_closed_in_the_vectorised_decide(pack) -> None:  # type: ignore[no-untyped-def]
    def broken(body: str, locale: str, audience: str, channel: str) -> frozenset[str]:
        return frozenset({LINT_ERROR})

    req = parse_request(build(jurisdiction=pack.jurisdiction))
    frame = decide_frame(batch_from_requests([req]), pack, linter=broken)
    assert frame["allowed"].to_list() == [False]
    assert "CONTENT" in frame["categories"][0]
    assert frame["rules"][0].to_list() == [v.rule for v in decide(req, pack,
                                                                  linter=broken).violations]


def test_string_bodies_are_accepted_and_masks_expand_in_pack_order() -> None:
    reqs = [parse_request(build(jurisdiction="CN", at=(datetime(2026, 5, 11, 15, tzinfo=UTC)
                                                        + timedelta(hours=h)).isoformat()))
            for h in range(24)]
    made = batch_from_requests(reqs)
    # A batch engine may hand bodies and locales in as plain strings; checked() casts them.
    batch = type(made)(**{**{k: getattr(made, k) for k in (
        "flags", "opted_out", "windows", "contacts", "consents", "history", "notices")},
        "requests": made.requests.with_columns(pl.col("template_body", "template_locale")
                                               .cast(pl.String))})
    assert batch.requests.schema["template_body"] == pl.String
    pack = resolve_pack("CN")
    frame = decide_frame(batch, pack)
    masks = decide_frame(batch, pack, lists=False)
    assert frame["rule_mask"].to_list() == masks["rule_mask"].to_list()
    ids = [r.id for r in pack.rules]
    for m, listed in zip(masks["rule_mask"].to_list(), frame["rules"].to_list(), strict=True):
        assert listed == [ids[i] for i in range(len(ids)) if m >> i & 1]
    assert frame["allowed"].to_list() == [decide(r, pack).allowed for r in reqs]
    assert not all(frame["allowed"]) and any(frame["allowed"])
