"""The access policy as data (policy.yaml) and the pure decision over it.

`decide` answers one question: may this role, stating this purpose, see this field of a
person it stands in this relation to, and how (whole or masked)? It knows no database and
no clock, so it is tested exhaustively and cached by the guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from faircollect.errors import ConfigError

Scope = Literal["assigned", "all", "self"]
Relation = Literal["assigned", "self", "other"]
View = Literal["full", "masked"]
ROLES: tuple[str, ...] = (
    "collector", "supervisor", "compliance", "auditor", "admin", "legal", "borrower")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FullAccess(_Frozen):
    fields: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()


class RolePolicy(_Frozen):
    scope: Scope
    purposes: tuple[str, ...]
    masked: tuple[str, ...] = ()
    full: FullAccess = FullAccess()


class AddressBook(_Frozen):
    purposes: tuple[str, ...] = ()


class AccessPolicy(_Frozen):
    """A version of the access policy."""

    version: str = Field(min_length=1)
    fields: tuple[str, ...]
    purposes: dict[str, str]
    address_book: AddressBook
    roles: dict[str, RolePolicy]

    @model_validator(mode="after")
    def _consistent(self) -> AccessPolicy:
        missing = [r for r in ROLES if r not in self.roles]
        if missing:
            raise ValueError(f"roles missing: {', '.join(missing)}")
        for name, role in self.roles.items():
            for f in (*role.masked, *role.full.fields):
                if f not in self.fields:
                    raise ValueError(f"role {name} names unknown field {f}")
            for p in (*role.purposes, *role.full.purposes):
                if p not in self.purposes:
                    raise ValueError(f"role {name} names unknown purpose {p}")
        return self


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer for one (role, field, purpose, relation): a view, or a reason to deny."""

    view: View | None
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.view is not None


def decide(
    policy: AccessPolicy, role: str, field: str, purpose: str, relation: Relation, *,
    want_full: bool,
) -> Verdict:
    """Whether `role` stating `purpose` may see `field` of a person it is `relation` to.

    Fails closed: an unknown role, field or purpose, a person outside the role's scope, or a
    purpose the role may not state is a denial with a reason (ids only, never values).
    """
    rp = policy.roles.get(role)
    if rp is None:
        return Verdict(None, f"unknown role {role!r}")
    if purpose not in policy.purposes:
        return Verdict(None, f"unknown purpose of access {purpose!r}")
    if purpose not in rp.purposes:
        return Verdict(None, f"role {role} may not access personal data for {purpose}")
    if field not in policy.fields:
        return Verdict(None, f"unknown field {field!r}")
    in_scope = (
        rp.scope == "all"
        or (rp.scope == "assigned" and relation == "assigned")
        or (rp.scope == "self" and relation == "self")
    )
    if not in_scope:
        what = "a case not assigned to them" if rp.scope == "assigned" else "another person"
        return Verdict(None, f"role {role} may not read data of {what}")
    if want_full:
        if field in rp.full.fields and purpose in rp.full.purposes:
            return Verdict("full")
        return Verdict(None, f"role {role} may not see {field} unmasked for {purpose}")
    if field in rp.masked or (field in rp.full.fields and purpose in rp.full.purposes):
        return Verdict("masked")
    return Verdict(None, f"role {role} may not see {field}")


def parse_policy(text: str, source: str = "policy.yaml") -> AccessPolicy:
    """An access policy from YAML; ConfigError naming the source and the problem."""
    try:
        return AccessPolicy.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML", file=source) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top)"
        raise ConfigError(f"{source}: {where}: {first['msg']}", file=source) from exc


@lru_cache(maxsize=8)
def load_policy(path: Path | None = None) -> AccessPolicy:
    """The policy shipped with FairCollect, or the one at `path`."""
    if path is None:
        text = resources.files("faircollect.access").joinpath("policy.yaml").read_text("utf-8")
        return parse_policy(text)
    try:
        return parse_policy(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise ConfigError(f"cannot read access policy {path}", file=str(path)) from exc
