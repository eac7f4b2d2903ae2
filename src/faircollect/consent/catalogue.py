"""The purposes catalogue: what a borrower can consent to, as versioned data (purposes.yaml).

The catalogue is read when asked for, never at import time. A broken file is a ConfigError
naming the file and the field; an unknown purpose asked for by a caller is an InputError.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from faircollect.errors import ConfigError, InputError


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Purpose(_Frozen):
    """One purpose of processing a borrower may consent to."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    legal_basis: str = Field(min_length=1)
    data_categories: tuple[str, ...] = Field(min_length=1)
    sensitive: bool
    default_days: int = Field(gt=0)
    # The longest a consent may run: a grant or renewal may not name an expiry further away.
    # Defaults to default_days when the catalogue does not say.
    max_days: int | None = Field(default=None, gt=0)
    separate_consent: bool
    needs_contact: bool
    third_party: bool

    @model_validator(mode="after")
    def _max_covers_default(self) -> Purpose:
        if self.max_days is not None and self.max_days < self.default_days:
            raise ValueError("max_days must be at least default_days")
        return self

    @property
    def default_duration(self) -> timedelta:
        return timedelta(days=self.default_days)

    @property
    def max_duration(self) -> timedelta:
        return timedelta(days=self.max_days if self.max_days is not None else self.default_days)


class Controller(_Frozen):
    """The data controller named on every consent receipt."""

    name: str
    contact: str
    address: str
    email: str
    phone: str
    policy_url: str
    jurisdiction: str
    language: str


class Catalogue(_Frozen):
    """A version of the purposes catalogue."""

    version: str = Field(min_length=1)
    controller: Controller
    purposes: tuple[Purpose, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        ids = [p.id for p in self.purposes]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"purposes listed twice: {', '.join(dupes)}")
        return self

    def purpose(self, purpose_id: str) -> Purpose:
        """The purpose called `purpose_id`; InputError (listing the known ones) when unknown."""
        for p in self.purposes:
            if p.id == purpose_id:
                return p
        raise InputError(
            f"unknown consent purpose {purpose_id!r}; known purposes: "
            + ", ".join(p.id for p in self.purposes),
            field="purpose",
        )

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.purposes)


def parse_catalogue(text: str, source: str = "purposes.yaml") -> Catalogue:
    """A catalogue from YAML text; ConfigError naming the source and field when broken."""
    try:
        raw = yaml.safe_load(text)
        return Catalogue.model_validate(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML", file=source) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top)"
        raise ConfigError(f"{source}: {where}: {first['msg']}", file=source, field=where) from exc


@lru_cache(maxsize=8)
def load_catalogue(path: Path | None = None) -> Catalogue:
    """The catalogue shipped with FairCollect, or the one at `path`."""
    if path is None:
        text = resources.files("faircollect.consent").joinpath("purposes.yaml").read_text("utf-8")
        return parse_catalogue(text)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read purposes catalogue {path}", file=str(path)) from exc
    return parse_catalogue(text, str(path))
