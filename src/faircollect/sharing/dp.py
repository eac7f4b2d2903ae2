"""Differentially private aggregate counts and rates, through OpenDP (pure: no I/O, no clock).

The unit of privacy is a borrower. Each borrower is one `Unit` and falls in exactly one group
of the dimension released (region, product or bucket), where it adds at most 1 to each of
three counts: borrowers, delinquent borrowers (more than 30 days past due) and borrowers who
complained. Adding or removing one borrower therefore moves the released vector by at most
SENSITIVITY = 3 in L1 distance, and the discrete Laplace mechanism with scale b = 3 / epsilon
(OpenDP `make_laplace` over integer vectors) is epsilon-differentially private for the
whole release. Rates are computed from the noisy counts afterwards (post-processing costs no
privacy). The group keys are public (fixed lists below), never read from the data: a key's
mere presence would otherwise tell that someone has it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from faircollect.errors import InputError
from faircollect.ledger.buckets import DEFAULT_BUCKETS

MEASURES = ("borrowers", "delinquent", "complained")
SENSITIVITY = len(MEASURES)
OTHER = "other"
# Public key lists: the jurisdictions the rule packs cover (policy/packs), the repayment
# schedules the ledger knows (ledger.schedule), the delinquency buckets (ledger.buckets).
KEYS: dict[str, tuple[str, ...]] = {
    "region": ("CN", "ID", "IN", "KE", "NG", "PH", "UK", "US", OTHER),
    "product": ("equal_installment", "equal_principal", "bullet", OTHER),
    "bucket": DEFAULT_BUCKETS.names,
}
MECHANISM = "discrete Laplace (OpenDP make_laplace, integer vector, L1 sensitivity 3)"


@dataclass(frozen=True, slots=True)
class Unit:
    """One borrower as the reports see it: no identifier at all."""

    region: str
    product: str
    bucket: str
    delinquent: bool
    complained: bool


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    borrowers: int
    delinquent: int
    complained: int

    @property
    def delinquency_rate(self) -> float | None:
        return _rate(self.delinquent, self.borrowers)

    @property
    def complaint_rate(self) -> float | None:
        return _rate(self.complained, self.borrowers)


@dataclass(frozen=True)
class Release:
    dimension: str
    epsilon: float
    noise_scale: float
    sensitivity: int
    mechanism: str
    rows: tuple[Row, ...]


def _rate(part: int, whole: int) -> float | None:
    if whole <= 0:
        return None
    return min(1.0, max(0.0, part / whole))


MIN_EPSILON = 0.001  # below it the noise scale (over 3,000) drowns every count anyway


def check_epsilon(epsilon: float) -> float:
    if not (MIN_EPSILON <= epsilon <= 10):
        raise InputError(f"epsilon must be at least {MIN_EPSILON} and at most 10",
                         field="epsilon")
    return float(epsilon)


def noise_scale(epsilon: float) -> float:
    """The Laplace scale that makes one release epsilon-DP: sensitivity / epsilon."""
    return SENSITIVITY / check_epsilon(epsilon)


def true_counts(units: Iterable[Unit], dimension: str) -> list[Row]:
    """Exact counts per public key of `dimension` (keys outside the list count as other)."""
    if dimension not in KEYS:
        raise InputError(f"unknown dimension {dimension!r} (region, product or bucket)",
                         field="dimension")
    keys = KEYS[dimension]
    fallback = OTHER if OTHER in keys else None
    tally = {k: [0, 0, 0] for k in keys}
    for u in units:
        key = getattr(u, dimension)
        if key not in tally:
            if fallback is None:
                raise InputError(f"unknown {dimension} key", field=dimension)
            key = fallback
        t = tally[key]
        t[0] += 1
        t[1] += int(u.delinquent)
        t[2] += int(u.complained)
    return [Row(k, *tally[k]) for k in keys]


def measurement(scale: float, length: int):  # type: ignore[no-untyped-def]
    """OpenDP's discrete Laplace over integer vectors of `length`, and its privacy map."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    space = (dp.vector_domain(dp.atom_domain(T=int), size=length), dp.l1_distance(T=int))
    return space >> dp.m.then_laplace(scale=scale)


def add_noise(values: Sequence[int], epsilon: float) -> tuple[list[int], float]:
    """`values` with discrete Laplace noise for `epsilon` at SENSITIVITY; and the scale."""
    scale = noise_scale(epsilon)
    meas = measurement(scale, len(values))
    spent = float(meas.map(d_in=SENSITIVITY))
    if spent > epsilon * (1 + 1e-9):  # OpenDP's own accounting must agree with ours
        raise InputError(f"the mechanism spends epsilon {spent}, more than {epsilon}",
                         field="epsilon")
    return [int(v) for v in meas(list(values))], scale


def release(units: Iterable[Unit], dimension: str, epsilon: float) -> Release:
    """The noisy counts and rates of `dimension`, epsilon-DP over borrowers."""
    exact = true_counts(units, dimension)
    flat = [v for r in exact for v in (r.borrowers, r.delinquent, r.complained)]
    noisy, scale = add_noise(flat, epsilon)
    rows = tuple(Row(r.key, *(max(0, v) for v in noisy[3 * i:3 * i + 3]))
                 for i, r in enumerate(exact))
    return Release(dimension, float(epsilon), scale, SENSITIVITY, MECHANISM, rows)
