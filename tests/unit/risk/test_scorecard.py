"""Binning monotonicity, points arithmetic, table export, reason codes."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from faircollect.errors import InputError
from faircollect.risk.binning import fit_categorical, fit_numeric, woe_value
from faircollect.risk.points import Scaling
from faircollect.risk.reasons import MAX_REASONS, reasons
from faircollect.risk.scorecard import Scorecard, fit_scorecard, log_odds, target_vector


def _bad_rates(binning) -> list[float]:  # type: ignore[no-untyped-def]
    return [b.bad_rate for b in binning.bins]


@pytest.mark.parametrize("feature", ["duration_in_month", "credit_amount", "age_in_years"])
def test_numeric_bins_are_strictly_monotone_in_bad_rate(german: pl.DataFrame, feature: str) -> None:
    y = target_vector(german, "creditability", "bad")
    b = fit_numeric(feature, german[feature].to_numpy(), y)
    rates = _bad_rates(b)
    assert len(rates) >= 2
    steps = np.diff(rates)
    assert (steps > 0).all() or (steps < 0).all(), rates
    assert b.trend == ("ascending" if steps[0] > 0 else "descending")
    # WOE falls as bad rate rises, and is the formula on the bin's own counts
    goods, bads = int((1 - y).sum()), int(y.sum())
    for bin_ in b.bins:
        assert bin_.woe == pytest.approx(woe_value(bin_.count - bin_.bads, bin_.bads, goods, bads))
    assert sum(x.count for x in b.bins) == german.height
    assert all(x.count >= 0.02 * german.height for x in b.bins)


def test_monotone_on_noisy_random_data_both_directions() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 10, 4000)
    for sign in (1, -1):
        y = (rng.random(4000) < 1 / (1 + np.exp(-sign * (x - 5) / 2))).astype(np.int64)
        b = fit_numeric("x", x, y)
        steps = np.diff(_bad_rates(b))
        assert ((steps > 0).all() if sign > 0 else (steps < 0).all())
        # a value lands in the bin whose bounds hold it
        idx = b.index(np.array([0.0, 5.0, 9.99, np.nan]))
        for v, i in zip([0.0, 5.0, 9.99], idx[:3], strict=True):
            bin_ = b.bins[i]
            assert (bin_.lower is None or v > bin_.lower) and (bin_.upper is None or v <= bin_.upper)
        assert idx[3] == -1 and b.woe(np.array([np.nan]))[0] == 0.0


def test_categorical_groups_cover_every_category(german: pl.DataFrame) -> None:
    y = target_vector(german, "creditability", "bad")
    col = "status_of_existing_checking_account"
    b = fit_categorical(col, german[col].to_list(), y)
    seen = [c for x in b.bins for c in x.categories]
    assert sorted(seen) == sorted(set(german[col].to_list()))
    assert b.woe(["never seen"])[0] == 0.0


def test_points_scaling_against_hand_computed_values() -> None:
    s = Scaling(base_score=600, base_odds=50, pdo=20)
    # factor = 20 / ln 2 = 28.8539; offset = 600 - 28.8539 * ln 50 = 487.1229
    assert s.factor == pytest.approx(28.853901, abs=1e-6)
    assert s.offset == pytest.approx(487.122876, abs=1e-6)
    # coef -0.8, woe 0.5, intercept -1.0, 4 characteristics:
    # -(-0.8 * 0.5 + -1.0 / 4) * 28.8539 + 487.1229 / 4 = 18.755036 + 121.780719 = 140.535755
    assert s.bin_points(-0.8, 0.5, -1.0, 4) == pytest.approx(140.535755, abs=1e-5)
    # base odds 50:1 -> ln(odds of bad) = -ln 50 scores exactly the base score
    assert s.score(-math.log(50)) == pytest.approx(600)
    assert s.score(-math.log(100)) == pytest.approx(620)  # odds doubled: + pdo
    assert s.probability_bad(600) == pytest.approx(1 / 51)
    with pytest.raises(InputError):
        Scaling(pdo=0)


def test_points_add_up_to_the_models_score(german: pl.DataFrame) -> None:
    y = target_vector(german, "creditability", "bad")
    feats = [c for c in german.columns if c != "creditability"]
    card = fit_scorecard(german, y, feats, scaling=Scaling(500, 20, 40))
    expected = card.scaling.offset - card.scaling.factor * log_odds(card, german)
    assert np.allclose(card.score(german), expected)
    assert all(c.coef <= 0 for c in card.characteristics)  # higher WOE, lower risk
    # serialisation round trip scores the same
    again = Scorecard.from_dict(card.to_dict())
    assert np.allclose(again.score(german), card.score(german))


def test_table_exports(german: pl.DataFrame) -> None:
    y = target_vector(german, "creditability", "bad")
    card = fit_scorecard(german, y, ["duration_in_month", "purpose"])
    csv = card.table_csv().splitlines()
    assert csv[0] == "characteristic,bin,count,bad_rate,woe,points"
    rows = sum(len(c.binning.bins) + 1 for c in card.characteristics)
    assert len(csv) == 1 + rows
    page = card.table_html()
    assert page.startswith("<!doctype html>") and page.count("<tr>") == 1 + rows
    assert "&lt;=" in page  # bin labels are escaped


def test_reason_codes_name_the_true_strongest_factors(known) -> None:  # type: ignore[no-untyped-def]
    data, y = known
    card = fit_scorecard(data, y, list(data.columns))
    scores = card.score(data)
    declined = data.filter(pl.Series(scores < np.quantile(scores, 0.3)))
    found = reasons(card, declined)
    assert all(len(r) <= MAX_REASONS for r in found)
    top = [r[0].feature for r in found if r]
    share_x1 = top.count("x1") / len(top)
    assert share_x1 > 0.6, share_x1
    # points lost on average rank the factors as the true coefficients do
    lost = {f: np.mean([next((x.points_lost for x in r if x.feature == f), 0.0) for r in found])
            for f in ("x1", "x2", "x3", "x4")}
    assert lost["x1"] > lost["x2"] > lost["x3"] > lost["x4"]
    # the factor with no effect never leads
    assert "x5" not in top
    r0 = found[0][0]
    assert "lowered the score by" in r0.text_en and "使评分降低" in r0.text_zh


def test_reason_codes_stable_under_retraining_with_another_seed(draw) -> None:  # type: ignore[no-untyped-def]
    data, y = draw(6000, 5)
    probe = data.head(800)
    tops = []
    for seed in (1, 2):
        pick = np.random.default_rng(seed).permutation(data.height)[:4800]
        card = fit_scorecard(data[pick], y[pick], list(data.columns))
        tops.append([tuple(x.feature for x in r[:2]) for r in reasons(card, probe)])
    first = np.mean([a[:1] == b[:1] for a, b in zip(*tops, strict=True)])
    assert first > 0.85, first


def test_missing_value_scores_neutral_and_is_no_reason(german: pl.DataFrame) -> None:
    y = target_vector(german, "creditability", "bad")
    card = fit_scorecard(german, y, ["duration_in_month", "credit_history"])
    one = german.head(1).with_columns(pl.lit(None, pl.Int64).alias("duration_in_month"))
    pts = card.points_frame(one)
    c = card.characteristics[[x.feature for x in card.characteristics].index("duration_in_month")]
    assert pts["duration_in_month"][0] == pytest.approx(c.neutral)
    assert all(r.feature != "duration_in_month" for r in reasons(card, one)[0])


def test_target_errors_are_clear(german: pl.DataFrame) -> None:
    with pytest.raises(InputError, match="target column 'nope'"):
        target_vector(german, "nope", "bad")
    with pytest.raises(InputError, match="no row has creditability = 'awful'"):
        target_vector(german, "creditability", "awful")
