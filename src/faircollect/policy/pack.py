"""Rule packs: versioned YAML files of rules, each with a kind, parameters and a citation.

Every jurisdiction pack includes the house baseline. A pack can add rules (tightening is done by
adding a stricter rule) but can never redefine, drop or loosen a house rule: the loader refuses
such a pack, and any other broken one, with a ConfigError naming the file and the rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from faircollect.errors import ConfigError, InputError
from faircollect.policy.decision import CATEGORIES
from faircollect.policy.params import PARAMS, AppliesTo, LiableParty
from faircollect.vocabulary import LIABLE_AUDIENCES, LOCALES

_PACK_ID = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)-(?P<version>\d{4}\.\d+)$")
_RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
_RULE_KEYS = {"id", "kind", "category", "citation", "summary", "applies_to", "params"}
_PACK_KEYS = {"id", "jurisdiction", "title", "includes", "locales", "liable_parties", "rules"}


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of a pack: a kind with parameters, a fixed category and its citation."""

    id: str
    kind: str
    category: str
    citation: str
    summary: str
    applies_to: AppliesTo
    params: BaseModel
    origin: str  # the pack id that defined it (the house baseline or the pack itself)


@dataclass(frozen=True, slots=True)
class Pack:
    """A loaded, validated pack: its own rules after the house baseline's."""

    id: str
    jurisdiction: str
    title: str
    rules: tuple[Rule, ...]
    source: str = field(default="", compare=False)
    # The languages the pack's borrowers are written to in (its `locales:` key). Every
    # message a playbook or a case command sends exists in each of them; a borrower whose
    # locale is not among them is sent nothing rather than another language.
    locales: tuple[str, ...] = ()
    # The people liable for the debt besides the borrower whom the pack lets collectors
    # contact (`guarantor`, `co_maker`); none unless the pack names them.
    liable_parties: tuple[str, ...] = ()

    def rule(self, rule_id: str) -> Rule:
        """The rule called `rule_id`; NotFound-style InputError when absent."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise InputError(f"pack {self.id} has no rule {rule_id!r}", field="rule")


def _fail(where: str, reason: str) -> ConfigError:
    return ConfigError(f"rule pack {where}: {reason}", file=where)


def _parse_rule(raw: Any, where: str, origin: str) -> Rule:
    if not isinstance(raw, dict):
        raise _fail(where, "each rule must be a mapping")
    rid = raw.get("id")
    if not isinstance(rid, str) or not _RULE_ID.match(rid):
        raise _fail(where, f"rule id {rid!r} must look like ABC-DEF")
    extra = set(raw) - _RULE_KEYS
    if extra:
        raise _fail(where, f"rule {rid}: unknown keys {sorted(extra)}")
    kind = raw.get("kind")
    if kind not in PARAMS:
        raise _fail(where, f"rule {rid}: unknown kind {kind!r}")
    category = raw.get("category")
    if category not in CATEGORIES:
        raise _fail(where, f"rule {rid}: category {category!r} is not one of {list(CATEGORIES)}")
    citation = raw.get("citation")
    if not isinstance(citation, str) or not citation.strip():
        raise _fail(where, f"rule {rid}: a citation is required")
    try:
        applies_to = AppliesTo.model_validate(raw.get("applies_to") or {})
        params = PARAMS[kind].model_validate(raw.get("params") or {})
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise _fail(where, f"rule {rid}: {loc}: {err['msg']}") from None
    return Rule(
        id=rid,
        kind=kind,
        category=category,
        citation=citation.strip(),
        summary=str(raw.get("summary") or "").strip(),
        applies_to=applies_to,
        params=params,
        origin=origin,
    )


def _read_yaml(text: str, where: str) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _fail(where, f"not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(doc, dict):
        raise _fail(where, "a pack must be a mapping")
    extra = set(doc) - _PACK_KEYS - {"drop", "exclude", "remove"}
    if extra:
        raise _fail(where, f"unknown keys {sorted(extra)}")
    if {"drop", "exclude", "remove"} & set(doc):
        raise _fail(where, "a pack may not drop rules; the house baseline always applies")
    pid = doc.get("id")
    if not isinstance(pid, str) or not _PACK_ID.match(pid):
        raise _fail(where, f"pack id {pid!r} must look like name-YYYY.N (e.g. cn-2026.1)")
    rules = doc.get("rules")
    if not isinstance(rules, list) or not rules:
        raise _fail(where, "a pack needs a non-empty list of rules")
    return doc


def _builtin_text(name: str) -> str:
    return resources.files("faircollect.policy").joinpath("packs", name).read_text("utf-8")


@lru_cache(maxsize=4)
def house_rules() -> tuple[str, tuple[Rule, ...]]:
    """The house baseline's id and rules (the shipped `house.yaml`)."""
    doc = _read_yaml(_builtin_text("house.yaml"), "house.yaml")
    rules = tuple(_parse_rule(r, "house.yaml", doc["id"]) for r in doc["rules"])
    _check_unique(rules, "house.yaml")
    return doc["id"], rules


def _check_unique(rules: tuple[Rule, ...], where: str) -> None:
    seen: set[str] = set()
    for r in rules:
        if r.id in seen:
            raise _fail(where, f"rule id {r.id} appears twice")
        seen.add(r.id)


def parse_pack(text: str, where: str) -> Pack:
    """Validate a pack's YAML text and combine it with the house baseline."""
    doc = _read_yaml(text, where)
    house_id, house = house_rules()
    if doc["id"].startswith("house-"):
        raise _fail(where, "the house baseline is not a jurisdiction pack")
    jurisdiction = doc.get("jurisdiction")
    if not isinstance(jurisdiction, str) or not re.fullmatch(r"[A-Z]{2}", jurisdiction):
        raise _fail(where, f"jurisdiction {jurisdiction!r} must be two capital letters")
    if doc.get("includes") != house_id:
        raise _fail(where, f"a pack must include the house baseline ({house_id!r})")
    own = tuple(_parse_rule(r, where, doc["id"]) for r in doc["rules"])
    house_ids = {r.id for r in house}
    for r in own:
        if r.id in house_ids or r.id.startswith("HOUSE-"):
            raise _fail(where, f"rule {r.id} may not redefine a house rule; add a stricter rule")
    liable = _liable_parties(doc.get("liable_parties", []), where)
    # The house rule on liable parties learns which of them this pack serves (fail closed: a
    # pack that names none never contacts a guarantor or co-maker).
    house = tuple(
        replace(r, params=r.params.model_copy(update={"served": liable}))
        if isinstance(r.params, LiableParty) else r
        for r in house
    )
    rules = house + own
    _check_unique(rules, where)
    return Pack(
        id=doc["id"],
        jurisdiction=jurisdiction,
        title=str(doc.get("title") or doc["id"]),
        rules=rules,
        source=where,
        locales=_locales(doc.get("locales", []), where),
        liable_parties=liable,
    )


def _liable_parties(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(x in LIABLE_AUDIENCES for x in raw):
        raise _fail(where, f"liable_parties must be a list of {list(LIABLE_AUDIENCES)}")
    return tuple(x for x in LIABLE_AUDIENCES if x in raw)


def _locales(raw: Any, where: str) -> tuple[str, ...]:
    """The pack's served locales: a list of distinct known locales (may be empty)."""
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise _fail(where, "locales must be a list of locale names, e.g. [zh-CN]")
    unknown = sorted(set(raw) - set(LOCALES))
    if unknown:
        raise _fail(where, f"locales: unknown {unknown} (known: {', '.join(LOCALES)})")
    from faircollect.content.finding import LOCALES as LINTED  # the linter's lexicons

    unlinted = sorted(set(raw) - set(LINTED))
    if unlinted:
        raise _fail(where, f"locales: no content lexicon for {unlinted} (the linter knows "
                           f"{', '.join(LINTED)}); a pack serves only locales whose messages "
                           "can be linted")
    if len(set(raw)) != len(raw):
        raise _fail(where, "locales: each locale once")
    return tuple(raw)


def load_pack_file(path: Path) -> Pack:
    """Load and validate a pack from a file (a pack under review, or a new version)."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"rule pack {path.name}: cannot read ({exc.strerror})") from None
    return parse_pack(text, path.name)


@lru_cache(maxsize=1)
def builtin_packs() -> tuple[Pack, ...]:
    """Every pack shipped with FairCollect, sorted by id."""
    names = sorted(
        p.name
        for p in resources.files("faircollect.policy").joinpath("packs").iterdir()
        if p.name.endswith(".yaml") and p.name != "house.yaml"
    )
    return tuple(sorted((parse_pack(_builtin_text(n), n) for n in names), key=lambda p: p.id))


def _version_key(pack: Pack) -> tuple[int, int]:
    year, minor = pack.id.rsplit("-", 1)[1].split(".")  # the id was validated on load
    return int(year), int(minor)


def resolve_pack(name: str, extra: tuple[Pack, ...] = ()) -> Pack:
    """The pack a request names: a jurisdiction (its newest pack) or an exact pack id."""
    packs = extra + builtin_packs()
    for p in packs:
        if p.id == name:
            return p
    matching = [p for p in packs if p.jurisdiction == name]
    if matching:
        return max(matching, key=_version_key)
    known = sorted({p.jurisdiction for p in packs} | {p.id for p in packs})
    raise InputError(
        f"field jurisdiction: no rule pack for {name!r} (known: {', '.join(known)})",
        field="jurisdiction",
    )
