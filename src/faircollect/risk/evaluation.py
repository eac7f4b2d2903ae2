"""Stratified k-fold cross-validation of a model maker: AUC, KS and Gini per fold and mean."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from faircollect.errors import InputError
from faircollect.risk import metrics

# A maker fits on (train frame, train y) and returns a function giving risk (higher = riskier).
Maker = Callable[[pl.DataFrame, npt.NDArray[np.int64]],
                 Callable[[pl.DataFrame], npt.NDArray[np.float64]]]


def cross_validate(data: pl.DataFrame, y: npt.NDArray[np.int64], make: Maker, *,
                   folds: int = 5, seed: int = 0) -> dict[str, Any]:
    """Metrics per fold and their means; `fit_seconds` is the mean fit time."""
    from sklearn.model_selection import StratifiedKFold

    if folds < 2:
        raise InputError("--folds must be at least 2", field="folds")
    if int(y.sum()) < folds or int((1 - y).sum()) < folds:
        raise InputError(f"too few goods or bads for {folds} folds", field="folds")
    rows: list[dict[str, float]] = []
    fit_times: list[float] = []
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (tr, te) in enumerate(split.split(np.zeros(y.size), y), start=1):
        start = time.perf_counter()
        risk_of = make(data[tr], y[tr])
        fit_times.append(time.perf_counter() - start)
        risk = risk_of(data[te])
        rows.append({"fold": k, "auc": round(metrics.auc(y[te], risk), 4),
                     "ks": round(metrics.ks(y[te], risk), 4),
                     "gini": round(metrics.gini(y[te], risk), 4)})
    mean = {m: round(float(np.mean([r[m] for r in rows])), 4) for m in ("auc", "ks", "gini")}
    return {"folds": rows, "mean": mean, "seed": seed,
            "fit_seconds": round(float(np.mean(fit_times)), 4)}
