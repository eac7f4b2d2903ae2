"""The retention policy as data (retention.yaml): a period per record kind and jurisdiction."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from faircollect.errors import ConfigError


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Frozen):
    years: int = Field(ge=0)
    citation: str = Field(min_length=1)


class Kind(_Frozen):
    description: str
    periods: dict[str, Period]


class RetentionPolicy(_Frozen):
    """A version of the retention policy."""

    version: str
    kinds: dict[str, Kind]

    def period(self, kind: str, jurisdiction: str) -> Period:
        """The period for a kind of record in a jurisdiction; ConfigError when none is set."""
        k = self.kinds.get(kind)
        if k is None or jurisdiction not in k.periods:
            raise ConfigError(f"no retention period for {kind} in {jurisdiction}",
                              field="retention")
        return k.periods[jurisdiction]


def add_years(day: date, years: int) -> date:
    """`day` plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@lru_cache(maxsize=1)
def load_retention() -> RetentionPolicy:
    """The retention policy shipped with FairCollect."""
    text = resources.files("faircollect.retention").joinpath("retention.yaml").read_text("utf-8")
    try:
        return RetentionPolicy.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"retention.yaml is broken: {exc}", file="retention.yaml") from exc
