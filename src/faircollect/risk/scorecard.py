"""The explainable scorecard: WOE bins + logistic regression + points scaling.

`fit_scorecard` bins every characteristic (monotone for numbers), keeps those whose
information value reaches `min_iv`, fits a logistic regression on their WOE, and drops
any characteristic whose coefficient comes out with the wrong sign (a higher WOE must mean
a lower risk; a wrong sign is collinearity and would make a bin's points contradict its own
bad rate), refitting until every sign is right. The result is a table of points per bin.

Scoring is vectorised in Polars: each characteristic becomes one expression mapping values
to points, and the score is their sum; a missing value (or one the borrower gave no consent
to use) takes the characteristic's neutral points (WOE 0).
"""

from __future__ import annotations

import html
import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from faircollect.errors import InputError
from faircollect.risk.binning import Binning, fit_categorical, fit_numeric
from faircollect.risk.points import DEFAULT_SCALING, Scaling

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Characteristic:
    """A binned characteristic with its coefficient and the points of each bin."""

    binning: Binning
    coef: float
    points: tuple[float, ...]  # per bin
    neutral: float  # points of a missing / unseen / unconsented value (WOE 0)

    @property
    def feature(self) -> str:
        return self.binning.feature

    @property
    def best(self) -> float:
        return max(self.points)


@dataclass(frozen=True)
class Scorecard:
    """A fitted scorecard: intercept, characteristics, scaling."""

    intercept: float
    characteristics: tuple[Characteristic, ...]
    scaling: Scaling
    dropped: dict[str, str] = field(default_factory=dict)  # feature -> why not used

    @property
    def features(self) -> list[str]:
        return [c.feature for c in self.characteristics]

    def _expr(self, c: Characteristic, dtype: pl.DataType) -> pl.Expr:
        col = pl.col(c.feature)
        b = c.binning
        if b.kind == "numeric":
            expr: Any = pl.when(col.is_null() | col.cast(pl.Float64).is_nan()).then(c.neutral)
            for bin_, pts in zip(b.bins[:-1], c.points[:-1], strict=True):
                expr = expr.when(col <= bin_.upper).then(pts)
            return expr.otherwise(c.points[-1]).cast(pl.Float64)  # type: ignore[no-any-return]
        mapping = {cat: pts for bin_, pts in zip(b.bins, c.points, strict=True)
                   for cat in bin_.categories}
        src = col if dtype == pl.String else col.cast(pl.String)
        return src.replace_strict(mapping, default=c.neutral, return_dtype=pl.Float64)

    def points_frame(self, data: pl.DataFrame) -> pl.DataFrame:
        """Each characteristic's points per row, one column per characteristic."""
        missing = [f for f in self.features if f not in data.columns]
        if missing:
            raise InputError(f"scoring data lacks the characteristics {missing}",
                             field="data")
        return data.select([self._expr(c, data.schema[c.feature]).alias(c.feature)
                            for c in self.characteristics])

    def score_expr(self, schema: pl.Schema) -> pl.Expr:
        """One Polars expression for the score (for vectorised portfolio scoring)."""
        return pl.sum_horizontal([self._expr(c, schema[c.feature])
                                  for c in self.characteristics]).alias("score")

    def score(self, data: pl.DataFrame) -> Floats:
        """The score of every row."""
        return data.select(self.score_expr(data.schema)).to_series().to_numpy()

    def probability_bad(self, data: pl.DataFrame) -> Floats:
        """The model's probability of bad for every row (from the score)."""
        s = self.score(data)
        return 1.0 / (1.0 + np.exp((s - self.scaling.offset) / self.scaling.factor))

    def table(self) -> list[dict[str, Any]]:
        """The scorecard table: one row per bin, plus each characteristic's neutral row."""
        rows: list[dict[str, Any]] = []
        for c in self.characteristics:
            for bin_, pts in zip(c.binning.bins, c.points, strict=True):
                rows.append({"characteristic": c.feature, "bin": bin_.label,
                             "count": bin_.count, "bad_rate": round(bin_.bad_rate, 4),
                             "woe": round(bin_.woe, 4), "points": round(pts, 1)})
            rows.append({"characteristic": c.feature, "bin": "missing / not consented",
                         "count": 0, "bad_rate": None, "woe": 0.0,
                         "points": round(c.neutral, 1)})
        return rows

    def table_csv(self) -> str:
        """The scorecard table as CSV."""
        return pl.DataFrame(self.table()).write_csv()

    def table_html(self) -> str:
        """The scorecard table as a self-contained HTML page (values escaped)."""
        out = io.StringIO()
        s = self.scaling
        out.write("<!doctype html><html><head><meta charset=\"utf-8\"><title>Scorecard</title>"
                  "<style>table{border-collapse:collapse}td,th{border:1px solid #999;"
                  "padding:2px 6px}td.n{text-align:right}</style></head><body>")
        out.write(f"<h1>Scorecard</h1><p>Base score {s.base_score:g} at odds {s.base_odds:g}:1,"
                  f" {s.pdo:g} points to double the odds.</p><table><tr><th>characteristic"
                  "</th><th>bin</th><th>count</th><th>bad rate</th><th>WOE</th><th>points</th>"
                  "</tr>")
        for r in self.table():
            out.write("<tr>" + "".join(
                f"<td{' class=n' if k != 'characteristic' and k != 'bin' else ''}>"
                f"{html.escape('' if r[k] is None else str(r[k]))}</td>"
                for k in ("characteristic", "bin", "count", "bad_rate", "woe", "points"))
                + "</tr>")
        out.write("</table></body></html>")
        return out.getvalue()

    def to_dict(self) -> dict[str, Any]:
        s = self.scaling
        return {"type": "scorecard", "intercept": self.intercept,
                "scaling": {"base_score": s.base_score, "base_odds": s.base_odds,
                            "pdo": s.pdo},
                "dropped": dict(self.dropped),
                "characteristics": [{"binning": c.binning.to_dict(), "coef": c.coef,
                                     "points": list(c.points), "neutral": c.neutral}
                                    for c in self.characteristics]}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Scorecard:
        chars = tuple(Characteristic(Binning.from_dict(c["binning"]), float(c["coef"]),
                                     tuple(float(p) for p in c["points"]), float(c["neutral"]))
                      for c in raw["characteristics"])
        return cls(float(raw["intercept"]), chars, Scaling(**raw["scaling"]),
                   dict(raw.get("dropped", {})))


def target_vector(data: pl.DataFrame, target: str, bad: str) -> npt.NDArray[np.int64]:
    """1 where `target` equals `bad` (compared as text), else 0; InputError when absent."""
    if target not in data.columns:
        raise InputError(f"target column {target!r} is not in the data", field="target")
    col = data[target].cast(pl.String)
    if col.null_count():
        raise InputError(f"target column {target!r} has empty values", field="target")
    y = (col == str(bad)).to_numpy().astype(np.int64)
    if y.sum() == 0:
        raise InputError(f"no row has {target} = {bad!r}", field="bad")
    if y.sum() == y.size:
        raise InputError(f"every row has {target} = {bad!r}: no goods", field="bad")
    return y


def bin_all(data: pl.DataFrame, y: npt.NDArray[np.int64], features: list[str], *,
            max_bins: int = 6) -> list[Binning]:
    """Bin every feature by its dtype: numbers monotone, text as category groups."""
    out: list[Binning] = []
    for f in features:
        s = data[f]
        if s.dtype.is_numeric():
            out.append(fit_numeric(f, s.cast(pl.Float64).fill_null(np.nan).to_numpy(), y,
                                   max_bins=max_bins))
        else:
            out.append(fit_categorical(f, s.cast(pl.String).to_list(), y,
                                       max_bins=max_bins + 2))  # categories need more room
    return out


def _woe_matrix(data: pl.DataFrame, binnings: list[Binning]) -> Floats:
    cols = []
    for b in binnings:
        s = data[b.feature]
        values = (s.cast(pl.Float64).fill_null(np.nan).to_numpy() if b.kind == "numeric"
                  else s.cast(pl.String).to_list())
        cols.append(b.woe(values))
    return np.column_stack(cols) if cols else np.zeros((data.height, 0))


def fit_scorecard(data: pl.DataFrame, y: npt.NDArray[np.int64], features: list[str], *,
                  scaling: Scaling = DEFAULT_SCALING, min_iv: float = 0.0, c: float = 0.3,
                  max_bins: int = 6) -> Scorecard:
    """Fit a scorecard on `data[features]` with `y` (1 = bad)."""
    from sklearn.linear_model import LogisticRegression

    if not features:
        raise InputError("no characteristics to train on", field="features")
    binnings = bin_all(data, y, features, max_bins=max_bins)
    dropped = {b.feature: f"information value {b.iv:.3f} below {min_iv}"
               for b in binnings if b.iv < min_iv}
    kept = [b for b in binnings if b.iv >= min_iv]
    if not kept:
        raise InputError("no characteristic carries information (every IV below "
                         f"{min_iv})", field="features")
    x_all = _woe_matrix(data, kept)
    while True:
        model = LogisticRegression(C=c, max_iter=1000)
        model.fit(x_all, y)
        coefs = model.coef_[0]
        wrong = [i for i, v in enumerate(coefs) if v > 0]
        if not wrong or len(kept) == 1:
            break
        worst = max(wrong, key=lambda i: coefs[i])
        dropped[kept[worst].feature] = "coefficient of the wrong sign (collinear)"
        kept.pop(worst)
        x_all = np.delete(x_all, worst, axis=1)
    b0 = float(model.intercept_[0])
    n = len(kept)
    chars = tuple(
        Characteristic(b, float(coef),
                       tuple(scaling.bin_points(float(coef), bin_.woe, b0, n) for bin_ in b.bins),
                       scaling.bin_points(float(coef), 0.0, b0, n))
        for b, coef in zip(kept, coefs, strict=True))
    return Scorecard(b0, chars, scaling, dropped)


def log_odds(card: Scorecard, data: pl.DataFrame) -> Floats:
    """ln(odds of bad) straight from the model, for checking the points arithmetic."""
    x = _woe_matrix(data, [c.binning for c in card.characteristics])
    coefs = np.array([c.coef for c in card.characteristics])
    out: Floats = card.intercept + x @ coefs
    return out


def neutral_total(card: Scorecard) -> float:
    """The score of an applicant about whom nothing is known (every WOE 0)."""
    return math.fsum(c.neutral for c in card.characteristics)
