"""Delinquency buckets: named bands of days past due, configurable as one value.

A band is (name, upper bound in days, inclusive); the last band has no upper bound. The
default is the usual M-scheme: M0 current (0), M1 1-30, M2 31-60, M3 61-90, M4 91-180 and
WO (write-off) past 180.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from faircollect.errors import InputError


@dataclass(frozen=True, slots=True)
class Buckets:
    """Ordered DPD bands; each (name, inclusive upper bound), the last one open (None)."""

    bands: tuple[tuple[str, int | None], ...]

    def __post_init__(self) -> None:
        if not self.bands:
            raise InputError("buckets: at least one band is needed", field="buckets")
        names = [name for name, _ in self.bands]
        if len(set(names)) != len(names) or not all(names):
            raise InputError("buckets: names must be unique and non-empty", field="buckets")
        if self.bands[-1][1] is not None:
            raise InputError(
                "buckets: the last band must be open (upper bound None)", field="buckets"
            )
        if any(bound is None for _, bound in self.bands[:-1]):
            raise InputError("buckets: only the last band may be open", field="buckets")
        bounds = self.upper_bounds
        if bounds and (
            bounds[0] < 0 or any(b <= a for a, b in zip(bounds, bounds[1:], strict=False))
        ):
            raise InputError(
                "buckets: upper bounds must be non-negative and increasing", field="buckets"
            )

    @classmethod
    def of(cls, bands: Iterable[tuple[str, int | None]]) -> Buckets:
        """Build from any iterable of (name, upper bound) pairs, e.g. a list read from config."""
        return cls(tuple((str(name), bound) for name, bound in bands))

    @property
    def names(self) -> tuple[str, ...]:
        """Band names, best first."""
        return tuple(name for name, _ in self.bands)

    @property
    def upper_bounds(self) -> tuple[int, ...]:
        """The inclusive upper bounds of every band but the open last one."""
        return tuple(bound for _, bound in self.bands if bound is not None)

    def bucket_of(self, days_past_due: int) -> str:
        """The name of the band `days_past_due` falls in."""
        if days_past_due < 0:
            raise ValueError("days past due cannot be negative")
        for name, bound in self.bands:
            if bound is None or days_past_due <= bound:
                return name
        raise AssertionError("unreachable: the last band is open")  # pragma: no cover


DEFAULT_BUCKETS: Final = Buckets(
    (("M0", 0), ("M1", 30), ("M2", 60), ("M3", 90), ("M4", 180), ("WO", None))
)
