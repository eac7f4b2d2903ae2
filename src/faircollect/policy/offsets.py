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


def _table(tz: pl.Series, lo_s: int, hi_s: int,
           names: pl.Series | None = None) -> tuple[pl.Series, pl.Series, pl.Series, int]:
    """Zone codes per row, the sorted transition keys, their offsets, and the key base.

    `names` are the distinct zones of `tz` when the caller has them already.
    """
    cat = tz.cast(pl.Categorical)
    codes = cat.to_physical().cast(pl.Int64)
    if names is None:
        names = cat.unique()
    names = names.cast(pl.Categorical).drop_nulls()  # a few zones: cast those, not every row
    pairs = sorted(zip(names.to_physical().cast(pl.Int64).to_list(),
                       names.cast(pl.String).to_list(), strict=True))
    keys: list[int] = []
    values: list[int] = []
    base = lo_s - lo_s % _DAY - _DAY
    for code, name in pairs:
        for start, off in transitions(name, lo_s, hi_s):
            keys.append((code << 40) + max(start - base, 0))
            values.append(off)
    return (codes, pl.Series(keys, dtype=pl.Int64), pl.Series(values, dtype=pl.Int64), base)


def offsets(epoch_s: pl.Series, tz: pl.Series, lo_s: int, hi_s: int) -> pl.Series:
    """Offset in seconds of each `epoch_s` in the zone named beside it, for [lo_s, hi_s].

    All zones' transitions go into one sorted table keyed by (zone code, instant); each row
    finds its entry by binary search.
    """
    codes, keys, values, base = _table(tz, lo_s, hi_s)
    query = codes * (1 << 40) + (epoch_s - base).clip(lower_bound=0)
    return values.gather(keys.search_sorted(query, side="right") - 1)


def local_clock(epoch_s: pl.Series, tz: pl.Series, lo_s: int, hi_s: int, *,
                names: pl.Series | None = None,
                day_start: bool = True) -> tuple[pl.Series, pl.Series | None]:
    """(local second of day, UTC epoch second of that local day's midnight) per row.

    One binary search per row: the midnight lies less than a day before the instant, and
    zones change offset at most once a day (`transitions` steps a day at a time), so its
    offset is that of the instant's table entry or of the entry just before. Without
    `day_start` the second item is None (and costs nothing).
    """
    codes, keys, values, base = _table(tz, lo_s, hi_s, names)
    zkey = codes * (1 << 40)
    idx = keys.search_sorted(zkey + (epoch_s - base).clip(lower_bound=0),
                             side="right").cast(pl.Int64) - 1
    off = values.gather(idx)
    sod = (epoch_s + off) % _DAY
    if not day_start:
        return sod, None
    guess = epoch_s - sod
    same = (zkey + (guess - base).clip(lower_bound=0)) >= keys.gather(idx)
    before = values.gather((idx - 1).clip(lower_bound=0))
    return sod, guess + off - off.zip_with(same, before)
