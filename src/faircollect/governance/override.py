"""A lender's rule-pack override: stricter parameters added on top of a shipped pack.

An override only adds rules (the pack loader's rule: tightening is done by adding a stricter
rule), so it can deny more and never less. Its YAML:

    id: acme-cn            # 2-16 lower-case letters, digits or '-'
    pack: CN               # a jurisdiction (its newest pack) or a pack id
    title: Acme's own limits
    rules:                 # rules as in a pack file; ids must be new to the base pack
      - id: ACME-CALLS-DAY
        kind: counted_cap
        ...

The result is the base pack with the extra rules after its own, under the id
`<base id>+<override id>` (so replay and reports see which override decided).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import yaml

from faircollect.errors import ConfigError
from faircollect.policy.pack import Pack, house_rules, parse_pack, resolve_pack

_ID = re.compile(r"^[a-z][a-z0-9-]{1,15}$")


def override_id(text: str, where: str = "override") -> str:
    """The override's id, read from its YAML (ConfigError when missing or malformed)."""
    return str(_doc(text, where)["id"])


def _doc(text: str, where: str) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"override {where}: not valid YAML ({exc.__class__.__name__})",
                          file=where) from None
    if not isinstance(doc, dict) or set(doc) - {"id", "pack", "title", "rules"}:
        raise ConfigError(f"override {where}: a mapping of id, pack, title, rules", file=where)
    if not isinstance(doc.get("id"), str) or not _ID.match(doc["id"]):
        raise ConfigError(f"override {where}: id must be 2-16 lower-case letters, digits or '-'",
                          file=where)
    if not isinstance(doc.get("pack"), str):
        raise ConfigError(f"override {where}: pack (a jurisdiction or pack id) is required",
                          file=where)
    if not isinstance(doc.get("rules"), list) or not doc["rules"]:
        raise ConfigError(f"override {where}: a non-empty list of rules is required",
                          file=where)
    return doc


def base_pack(text: str, where: str = "override") -> Pack:
    """The shipped pack an override tightens."""
    doc = _doc(text, where)
    try:
        return resolve_pack(doc["pack"])
    except Exception as exc:  # an unknown jurisdiction or pack id
        raise ConfigError(f"override {where}: no rule pack {doc['pack']!r}", file=where) from exc


def apply_override(text: str, where: str = "override", base: Pack | None = None) -> Pack:
    """The base pack with the override's rules added (validated as pack rules)."""
    doc = _doc(text, where)
    base = base or base_pack(text, where)
    house_id, _ = house_rules()
    fam, version = base.id.rsplit("-", 1)
    own = parse_pack(yaml.safe_dump({
        "id": f"{fam}-{version}", "jurisdiction": base.jurisdiction, "includes": house_id,
        "rules": doc["rules"]}), where)
    extra = tuple(r for r in own.rules if r.origin != house_id)
    clash = sorted({r.id for r in extra} & {r.id for r in base.rules})
    if clash:
        raise ConfigError(f"override {where}: rules {clash} already exist in {base.id}; an "
                          "override adds new, stricter rules", file=where)
    return replace(base, id=f"{base.id}+{doc['id']}", title=str(doc.get("title") or doc["id"]),
                   rules=base.rules + tuple(replace(r, origin=f"override:{doc['id']}")
                                            for r in extra),
                   source=where)
