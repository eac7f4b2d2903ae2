"""Monotone optimal binning to weight of evidence (WOE), pure numpy.

A numeric characteristic is cut at quantiles into fine pre-bins; adjacent pre-bins whose bad
rates break the chosen trend are pooled (pool-adjacent-violators), then the bins smaller than
`min_share` of the sample and the surplus over `max_bins` are merged with the neighbour whose
bad rate is nearest. Merging two neighbours of a monotone sequence leaves it monotone, so the
final bad rates rise (or fall) strictly with the value. Both trends are tried; the one with
the larger information value (IV) is kept.

A categorical characteristic orders its categories by bad rate and merges them the same way,
so its bins are groups of categories. Missing values, categories never seen in training, and
values a borrower gave no consent to use all take WOE 0: they neither help nor hurt.

WOE of a bin = ln((goods in bin / all goods) / (bads in bin / all bads)), with 0.5 added to
each count so an all-good or all-bad bin stays finite. Higher WOE means lower risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from faircollect.errors import InputError

Kind = Literal["numeric", "categorical"]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Bin:
    """One bin: (lower, upper] for numeric, a group of categories for categorical."""

    label: str
    count: int
    bads: int
    woe: float
    lower: float | None = None  # None: -infinity
    upper: float | None = None  # None: +infinity
    categories: tuple[str, ...] = ()

    @property
    def bad_rate(self) -> float:
        return self.bads / self.count if self.count else 0.0


@dataclass(frozen=True, slots=True)
class Binning:
    """A characteristic's bins, learnt on training data."""

    feature: str
    kind: Kind
    bins: tuple[Bin, ...]
    iv: float
    trend: str  # "ascending" / "descending" bad rate with value; "categorical"

    def index(self, values: Sequence[Any] | npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        """Each value's bin index; -1 for missing or unseen values."""
        if self.kind == "numeric":
            x = _floats(values)
            edges = np.array([b.upper for b in self.bins[:-1]], dtype=np.float64)
            idx = np.searchsorted(edges, x, side="left").astype(np.int64)
            idx[np.isnan(x)] = -1
            return idx
        lookup = {c: i for i, b in enumerate(self.bins) for c in b.categories}
        return np.array([lookup.get(str(v), -1) if v is not None else -1 for v in values],
                        dtype=np.int64)

    def woe(self, values: Sequence[Any] | npt.NDArray[Any]) -> Floats:
        """Each value's WOE (0 for missing or unseen)."""
        table = np.array([b.woe for b in self.bins] + [0.0], dtype=np.float64)
        return table[self.index(values)]  # index -1 reads the trailing 0

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "kind": self.kind, "iv": self.iv, "trend": self.trend,
                "bins": [{"label": b.label, "count": b.count, "bads": b.bads, "woe": b.woe,
                          "lower": b.lower, "upper": b.upper,
                          "categories": list(b.categories)} for b in self.bins]}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Binning:
        bins = tuple(Bin(label=b["label"], count=int(b["count"]), bads=int(b["bads"]),
                         woe=float(b["woe"]), lower=b["lower"], upper=b["upper"],
                         categories=tuple(b["categories"])) for b in raw["bins"])
        return cls(raw["feature"], raw["kind"], bins, float(raw["iv"]), raw["trend"])


def _floats(values: Sequence[Any] | npt.NDArray[Any]) -> Floats:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64) \
        if not isinstance(values, np.ndarray) else values.astype(np.float64)


def woe_value(goods: float, bads: float, total_goods: float, total_bads: float) -> float:
    """ln((goods/total goods) / (bads/total bads)) with 0.5 added to each bin count."""
    return float(np.log(((goods + 0.5) / total_goods) / ((bads + 0.5) / total_bads)))


def _merge(counts: list[int], bads: list[int], groups: list[list[int]], at: int) -> None:
    """Merge group `at` with group `at + 1` in place."""
    counts[at] += counts.pop(at + 1)
    bads[at] += bads.pop(at + 1)
    groups[at].extend(groups.pop(at + 1))


def _monotone(counts: list[int], bads: list[int], groups: list[list[int]],
              ascending: bool) -> None:
    """Pool adjacent bins until bad rates move strictly in one direction."""
    i = 0
    while i < len(counts) - 1:
        a, b = bads[i] / counts[i], bads[i + 1] / counts[i + 1]
        if (a >= b) if ascending else (a <= b):
            _merge(counts, bads, groups, i)
            i = max(i - 1, 0)
        else:
            i += 1


def _nearest(counts: list[int], bads: list[int], i: int) -> int:
    """The left index of the merge of bin i with its neighbour of nearest bad rate."""
    if i == 0:
        return 0
    if i == len(counts) - 1:
        return i - 1
    rate = bads[i] / counts[i]
    left = abs(bads[i - 1] / counts[i - 1] - rate)
    right = abs(bads[i + 1] / counts[i + 1] - rate)
    return i - 1 if left <= right else i


def _shrink(counts: list[int], bads: list[int], groups: list[list[int]], min_count: int,
            max_bins: int) -> None:
    while len(counts) > 1:
        small = min(range(len(counts)), key=lambda k: counts[k])
        if counts[small] < min_count:
            _merge(counts, bads, groups, _nearest(counts, bads, small))
            continue
        if len(counts) <= max_bins:
            return
        gaps = [abs(bads[k + 1] / counts[k + 1] - bads[k] / counts[k])
                for k in range(len(counts) - 1)]
        _merge(counts, bads, groups, int(np.argmin(gaps)))


def _iv(counts: list[int], bads: list[int], total_goods: int, total_bads: int) -> float:
    iv = 0.0
    for n, b in zip(counts, bads, strict=True):
        g = n - b
        share_g, share_b = (g + 0.5) / total_goods, (b + 0.5) / total_bads
        iv += (share_g - share_b) * np.log(share_g / share_b)
    return float(iv)


def _check(feature: str, y: npt.NDArray[np.int64]) -> tuple[int, int]:
    bads = int(y.sum())
    goods = int(y.size - bads)
    if bads == 0 or goods == 0:
        raise InputError(f"feature {feature}: training data needs both goods and bads",
                         field=feature)
    return goods, bads


def fit_numeric(feature: str, values: Sequence[Any] | npt.NDArray[Any],
                target: npt.NDArray[np.int64], *, max_bins: int = 6, prebins: int = 20,
                min_share: float = 0.02) -> Binning:
    """Monotone bins of a numeric characteristic (`target` 1 = bad)."""
    x = _floats(values)
    present = ~np.isnan(x)
    x, y = x[present], target[present].astype(np.int64)
    goods, total_bads = _check(feature, y)
    uniq = np.unique(x)
    if uniq.size <= prebins:
        cuts = (uniq[:-1] + uniq[1:]) / 2
    else:
        cuts = np.unique(np.quantile(x, np.linspace(0, 1, prebins + 1)[1:-1]))
    # Pre-bin k holds cuts[k-1] < x <= cuts[k].
    idx = np.searchsorted(cuts, x, side="left")
    n0 = np.bincount(idx, minlength=cuts.size + 1)
    b0 = np.bincount(idx, weights=y, minlength=cuts.size + 1).astype(np.int64)
    keep = n0 > 0
    pre_counts, pre_bads = list(n0[keep].astype(int)), list(b0[keep].astype(int))
    pre_upper = list(np.append(cuts, np.inf)[keep])
    best: tuple[float, str, list[int], list[int], list[list[int]]] | None = None
    min_count = max(1, int(np.ceil(min_share * y.size)))
    for ascending in (True, False):
        counts, bads = list(pre_counts), list(pre_bads)
        groups = [[k] for k in range(len(counts))]
        _monotone(counts, bads, groups, ascending)
        _shrink(counts, bads, groups, min_count, max_bins)
        iv = _iv(counts, bads, goods, total_bads)
        if best is None or iv > best[0]:
            best = (iv, "ascending" if ascending else "descending", counts, bads, groups)
    assert best is not None  # the loop ran twice
    iv, trend, counts, bads, groups = best
    bins: list[Bin] = []
    lower: float | None = None
    for n, b, g in zip(counts, bads, groups, strict=True):
        top = float(pre_upper[g[-1]])
        upper = None if np.isinf(top) else top
        label = (f"<= {_num(upper)}" if lower is None else
                 f"> {_num(lower)}" if upper is None else f"({_num(lower)}, {_num(upper)}]")
        if lower is None and upper is None:
            label = "all"
        bins.append(Bin(label, int(n), int(b), woe_value(n - b, b, goods, total_bads),
                        lower=lower, upper=upper))
        lower = upper
    return Binning(feature, "numeric", tuple(bins), iv, trend)


def fit_categorical(feature: str, values: Sequence[Any] | npt.NDArray[Any],
                    target: npt.NDArray[np.int64], *, max_bins: int = 8,
                    min_share: float = 0.02) -> Binning:
    """Bins of a categorical characteristic: categories ordered by bad rate, then merged."""
    cats = np.array(["" if v is None else str(v) for v in values], dtype=object)
    present = np.array([v is not None for v in values])
    cats, y = cats[present], target[present].astype(np.int64)
    goods, total_bads = _check(feature, y)
    names, inverse = np.unique(cats, return_inverse=True)
    n0 = np.bincount(inverse, minlength=names.size)
    b0 = np.bincount(inverse, weights=y, minlength=names.size).astype(np.int64)
    order = sorted(range(names.size), key=lambda k: (b0[k] / n0[k], str(names[k])))
    counts = [int(n0[k]) for k in order]
    bads = [int(b0[k]) for k in order]
    groups = [[k] for k in order]
    _shrink(counts, bads, groups, max(1, int(np.ceil(min_share * y.size))), max_bins)
    bins = tuple(
        Bin(" | ".join(str(names[k]) for k in g), n, b, woe_value(n - b, b, goods, total_bads),
            categories=tuple(str(names[k]) for k in g))
        for n, b, g in zip(counts, bads, groups, strict=True))
    return Binning(feature, "categorical", bins, _iv(counts, bads, goods, total_bads),
                   "categorical")


def _num(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:g}"
