"""API keys: who is calling, in which role (and, for a borrower, whose data they may touch).

Keys are random bearer tokens shown once when issued; only their SHA-256 is kept, in
`api-keys.json` in FAIRCOLLECT_HOME (readable by its owner only). A production deployment
puts the API behind the lender's identity provider and maps its claims to the same
principal; the routes only ever see a `Principal`.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from faircollect.access.policy import ROLES
from faircollect.errors import AccessDenied, InputError

KEYS_FILE = "api-keys.json"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: an actor id, its role, and the borrower it is when the role is borrower."""

    actor_id: str
    role: str
    borrower_id: str | None = None

    def may_act_for(self, borrower_id: str) -> bool:
        return self.role != "borrower" or self.borrower_id == borrower_id


class Unauthenticated(AccessDenied):
    http_status = 401
    code = "unauthenticated"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _load(home: Path) -> dict[str, dict[str, str | None]]:
    path = home / KEYS_FILE
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def issue_key(home: Path, *, actor_id: str, role: str, borrower_id: str | None = None) -> str:
    """Create an API key for an actor and role; returns the key (shown once, never stored)."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r} (known: {', '.join(ROLES)})", field="role")
    if (role == "borrower") != (borrower_id is not None):
        raise InputError(
            "a borrower key needs --borrower, and only a borrower key takes one", field="borrower"
        )
    key = "fc_" + secrets.token_urlsafe(32)
    keys = _load(home)
    keys[_digest(key)] = {"actor_id": actor_id, "role": role, "borrower_id": borrower_id}
    from faircollect.private import ensure_private_dir

    ensure_private_dir(home, "FAIRCOLLECT_HOME")
    tmp = home / (KEYS_FILE + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(keys, fh)
    os.replace(tmp, home / KEYS_FILE)
    return key


def authenticate(home: Path, authorization: str | None) -> Principal:
    """The principal behind an `Authorization: Bearer KEY` header, or Unauthenticated."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthenticated("send an API key as 'Authorization: Bearer KEY'")
    entry = _load(home).get(_digest(authorization.removeprefix("Bearer ").strip()))
    if entry is None:
        raise Unauthenticated("unknown API key")
    return Principal(str(entry["actor_id"]), str(entry["role"]), entry.get("borrower_id"))
