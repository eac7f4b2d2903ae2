"""Model makers for cross-validation and the benchmark: the scorecard and its challengers.

Each maker fits on (frame, y) and returns a function giving risk (higher = riskier):
`scorecard` (our monotone WOE + LR), `optbinning_lr` (optbinning's BinningProcess + LR),
`gbm` (LightGBM when installed, else scikit-learn's HistGradientBoosting) and `onehot_lr`
(plain LR on one-hot categories and standardised numbers). The gradient-boosting challenger
explains each decision by its per-feature contributions (`gbm_attributions`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from faircollect.risk.scorecard import fit_scorecard

Floats = npt.NDArray[np.float64]
Ys = npt.NDArray[np.int64]
RiskOf = Callable[[pl.DataFrame], Floats]


def _features(data: pl.DataFrame, exclude: tuple[str, ...] = ()) -> list[str]:
    return [c for c in data.columns if c not in exclude]


def scorecard(features: list[str]) -> Callable[[pl.DataFrame, Ys], RiskOf]:
    def make(train: pl.DataFrame, y: Ys) -> RiskOf:
        card = fit_scorecard(train, y, features)
        return lambda d: -card.score(d)
    return make


def _pandas(data: pl.DataFrame, features: list[str]) -> Any:
    import pandas as pd

    return pd.DataFrame(data.select(features).to_dict(as_series=False))


def optbinning_lr(features: list[str]) -> Callable[[pl.DataFrame, Ys], RiskOf]:
    """optbinning's BinningProcess (monotone trend chosen automatically) + LR."""
    def make(train: pl.DataFrame, y: Ys) -> RiskOf:
        from optbinning import BinningProcess
        from sklearn.linear_model import LogisticRegression

        cats = [f for f in features if not train[f].dtype.is_numeric()]
        proc = BinningProcess(features, categorical_variables=cats,
                              binning_fit_params={f: {"monotonic_trend": "auto_asc_desc"}
                                                  for f in features if f not in cats})
        x = proc.fit_transform(_pandas(train, features), y, metric="woe")
        model = LogisticRegression(C=0.3, max_iter=1000).fit(x, y)
        return lambda d: model.predict_proba(
            proc.transform(_pandas(d, features), metric="woe"))[:, 1]
    return make


def _encode(train: pl.DataFrame, features: list[str]) -> tuple[Any, list[str]]:
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cats = [f for f in features if not train[f].dtype.is_numeric()]
    nums = [f for f in features if f not in cats]
    enc = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), cats),
                             ("num", StandardScaler(), nums)])
    return enc, cats


def onehot_lr(features: list[str]) -> Callable[[pl.DataFrame, Ys], RiskOf]:
    def make(train: pl.DataFrame, y: Ys) -> RiskOf:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        enc, _ = _encode(train, features)
        model = make_pipeline(enc, LogisticRegression(C=0.3, max_iter=2000))
        model.fit(_pandas(train, features), y)
        return lambda d: model.predict_proba(_pandas(d, features))[:, 1]
    return make


def _category_codes(train: pl.DataFrame, features: list[str]) -> Callable[[pl.DataFrame], Floats]:
    """Numbers as they are, categories as integer codes learnt on `train` (unseen: NaN)."""
    codes = {f: {v: float(i) for i, v in enumerate(sorted(train[f].cast(pl.String).unique()
                                                           .drop_nulls().to_list()))}
             for f in features if not train[f].dtype.is_numeric()}

    def encode(d: pl.DataFrame) -> Floats:
        cols = []
        for f in features:
            if f in codes:
                cols.append(d[f].cast(pl.String).replace_strict(
                    codes[f], default=None, return_dtype=pl.Float64).to_numpy())
            else:
                cols.append(d[f].cast(pl.Float64).to_numpy())
        return np.column_stack(cols)
    return encode


def gbm_engine() -> str:
    try:
        import lightgbm  # noqa: F401
    except ImportError:
        return "sklearn-hgb"
    return "lightgbm"


def fit_gbm(train: pl.DataFrame, y: Ys, features: list[str], seed: int = 0) -> tuple[Any, Any]:
    """(model, encoder): LightGBM when installed, else HistGradientBoosting."""
    encode = _category_codes(train, features)
    cats = [i for i, f in enumerate(features) if not train[f].dtype.is_numeric()]
    x = encode(train)
    if gbm_engine() == "lightgbm":
        import lightgbm as lgb

        model: Any = lgb.LGBMClassifier(n_estimators=200, learning_rate=0.03, num_leaves=8,
                                        min_child_samples=20, subsample=0.8, subsample_freq=1,
                                        colsample_bytree=0.7, reg_lambda=1.0, random_state=seed,
                                        verbose=-1, n_jobs=1)
        model.fit(x, y, categorical_feature=cats)
    else:
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_depth=3,
                                               categorical_features=cats or None,
                                               random_state=seed)
        model.fit(x, y)
    return model, encode


def gbm(features: list[str], seed: int = 0) -> Callable[[pl.DataFrame, Ys], RiskOf]:
    def make(train: pl.DataFrame, y: Ys) -> RiskOf:
        model, encode = fit_gbm(train, y, features, seed)
        return lambda d: model.predict_proba(encode(d))[:, 1]
    return make


def gbm_attributions(model: Any, encode: Callable[[pl.DataFrame], Floats],
                     features: list[str], data: pl.DataFrame) -> list[dict[str, float]]:
    """Per row, each feature's contribution to ln(odds of bad) (LightGBM's TreeSHAP).

    HistGradientBoosting has no per-row attributions; then each feature's contribution is
    the change in ln(odds) when that feature alone is set missing (a leave-one-out)."""
    x = encode(data)
    if gbm_engine() == "lightgbm":
        contrib = model.predict(x, pred_contrib=True)[:, :-1]
    else:
        def logit(m: Floats) -> Floats:
            p = np.clip(model.predict_proba(m)[:, 1], 1e-9, 1 - 1e-9)
            return np.log(p / (1 - p))  # type: ignore[no-any-return]
        base = logit(x)
        contrib = np.empty_like(x)
        for j in range(x.shape[1]):
            xm = x.copy()
            xm[:, j] = np.nan
            contrib[:, j] = base - logit(xm)
    return [{f: round(float(v), 4) for f, v in zip(features, row, strict=True)}
            for row in contrib]


MAKERS: dict[str, Callable[[list[str]], Callable[[pl.DataFrame, Ys], RiskOf]]] = {
    "scorecard": scorecard, "optbinning_lr": optbinning_lr, "gbm": gbm, "onehot_lr": onehot_lr,
}
