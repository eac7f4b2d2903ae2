"""Monitoring a model on a recent sample: drift (PSI, CSI), discrimination, calibration,
fairness; alerts for the compliance report.

Pure: takes the model, its training baseline (from the model card) and a frame; returns a
JSON-ready report. Alerts: PSI or any CSI in the shift band (>= 0.25), the watch band
(>= 0.1), an approval-rate ratio below 0.8 for a group (the four-fifths rule of thumb), an
AUC more than 0.05 below the one cross-validated at training, and a score band (of at least
30 accounts) whose observed bad rate is more than 0.10 from the predicted one. `alerts` holds
them as sentences; `alert_rows` as {metric, value, band, message} for the compliance report.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from faircollect.risk import metrics
from faircollect.risk.scorecard import Scorecard

FOUR_FIFTHS = 0.8
CALIBRATION_GAP = 0.10  # observed minus predicted bad rate, absolute
CALIBRATION_MIN_ACCOUNTS = 30


def _alert(out: dict[str, Any], metric: str, value: float, band: str, message: str) -> None:
    out["alerts"].append(message)
    out["alert_rows"].append({"metric": metric, "value": round(float(value), 4), "band": band,
                              "message": message})


def age_band(age: Any) -> str:
    a = float(age)
    return "<25" if a < 25 else "25-34" if a < 35 else "35-49" if a < 50 else "50+"


def sex_of(status: Any) -> str:
    """German credit's personal_status_and_sex starts with the sex ("male : single")."""
    text = str(status).strip().lower()
    return "female" if text.startswith("female") else "male" if text.startswith("male") else "?"


GROUPERS = {"age_band": ("age_in_years", age_band),
            "sex": ("personal_status_and_sex", sex_of)}


def monitor(card: Scorecard, model_card: dict[str, Any], data: pl.DataFrame,
            y: npt.NDArray[np.int64] | None, *, cutoff: float | None = None) -> dict[str, Any]:
    """The monitoring report of `data` (with outcomes `y` when known, 1 = bad)."""
    base = model_card.get("baseline", {})
    scores = card.score(data)
    out: dict[str, Any] = {"rows": int(data.height), "alerts": [], "alert_rows": []}
    edges = np.array(base.get("score_edges", []), dtype=np.float64)
    if edges.size:
        idx = np.searchsorted(edges, scores, side="right")
        actual = np.bincount(idx, minlength=edges.size + 1) / scores.size
        p = metrics.psi_from_shares(base["score_shares"], actual)
        out["psi"] = {"value": round(p, 4), "band": metrics.band(p)}
        if metrics.band(p) != "stable":
            _alert(out, "psi:score", p, metrics.band(p), f"score PSI {p:.3f} ({metrics.band(p)})")
    csis = {}
    for c in card.characteristics:
        expected = base.get("bin_shares", {}).get(c.feature)
        if expected is None:
            continue
        col = data[c.feature]
        values = (col.cast(pl.Float64).fill_null(np.nan).to_numpy()
                  if c.binning.kind == "numeric" else col.cast(pl.String).to_list())
        i = c.binning.index(values)
        counts = np.bincount(np.where(i < 0, len(c.binning.bins), i),
                             minlength=len(c.binning.bins) + 1)
        v = metrics.psi_from_shares(expected, counts / counts.sum())
        csis[c.feature] = {"value": round(v, 4), "band": metrics.band(v)}
        if metrics.band(v) == "shift":
            _alert(out, f"csi:{c.feature}", v, "shift", f"CSI of {c.feature} {v:.3f} (shift)")
    out["csi"] = csis
    if y is not None:
        risk = -scores
        a = metrics.auc(y, risk)
        out["auc"], out["ks"], out["gini"] = round(a, 4), round(metrics.ks(y, risk), 4), \
            round(2 * a - 1, 4)
        trained = model_card.get("metrics", {}).get("cv", {}).get("auc")
        if trained is not None and a < trained - 0.05:
            _alert(out, "auc", a, f"< {trained - 0.05:.3f}",
                   f"AUC {a:.3f} is below the trained {trained:.3f} by > 0.05")
        pd_ = 1.0 / (1.0 + np.exp((scores - card.scaling.offset) / card.scaling.factor))
        band_edges = [float(e) for e in np.quantile(scores, [0.2, 0.4, 0.6, 0.8])]
        out["calibration"] = metrics.calibration(y, pd_, scores, band_edges)
        for b in out["calibration"]:
            gap = b["observed_bad_rate"] - b["predicted_bad_rate"]
            if b["accounts"] >= CALIBRATION_MIN_ACCOUNTS and abs(gap) > CALIBRATION_GAP:
                _alert(out, f"calibration:{b['band']}", gap, f"|gap| > {CALIBRATION_GAP}",
                       f"score band {b['band']}: observed bad rate {b['observed_bad_rate']:.3f}"
                       f" vs predicted {b['predicted_bad_rate']:.3f}")
        cut = cutoff if cutoff is not None else float(np.quantile(scores, 0.3))
        approved = scores >= cut
        out["cutoff"] = round(cut, 1)
        fair: dict[str, Any] = {}
        for name, (column, fn) in GROUPERS.items():
            if column in data.columns:
                groups = [fn(v) for v in data[column].to_list()]
                fair[name] = metrics.fairness(y, approved, groups)
                ratio = fair[name]["min_approval_ratio"]
                if ratio < FOUR_FIFTHS:
                    _alert(out, f"approval_ratio:{name}", ratio, f"< {FOUR_FIFTHS}",
                           f"approval-rate ratio by {name} {ratio:.2f} is below {FOUR_FIFTHS}")
        out["fairness"] = fair
    return out
