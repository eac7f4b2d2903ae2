"""UTC offsets of many instants in many IANA zones, without a per-row time-zone conversion.

Converting a million timestamps through a time-zone database is slow; but over the few weeks a
batch spans, each zone has only a handful of offset changes. We find those transitions once
(stepping a day at a time, then bisecting to the second) and turn them into a piecewise-constant
Polars expression over epoch seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import polars as pl

from faircollect.policy.request import zone

_DAY = 86_400


@lru_cache(maxsize=65_536)
def _offset(tz_name: str, epoch_s: int) -> int:
    off = datetime.fromtimestamp(epoch_s, UTC).astimezone(zone(tz_name)).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def transitions(tz_name: str, lo_s: int, hi_s: int) -> list[tuple[int, int]]:
    """[(from_epoch_s, offset_s), ...] covering [lo_s, hi_s]; the first starts at lo_s."""
    lo_s -= lo_s % _DAY
    out = [(lo_s, _offset(tz_name, lo_s))]
    t = lo_s
    while t < hi_s:
        nxt = t + _DAY
        if _offset(tz_name, nxt) != out[-1][1]:
            a, b = t, nxt  # offset(a) is the old one, offset(b) the new one
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(tz_name, mid) == out[-1][1]:
                    a = mid
                else:
                    b = mid
            out.append((b, _offset(tz_name, b)))
        t = nxt
    return out


def offset_expr(epoch_s: pl.Expr, tz: pl.Expr, zones: list[str], lo_s: int, hi_s: int) -> pl.Expr:
    """Offset in seconds of `epoch_s` in the zone named by `tz`, valid for [lo_s, hi_s]."""
    chain: Any = None
    for name in zones:
        steps = transitions(name, lo_s, hi_s)
        piece: pl.Expr = pl.lit(steps[0][1], dtype=pl.Int64)
        for start, off in steps[1:]:
            piece = pl.when(epoch_s >= start).then(pl.lit(off, dtype=pl.Int64)).otherwise(piece)
        if len(zones) == 1:
            return piece
        if chain is None:
            chain = pl.when(tz == name).then(piece)
        else:
            chain = chain.when(tz == name).then(piece)
    if chain is None:
        return pl.lit(0, dtype=pl.Int64)
    return chain.otherwise(pl.lit(0, dtype=pl.Int64))  # type: ignore[no-any-return]
