"""Points scaling: turn a logistic model on WOE into additive scorecard points.

The score is `offset + factor * ln(odds of good)`, where `factor = pdo / ln 2` (every `pdo`
points double the odds) and `offset = base_score - factor * ln(base_odds)` (a score of
`base_score` means good:bad odds of `base_odds`). With the model
`ln(odds of bad) = b0 + sum(b_i * woe_i)`, characteristic i's bin j is worth

    points_ij = -(b_i * woe_ij + b0 / n) * factor + offset / n

for n characteristics, so the points of an applicant's bins add up to the score exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from faircollect.errors import InputError


@dataclass(frozen=True, slots=True)
class Scaling:
    """Base score at base odds (good:bad) and points to double the odds."""

    base_score: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0

    def __post_init__(self) -> None:
        if self.pdo <= 0 or self.base_odds <= 0:
            raise InputError("points scaling needs pdo > 0 and base odds > 0", field="pdo")

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def bin_points(self, coef: float, woe: float, intercept: float, n: int) -> float:
        """The points of one bin (see the module docstring)."""
        return -(coef * woe + intercept / n) * self.factor + self.offset / n

    def score(self, log_odds_bad: float) -> float:
        """The score of a model output ln(odds of bad)."""
        return self.offset - self.factor * log_odds_bad

    def probability_bad(self, score: float) -> float:
        """The probability of bad that a score stands for."""
        return 1.0 / (1.0 + math.exp((score - self.offset) / self.factor))


DEFAULT_SCALING = Scaling()
