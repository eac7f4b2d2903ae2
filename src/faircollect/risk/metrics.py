"""Discrimination, drift, calibration and fairness measures (pure numpy).

Conventions: `y` is 1 for bad, `risk` is higher for riskier (a probability of bad, or minus
a score). AUC is the Mann-Whitney probability that a random bad ranks riskier than a random
good (ties count half); KS is the largest gap between the cumulative shares of bads and
goods; Gini is 2 AUC - 1.

PSI = sum over bins of (actual% - expected%) * ln(actual% / expected%), bins taken from the
expected (training) sample; a share of 0 is floored at 0.0001 so the log stays finite.
Bands: below 0.1 stable, 0.1 to below 0.25 watch, 0.25 or more shift. CSI is the same sum
over one characteristic's scorecard bins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from faircollect.errors import InputError

Floats = npt.NDArray[np.float64]
FLOOR = 1e-4
STABLE, SHIFT = 0.1, 0.25


def _arrays(y: Any, risk: Any) -> tuple[npt.NDArray[np.int64], Floats]:
    yy = np.asarray(y, dtype=np.int64)
    rr = np.asarray(risk, dtype=np.float64)
    if yy.shape != rr.shape:
        raise InputError("outcomes and scores differ in length", field="data")
    if yy.sum() == 0 or yy.sum() == yy.size:
        raise InputError("AUC and KS need both goods and bads", field="data")
    return yy, rr


def auc(y: Any, risk: Any) -> float:
    """Area under the ROC curve (ties count half)."""
    yy, rr = _arrays(y, risk)
    order = np.argsort(rr, kind="mergesort")
    ranks = np.empty(rr.size, dtype=np.float64)
    sorted_r = rr[order]
    # average ranks over ties
    _, start, counts = np.unique(sorted_r, return_index=True, return_counts=True)
    avg = start + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    bads = int(yy.sum())
    goods = yy.size - bads
    return float((ranks[yy == 1].sum() - bads * (bads + 1) / 2) / (bads * goods))


def ks(y: Any, risk: Any) -> float:
    """Kolmogorov-Smirnov statistic between bads' and goods' risk distributions."""
    yy, rr = _arrays(y, risk)
    values = np.unique(rr)
    bad_cdf = np.searchsorted(np.sort(rr[yy == 1]), values, side="right") / yy.sum()
    good_cdf = np.searchsorted(np.sort(rr[yy == 0]), values, side="right") / (yy.size - yy.sum())
    return float(np.max(np.abs(bad_cdf - good_cdf)))


def gini(y: Any, risk: Any) -> float:
    return 2.0 * auc(y, risk) - 1.0


def band(value: float) -> str:
    """stable (< 0.1), watch (0.1 to < 0.25) or shift (>= 0.25)."""
    return "stable" if value < STABLE else "watch" if value < SHIFT else "shift"


def psi_from_shares(expected: Sequence[float] | Floats, actual: Sequence[float] | Floats) -> float:
    """PSI from two lists of bin shares."""
    e = np.maximum(np.asarray(expected, dtype=np.float64), FLOOR)
    a = np.maximum(np.asarray(actual, dtype=np.float64), FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def psi(expected: Any, actual: Any, bins: int = 10) -> float:
    """PSI of a score between a training and a recent sample, on the training deciles."""
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    edges = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1]))
    ei = np.bincount(np.searchsorted(edges, e, side="right"), minlength=edges.size + 1)
    ai = np.bincount(np.searchsorted(edges, a, side="right"), minlength=edges.size + 1)
    return psi_from_shares(ei / e.size, ai / a.size)


def csi(expected_index: Any, actual_index: Any, n_bins: int) -> float:
    """CSI of one characteristic from each row's bin index (-1: missing, its own bin)."""
    e = np.asarray(expected_index, dtype=np.int64) + 1
    a = np.asarray(actual_index, dtype=np.int64) + 1
    es = np.bincount(e, minlength=n_bins + 1) / e.size
    as_ = np.bincount(a, minlength=n_bins + 1) / a.size
    return psi_from_shares(es, as_)


def calibration(y: Any, pd_: Any, score: Any, edges: Sequence[float]) -> list[dict[str, Any]]:
    """Per score band (cut at `edges`): accounts, mean predicted PD, observed bad rate."""
    yy = np.asarray(y, dtype=np.float64)
    p = np.asarray(pd_, dtype=np.float64)
    s = np.asarray(score, dtype=np.float64)
    idx = np.searchsorted(np.asarray(edges, dtype=np.float64), s, side="right")
    out = []
    bounds = [-np.inf, *edges, np.inf]
    for k in range(len(bounds) - 1):
        m = idx == k
        if not m.any():
            continue
        out.append({"band": f"[{bounds[k]:g}, {bounds[k + 1]:g})", "accounts": int(m.sum()),
                    "predicted_bad_rate": round(float(p[m].mean()), 4),
                    "observed_bad_rate": round(float(yy[m].mean()), 4)})
    return out


def fairness(y: Any, approved: Any, groups: Any) -> dict[str, Any]:
    """Approval rate per group, its ratio to the most-approved group (the four-fifths
    test), and equal opportunity: the approval rate among actual goods per group and its
    largest gap."""
    yy = np.asarray(y, dtype=np.int64)
    ok = np.asarray(approved, dtype=bool)
    g = np.asarray(groups, dtype=object)
    rows: dict[str, dict[str, float]] = {}
    for name in sorted({str(v) for v in g}):
        m = g.astype(str) == name
        goods = m & (yy == 0)
        rows[name] = {"accounts": int(m.sum()), "approval_rate": float(ok[m].mean()),
                      "good_approval_rate": float(ok[goods].mean()) if goods.any() else 0.0}
    top = max(r["approval_rate"] for r in rows.values())
    for r in rows.values():
        r["approval_ratio"] = r["approval_rate"] / top if top else 0.0
    tprs = [r["good_approval_rate"] for r in rows.values()]
    return {"groups": rows, "min_approval_ratio": min(r["approval_ratio"]
                                                       for r in rows.values()),
            "equal_opportunity_gap": max(tprs) - min(tprs)}
