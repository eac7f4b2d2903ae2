"""Drift, discrimination, calibration and fairness measures against hand-computed values."""

from __future__ import annotations

import math

import pytest

from faircollect.risk import metrics


def test_psi_by_hand() -> None:
    e, a = [0.25, 0.25, 0.5], [0.2, 0.3, 0.5]
    # (0.2-0.25) ln(0.2/0.25) + (0.3-0.25) ln(0.3/0.25) + 0
    hand = -0.05 * math.log(0.8) + 0.05 * math.log(1.2)
    assert hand == pytest.approx(0.020273, abs=1e-6)
    assert metrics.psi_from_shares(e, a) == pytest.approx(hand)
    assert metrics.band(hand) == "stable"
    # a zero share is floored at 0.0001
    z = metrics.psi_from_shares([0.5, 0.5], [1.0, 0.0])
    assert z == pytest.approx(0.5 * math.log(2) + (1e-4 - 0.5) * math.log(1e-4 / 0.5))


def test_bands_at_their_edges() -> None:
    assert [metrics.band(v) for v in (0.0999, 0.1, 0.2499, 0.25)] == [
        "stable", "watch", "watch", "shift"]


def test_psi_on_samples_uses_training_deciles() -> None:
    expected = list(range(100))  # deciles cut at 9.9, 19.8, ...
    same = metrics.psi(expected, expected)
    assert same == 0.0
    shifted = [x + 10 for x in expected]  # first decile empties, last doubles
    hand = (1e-4 - 0.1) * math.log(1e-4 / 0.1) + (0.2 - 0.1) * math.log(0.2 / 0.1)
    assert metrics.psi(expected, shifted) == pytest.approx(hand, abs=1e-9)


def test_csi_counts_missing_as_its_own_bin() -> None:
    # training: bins 0,0,1,1 -> shares (missing 0, 0.5, 0.5); recent: -1, 0, 1, 1
    v = metrics.csi([0, 0, 1, 1], [-1, 0, 1, 1], 2)
    hand = (0.25 - 1e-4) * math.log(0.25 / 1e-4) + (0.25 - 0.5) * math.log(0.25 / 0.5)
    assert v == pytest.approx(hand)


def test_auc_ks_gini_by_hand() -> None:
    y = [1, 1, 0, 0, 1, 0]
    risk = [0.9, 0.8, 0.7, 0.3, 0.3, 0.1]
    # bad/good pairs: 9 pairs; (0.3 bad vs 0.3 good) a tie counts half; (0.3 bad < 0.7 good) lost
    # wins: 0.9>all 3, 0.8>all 3, 0.3 > 0.1 -> 7 wins, 1 tie, 1 loss -> (7 + 0.5) / 9
    assert metrics.auc(y, risk) == pytest.approx(7.5 / 9)
    assert metrics.gini(y, risk) == pytest.approx(2 * 7.5 / 9 - 1)
    # cumulative shares by risk value: at 0.7, bads (<=0.7) 1/3, goods 3/3 -> gap 2/3
    assert metrics.ks(y, risk) == pytest.approx(2 / 3)


def test_calibration_by_band() -> None:
    rows = metrics.calibration([1, 0, 0, 1], [0.8, 0.2, 0.1, 0.4], [500, 650, 700, 520], [600])
    assert rows == [
        {"band": "[-inf, 600)", "accounts": 2, "predicted_bad_rate": 0.6, "observed_bad_rate": 1.0},
        {"band": "[600, inf)", "accounts": 2, "predicted_bad_rate": 0.15, "observed_bad_rate": 0.0},
    ]


def test_fairness_approval_ratio_and_equal_opportunity() -> None:
    y = [0, 0, 1, 0, 0, 0, 1, 1]
    approved = [1, 1, 0, 1, 0, 0, 1, 0]
    groups = ["f", "f", "f", "f", "m", "m", "m", "m"]
    out = metrics.fairness(y, approved, groups)
    # f: 3 of 4 approved, goods 3 all approved; m: 1 of 4, goods 2 none approved
    assert out["groups"]["f"]["approval_rate"] == 0.75
    assert out["groups"]["m"]["approval_rate"] == 0.25
    assert out["min_approval_ratio"] == pytest.approx(0.25 / 0.75)
    assert out["groups"]["f"]["good_approval_rate"] == 1.0
    assert out["groups"]["m"]["good_approval_rate"] == 0.0
    assert out["equal_opportunity_gap"] == 1.0
