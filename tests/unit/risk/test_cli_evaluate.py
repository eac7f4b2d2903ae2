"""`faircollect risk evaluate` on German credit: JSON with auc, ks, gini per fold and mean."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from importlib import resources

import numpy as np

from faircollect.cli import main

DATA = str(resources.files("faircollect.risk").joinpath("data/german_credit.csv"))


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_evaluate_prints_fold_metrics_and_their_mean() -> None:
    code, out, err = _run("risk", "evaluate", "--json", "--kind", "application", "--data", DATA,
                          "--target", "creditability", "--bad", "bad", "--folds", "5",
                          "--seed", "7")
    assert code == 0, err
    doc = json.loads(out)
    assert [f["fold"] for f in doc["folds"]] == [1, 2, 3, 4, 5]
    for m in ("auc", "ks", "gini"):
        assert doc["mean"][m] == round(float(np.mean([f[m] for f in doc["folds"]])), 4)
    for f in doc["folds"]:
        assert f["gini"] == round(2 * f["auc"] - 1, 4) or abs(f["gini"] - (2 * f["auc"] - 1)) < 2e-4
    assert doc["mean"]["auc"] >= 0.78 and doc["mean"]["ks"] >= 0.45


def test_evaluate_refuses_an_unknown_kind_and_a_bad_target() -> None:
    code, _, err = _run("risk", "evaluate", "--kind", "mystery", "--data", DATA, "--target",
                        "creditability", "--bad", "bad")
    assert code == 2 and "--kind must be one of" in err
    code, _, err = _run("risk", "evaluate", "--data", DATA, "--target", "creditability",
                        "--bad", "terrible")
    assert code == 2 and "no row has creditability = 'terrible'" in err
