"""The gradient-boosting challenger's per-decision attributions."""

from __future__ import annotations

import numpy as np

from faircollect.risk.challengers import fit_gbm, gbm_attributions


def test_attributions_add_up_and_rank_the_true_factors(known) -> None:  # type: ignore[no-untyped-def]
    data, y = known
    feats = list(data.columns)
    model, encode = fit_gbm(data, y, feats, seed=1)
    probe = data.head(300)
    rows = gbm_attributions(model, encode, feats, probe)
    assert len(rows) == 300 and set(rows[0]) == set(feats)
    mean_abs = {f: np.mean([abs(r[f]) for r in rows]) for f in feats}
    assert mean_abs["x1"] > mean_abs["x2"] > mean_abs["x3"] > mean_abs["x5"]
    # the contributions explain the model's own log-odds: their sum orders rows as it does
    p = np.clip(model.predict_proba(encode(probe))[:, 1], 1e-9, 1 - 1e-9)
    logit = np.log(p / (1 - p))
    total = np.array([sum(r.values()) for r in rows])
    assert np.corrcoef(total, logit)[0, 1] > 0.99
