"""Differentially private counts: the noise has the declared scale; OpenDP's accounting agrees."""

from __future__ import annotations

import math
import statistics

import pytest

from faircollect.errors import InputError
from faircollect.sharing import dp


def _discrete_laplace_moments(scale: float) -> tuple[float, float]:
    """E|X| and Var X of the two-sided geometric law P(k) ~ exp(-|k| / scale)."""
    q = math.exp(-1 / scale)
    return 2 * q / (1 - q * q), 2 * q / (1 - q) ** 2


@pytest.mark.parametrize("epsilon", [0.25, 1.0])
def test_noise_over_many_draws_matches_the_declared_scale(epsilon: float) -> None:
    n = 40_000
    noisy, scale = dp.add_noise([0] * n, epsilon)
    assert scale == pytest.approx(3 / epsilon)
    mean_abs, var = _discrete_laplace_moments(scale)
    # Standard errors at n = 40,000: mean ~ sqrt(var / n); variance ~ var * sqrt(5 / n)
    # (Laplace kurtosis 6). Bounds at about 5 standard errors.
    assert abs(statistics.fmean(noisy)) < 5 * math.sqrt(var / n)
    assert statistics.pvariance(noisy) == pytest.approx(var, rel=5 * math.sqrt(5 / n))
    assert statistics.fmean(abs(x) for x in noisy) == pytest.approx(mean_abs, rel=0.03)
    # P(|X| > 3 b) for the discrete law: 2 q^(k+1) / (1 + q) with k = floor(3 b).
    q = math.exp(-1 / scale)
    k = math.floor(3 * scale)
    tail = sum(1 for x in noisy if abs(x) > k) / n
    assert tail == pytest.approx(2 * q ** (k + 1) / (1 + q), abs=0.01)


def test_opendp_privacy_map_spends_exactly_epsilon() -> None:
    for epsilon in (0.1, 0.5, 2.0):
        meas = dp.measurement(dp.noise_scale(epsilon), 9)
        assert float(meas.map(d_in=dp.SENSITIVITY)) == pytest.approx(epsilon)


def test_true_counts_and_release_shape() -> None:
    units = [dp.Unit("CN", "bullet", "M0", False, False),
             dp.Unit("CN", "bullet", "M2", True, True),
             dp.Unit("FR", "bullet", "M0", False, True)]
    rows = {r.key: r for r in dp.true_counts(units, "region")}
    assert (rows["CN"].borrowers, rows["CN"].delinquent, rows["CN"].complained) == (2, 1, 1)
    assert rows["other"].complained == 1 and rows["US"].borrowers == 0
    assert rows["CN"].delinquency_rate == 0.5
    release = dp.release(units, "bucket", 1.0)
    assert [r.key for r in release.rows] == list(dp.KEYS["bucket"])  # public keys, all of them
    assert release.noise_scale == 3.0 and release.epsilon == 1.0
    assert all(r.borrowers >= 0 for r in release.rows)
    with pytest.raises(InputError, match="dimension"):
        dp.true_counts(units, "name")
    with pytest.raises(InputError, match="epsilon"):
        dp.noise_scale(0)
