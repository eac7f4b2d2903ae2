"""The feature catalogue (features.yaml) and consent gating.

Every characteristic a model trains or scores on must be declared with its data categories,
its source and the consent purpose it needs. Gating is per borrower: a characteristic whose
purpose the borrower has not (or no longer) consented to is set to null for that borrower,
which the scorecard scores as neutral (WOE 0) and never gives as a reason. A characteristic
from a harvested address book is refused outright (an error, whatever consents exist): such
data is third parties' personal data collected without their knowledge (PIPL Art. 13, 14;
the CBIRC/PBoC rules against using address books in collection). An undeclared
characteristic is refused too: nothing is used whose purpose nobody wrote down.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from faircollect.errors import ConfigError, InputError

SOURCES = ("application", "bureau", "ledger", "contact_persons", "address_book")
REFUSED_SOURCES = ("address_book",)


@dataclass(frozen=True, slots=True)
class Feature:
    """One declared characteristic."""

    name: str
    source: str
    purpose: str | None
    data_categories: tuple[str, ...]
    label_en: str
    label_zh: str
    protected: bool = False
    prohibited: bool = False


@dataclass(frozen=True)
class FeatureCatalogue:
    """A version of the feature catalogue."""

    version: str
    features: Mapping[str, Feature]

    def labels(self) -> dict[str, dict[str, str]]:
        return {f.name: {"en": f.label_en, "zh-CN": f.label_zh} for f in self.features.values()}

    def check(self, names: Iterable[str]) -> list[Feature]:
        """The declarations of `names`; InputError for a harvested or undeclared one."""
        out = []
        for name in names:
            feat = self.features.get(name)
            if feat is None:
                raise InputError(f"feature {name!r} is not in the feature catalogue "
                                 f"(version {self.version}): declare its data categories, "
                                 "source and consent purpose before any model uses it",
                                 field="features", feature=name)
            if feat.prohibited:
                raise InputError(f"feature {name!r} is a prohibited basis for credit decisions "
                                 "(sex, marital status, national origin); it is kept only to "
                                 "measure fairness", field="features", feature=name)
            if feat.source in REFUSED_SOURCES:
                raise InputError(f"feature {name!r} comes from a harvested address book; "
                                 "address-book data is never used for credit or collection "
                                 "decisions, whatever consent exists", field="features",
                                 feature=name)
            out.append(feat)
        return out


def _parse(raw: Any, where: str) -> FeatureCatalogue:
    if not isinstance(raw, dict) or not isinstance(raw.get("features"), list):
        raise ConfigError(f"{where}: needs a version and a list of features", file=where)
    from faircollect.consent.catalogue import load_catalogue

    purposes = {p.id for p in load_catalogue().purposes}
    feats: dict[str, Feature] = {}
    for i, f in enumerate(raw["features"]):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            raise ConfigError(f"{where}: feature {i + 1} needs a name", file=where)
        name = f["name"]
        if name in feats:
            raise ConfigError(f"{where}: feature {name} is listed twice", file=where)
        source = f.get("source")
        if source not in SOURCES:
            raise ConfigError(f"{where}: feature {name}: source must be one of {list(SOURCES)}",
                              file=where)
        purpose = f.get("purpose")
        if purpose is not None and purpose not in purposes:
            raise ConfigError(f"{where}: feature {name}: purpose {purpose!r} is not in the "
                              "consent catalogue", file=where)
        if source == "contact_persons" and purpose != "use_contacts_for_credit_assessment":
            raise ConfigError(f"{where}: feature {name} is about contact persons and must "
                              "need use_contacts_for_credit_assessment", file=where)
        cats = f.get("data_categories")
        if not isinstance(cats, list) or not cats:
            raise ConfigError(f"{where}: feature {name} needs data_categories", file=where)
        feats[name] = Feature(name, source, purpose, tuple(str(c) for c in cats),
                              str(f.get("en") or name), str(f.get("zh-CN") or f.get("en") or name),
                              bool(f.get("protected", False)), bool(f.get("prohibited", False)))
    return FeatureCatalogue(str(raw.get("version", "")), feats)


@lru_cache(maxsize=4)
def _shipped() -> FeatureCatalogue:
    text = resources.files("faircollect.risk").joinpath("features.yaml").read_text("utf-8")
    return _parse(yaml.safe_load(text), "features.yaml")


def load_features(path: Path | None = None) -> FeatureCatalogue:
    """The shipped catalogue, or the one at `path`."""
    if path is None:
        return _shipped()
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path.name}: cannot read the feature catalogue "
                          f"({type(exc).__name__})", file=path.name) from None
    return _parse(raw, path.name)


@dataclass(frozen=True)
class Gated:
    """Data with unconsented values nulled, and how many borrowers lost each feature."""

    data: pl.DataFrame
    dropped: dict[str, int]


def gate(data: pl.DataFrame, catalogue: FeatureCatalogue, features: list[str],
         consents: pl.DataFrame | None, *, id_column: str = "borrower_id") -> Gated:
    """Null each borrower's features whose consent purpose that borrower lacks.

    `consents` has columns (borrower_id, purpose): the purposes each borrower has an active
    consent for at the time of use. With features that need consent the data must carry
    `id_column`. Without `consents` nobody has consented to anything.
    """
    decl = catalogue.check(features)
    needing = [f for f in decl if f.purpose is not None]
    if not needing:
        return Gated(data, {})
    if id_column not in data.columns:
        raise InputError(f"features {[f.name for f in needing]} need consent: the data must "
                         f"carry a {id_column} column to check it", field=id_column)
    grants = (consents if consents is not None else
              pl.DataFrame(schema={"borrower_id": pl.String, "purpose": pl.String}))
    out = data
    dropped: dict[str, int] = {}
    for f in needing:
        ok = grants.filter(pl.col("purpose") == f.purpose)["borrower_id"].cast(pl.String)
        has = pl.col(id_column).cast(pl.String).is_in(ok.implode())
        dropped[f.name] = int(out.select((~has).sum()).item())
        out = out.with_columns(pl.when(has).then(pl.col(f.name)).otherwise(None)
                               .alias(f.name))
    return Gated(out, dropped)
