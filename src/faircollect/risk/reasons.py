"""Reason codes: the principal reasons behind a score, for adverse-action notices.

For each characteristic the applicant loses `best bin's points - the applicant's bin's
points`; the reasons are the characteristics with the largest loss, at most four (12 CFR
1002.9(b)(2) asks for the principal reasons, and the official commentary calls more than
four unhelpful), each with a plain text in English and zh-CN (PIPL Art. 24: an explanation of
an automated decision). A characteristic whose value is missing or was dropped for lack of
consent scores its neutral points and is never given as a reason: the applicant is not
told they were marked down for something the lender may not use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from faircollect.risk.scorecard import Scorecard

MAX_REASONS = 4


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason: the characteristic, the applicant's bin, the points lost, the texts."""

    feature: str
    bin: str
    points_lost: float
    text_en: str
    text_zh: str

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "bin": self.bin,
                "points_lost": round(self.points_lost, 1), "en": self.text_en,
                "zh-CN": self.text_zh}


def _texts(feature: str, bin_label: str, lost: float,
           labels: Mapping[str, Mapping[str, str]]) -> tuple[str, str]:
    names = labels.get(feature, {})
    en = names.get("en", feature.replace("_", " "))
    zh = names.get("zh-CN", en)
    pts = f"{lost:.0f}"
    return (f"{en} ({bin_label}) lowered the score by {pts} points",
            f"{zh}（{bin_label}）使评分降低 {pts} 分")


def points_lost(card: Scorecard, data: pl.DataFrame) -> npt.NDArray[np.float64]:
    """Rows x characteristics: best bin's points minus the row's points (0 for neutral)."""
    pts = card.points_frame(data).to_numpy()
    best = np.array([c.best for c in card.characteristics])
    neutral = np.array([c.neutral for c in card.characteristics])
    lost = best[None, :] - pts
    lost[np.isclose(pts, neutral[None, :]) & _neutral_rows(card, data)] = 0.0
    out: npt.NDArray[np.float64] = lost
    return out


def _neutral_rows(card: Scorecard, data: pl.DataFrame) -> npt.NDArray[np.bool_]:
    """True where a row's value is missing or unseen (scored neutral)."""
    cols = []
    for c in card.characteristics:
        s = data[c.feature]
        values = (s.cast(pl.Float64).fill_null(np.nan).to_numpy() if c.binning.kind == "numeric"
                  else s.cast(pl.String).to_list())
        cols.append(c.binning.index(values) < 0)
    out: npt.NDArray[np.bool_] = np.column_stack(cols)
    return out


def reasons(card: Scorecard, data: pl.DataFrame,
            labels: Mapping[str, Mapping[str, str]] | None = None,
            limit: int = MAX_REASONS) -> list[list[Reason]]:
    """Each row's reasons, most points lost first; characteristics losing nothing are left out."""
    labels = labels or {}
    lost = points_lost(card, data)
    idx = np.column_stack([c.binning.index(
        data[c.feature].cast(pl.Float64).fill_null(np.nan).to_numpy()
        if c.binning.kind == "numeric" else data[c.feature].cast(pl.String).to_list())
        for c in card.characteristics])
    out: list[list[Reason]] = []
    limit = min(limit, MAX_REASONS)
    for r in range(lost.shape[0]):
        order = np.argsort(-lost[r], kind="stable")[:limit]
        row: list[Reason] = []
        for k in order:
            if lost[r, k] <= 1e-9:
                break
            c = card.characteristics[int(k)]
            label = c.binning.bins[int(idx[r, k])].label
            en, zh = _texts(c.feature, label, float(lost[r, k]), labels)
            row.append(Reason(c.feature, label, float(lost[r, k]), en, zh))
        out.append(row)
    return out
