"""policy/offsets.offsets(): the zone offset of each instant, checked against zoneinfo at
and around DST transitions, in several zones at once. (The review found it unreached; it
gives the vectorised decide its local calendar day for weekday and holiday rules.)"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import polars as pl

from faircollect.policy.offsets import offsets, transitions

ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Shanghai",
         "America/Los_Angeles", "Asia/Kolkata"]
LO = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
HI = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())


def expected(epoch_s: int, zone: str) -> int:
    off = datetime.fromtimestamp(epoch_s, UTC).astimezone(ZoneInfo(zone)).utcoffset()
    assert off is not None
    return int(off.total_seconds())


def test_offsets_match_zoneinfo_at_each_transition_and_either_side() -> None:
    instants: list[int] = []
    zones: list[str] = []
    for z in ZONES:
        points = [LO, HI - 1, (LO + HI) // 2]
        for start, _ in transitions(z, LO, HI)[1:]:
            points += [start - 3601, start - 1, start, start + 1, start + 3600]
        instants += points
        zones += [z] * len(points)
    # at least one zone changes offset in the year, or the test proves nothing
    assert len(instants) > 3 * len(ZONES)
    got = offsets(pl.Series(instants, dtype=pl.Int64), pl.Series(zones), LO, HI).to_list()
    want = [expected(t, z) for t, z in zip(instants, zones, strict=True)]
    assert got == want


def test_transition_instants_are_exact() -> None:
    # New York springs forward at 2026-03-08 07:00 UTC and falls back 2026-11-01 06:00 UTC.
    got = transitions("America/New_York", LO, HI)
    assert got[0] == (LO, -5 * 3600)
    assert got[1:] == [(int(datetime(2026, 3, 8, 7, tzinfo=UTC).timestamp()), -4 * 3600),
                       (int(datetime(2026, 11, 1, 6, tzinfo=UTC).timestamp()), -5 * 3600)]
