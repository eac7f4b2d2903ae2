"""German credit (shipped with the risk slice) and data drawn from a known logistic model."""

from __future__ import annotations

from importlib import resources

import numpy as np
import polars as pl
import pytest

# True coefficients of ln(odds of bad): x1 strongest, x5 no effect at all.
TRUE = {"x1": 1.6, "x2": 1.0, "x3": 0.5, "x4": 0.2, "x5": 0.0}


@pytest.fixture(scope="session")
def german() -> pl.DataFrame:
    path = resources.files("faircollect.risk").joinpath("data/german_credit.csv")
    return pl.read_csv(str(path))


def logistic_data(n: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = {k: rng.normal(size=n) for k in TRUE}
    logit = -1.0 + sum(TRUE[k] * x[k] for k in TRUE)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return pl.DataFrame(x), y


@pytest.fixture(scope="session")
def draw():  # type: ignore[no-untyped-def]
    """Draw (frame, y) of n rows from the known model with a seed."""
    return logistic_data


@pytest.fixture(scope="session")
def known() -> tuple[pl.DataFrame, np.ndarray]:
    return logistic_data(6000, 11)
