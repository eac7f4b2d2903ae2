"""UTC offsets of many instants in many IANA zones, without a per-row time-zone conversion.

Converting a million timestamps through a time-zone database is slow; but over the few weeks a
batch spans, each zone has only a handful of offset changes. We find those transitions once
(stepping a day at a time, then bisecting to the second) and turn them into a piecewise-constant
Polars expression over epoch seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

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


def offsets(epoch_s: pl.Series, tz: pl.Series, lo_s: int, hi_s: int) -> pl.Series:
    """Offset in seconds of each `epoch_s` in the zone named beside it, for [lo_s, hi_s].

    All zones' transitions go into one sorted table keyed by (zone code, instant); each row
    finds its entry by binary search.
    """
    codes = tz.cast(pl.Categorical).to_physical().cast(pl.Int64)
    names = pl.DataFrame({"name": tz.cast(pl.String), "code": codes}).unique("code")
    keys: list[int] = []
    values: list[int] = []
    base = lo_s - lo_s % _DAY - _DAY
    for name, code in sorted(names.iter_rows(), key=lambda x: x[1]):
        for start, off in transitions(name, lo_s, hi_s):
            keys.append((code << 40) + max(start - base, 0))
            values.append(off)
    table_keys = pl.Series(keys, dtype=pl.Int64)
    query = codes * (1 << 40) + (epoch_s - base).clip(lower_bound=0)
    idx = table_keys.search_sorted(query, side="right") - 1
    return pl.Series(values, dtype=pl.Int64).gather(idx)
