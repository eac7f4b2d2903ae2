"""Training and evaluation from a data file: read, check the catalogue, gate, fit, describe.

This service reads files (CSV) and calls the pure core; the registry service stores what it
makes. The model card written here records the data (fingerprint, rows, bad rate), the
characteristics used and their consent purposes, how many borrowers lost each gated
characteristic, the characteristics left out and why, the cross-validated metrics, and the
limits of the model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from faircollect.errors import InputError
from faircollect.risk import challengers
from faircollect.risk.catalogue import FeatureCatalogue, gate, load_features
from faircollect.risk.evaluation import cross_validate
from faircollect.risk.points import DEFAULT_SCALING, Scaling
from faircollect.risk.scorecard import Scorecard, fit_scorecard, target_vector

KINDS = ("application", "behaviour", "collection")
ID_COLUMN = "borrower_id"


def read_table(path: Path) -> pl.DataFrame:
    """A CSV file as a frame; InputError naming the file when it cannot be read."""
    try:
        return pl.read_csv(path, infer_schema_length=10_000)
    except FileNotFoundError:
        raise InputError(f"{path.name}: no such file", file=path.name) from None
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"{path.name}: not a readable CSV ({type(exc).__name__})",
                         file=path.name) from None


def fingerprint(data: pl.DataFrame) -> str:
    """sha256 of the data as canonical CSV (columns in file order, rows in file order)."""
    return hashlib.sha256(data.write_csv().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Prepared:
    data: pl.DataFrame
    y: npt.NDArray[np.int64]
    features: list[str]
    dropped_for_consent: dict[str, int]
    fingerprint: str
    excluded: dict[str, str] = field(default_factory=dict)  # feature -> why never used


def prepare(data: pl.DataFrame, target: str, bad: str, *,
            catalogue: FeatureCatalogue | None = None, consents: pl.DataFrame | None = None,
            features: list[str] | None = None) -> Prepared:
    """The target vector and the consent-gated characteristics of `data`."""
    catalogue = catalogue or load_features()
    y = target_vector(data, target, bad)
    excluded: dict[str, str] = {}
    if features is None:  # every column but the target, the id and the prohibited bases
        names = []
        for c in data.columns:
            decl = catalogue.features.get(c)
            if c in (target, ID_COLUMN):
                continue
            if decl is not None and decl.prohibited:
                excluded[c] = "prohibited basis: kept for fairness monitoring only"
                continue
            names.append(c)
    else:
        names = features
    unknown = [f for f in names if f not in data.columns]
    if unknown:
        raise InputError(f"the data has no columns {unknown}", field="features")
    gated = gate(data, catalogue, names, consents)
    return Prepared(gated.data, y, names, gated.dropped, fingerprint(data), excluded)


def evaluate(prep: Prepared, *, model: str = "scorecard", folds: int = 5,
             seed: int = 0) -> dict[str, Any]:
    """Stratified k-fold metrics of one model maker."""
    if model not in challengers.MAKERS:
        raise InputError(f"unknown model {model!r}; one of {sorted(challengers.MAKERS)}",
                         field="model")
    maker = challengers.MAKERS[model](prep.features)
    try:
        out = cross_validate(prep.data, prep.y, maker, folds=folds, seed=seed)
    except ImportError as exc:  # optbinning / pandas / lightgbm live in the `risk` extra
        raise InputError(f"model {model!r} needs {exc.name or 'a package'}: install "
                         "faircollect[risk]", field="model") from None
    return {"model": model, **out}


@dataclass(frozen=True)
class Trained:
    kind: str
    card: Scorecard
    model_card: dict[str, Any]
    fingerprint: str


def train(prep: Prepared, kind: str, *, scaling: Scaling = DEFAULT_SCALING, folds: int = 5,
          seed: int = 0, catalogue: FeatureCatalogue | None = None,
          source: str = "") -> Trained:
    """Fit the scorecard on all rows and write its model card (with CV metrics)."""
    if kind not in KINDS:
        raise InputError(f"--kind must be one of {list(KINDS)}", field="kind")
    catalogue = catalogue or load_features()
    card = fit_scorecard(prep.data, prep.y, prep.features, scaling=scaling)
    cv = cross_validate(prep.data, prep.y, challengers.scorecard(prep.features),
                        folds=folds, seed=seed)
    decl = {f.name: f for f in catalogue.check(prep.features)}
    used = [{"feature": f, "purpose": decl[f].purpose, "source": decl[f].source,
             "data_categories": list(decl[f].data_categories),
             "iv": round(c.binning.iv, 4), "protected": decl[f].protected}
            for f, c in ((c.feature, c) for c in card.characteristics)]
    model_card = {
        "kind": kind,
        "data": {"source": source, "rows": int(prep.y.size), "bads": int(prep.y.sum()),
                 "bad_rate": round(float(prep.y.mean()), 4), "fingerprint": prep.fingerprint},
        "catalogue_version": catalogue.version,
        "characteristics": used,
        "left_out": {**prep.excluded, **card.dropped},
        "consent": {"dropped_per_feature": prep.dropped_for_consent,
                    "rule": "a characteristic whose consent purpose a borrower lacks is "
                            "nulled for that borrower and scores neutral (WOE 0)"},
        "metrics": {"cv": cv["mean"], "folds": cv["folds"], "seed": seed},
        "scaling": {"base_score": scaling.base_score, "base_odds": scaling.base_odds,
                    "pdo": scaling.pdo},
        "baseline": baseline(card, prep.data),
        "limits": ["trained on the rows given; check PSI before use on another population",
                   "protected attributes present in the data are flagged above; fairness "
                   "is measured by `risk monitor`, not assumed",
                   "reasons rank points lost against each characteristic's best bin"],
    }
    return Trained(kind, card, model_card, prep.fingerprint)


def baseline(card: Scorecard, data: pl.DataFrame) -> dict[str, Any]:
    """What monitoring compares later samples with: score deciles and each characteristic's
    bin shares (the last share is missing / not consented) on the training data."""
    scores = card.score(data)
    edges = [float(e) for e in np.unique(np.quantile(scores, np.linspace(0, 1, 11)[1:-1]))]
    idx = np.searchsorted(np.array(edges), scores, side="right")
    shares = (np.bincount(idx, minlength=len(edges) + 1) / scores.size).tolist()
    bins: dict[str, list[float]] = {}
    for c in card.characteristics:
        col = data[c.feature]
        values = (col.cast(pl.Float64).fill_null(np.nan).to_numpy()
                  if c.binning.kind == "numeric" else col.cast(pl.String).to_list())
        i = c.binning.index(values)
        counts = np.bincount(np.where(i < 0, len(c.binning.bins), i),
                             minlength=len(c.binning.bins) + 1)
        bins[c.feature] = (counts / counts.sum()).round(6).tolist()
    return {"score_edges": [round(e, 4) for e in edges],
            "score_shares": [round(x, 6) for x in shares], "bin_shares": bins}
