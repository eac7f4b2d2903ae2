"""API keys: who is calling, in which role, with which scopes (and, for a borrower, whose data).

Keys are random bearer tokens shown once when issued; only their SHA-256 is kept, in
`api-keys.json` in FAIRCOLLECT_HOME (readable by its owner only; a world-writable file is
refused, since anyone could add a key to it). Each key has a short public id (for `api-key
list` and `revoke`), optional scopes and an optional expiry. A production deployment puts
the API behind the lender's identity provider and maps its claims to the same principal;
the routes only ever see a `Principal`.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from faircollect.access.policy import ROLES
from faircollect.errors import AccessDenied, InputError, KeyUnavailable, NotFound

KEYS_FILE = "api-keys.json"
# decide: POST /v1/policy/decisions; payments: POST /v1/payments.
SCOPES: tuple[str, ...] = ("decide", "payments")


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: an actor id, its role, its scopes, and the borrower it is when a borrower."""

    actor_id: str
    role: str
    borrower_id: str | None = None
    scopes: tuple[str, ...] = ()

    def may_act_for(self, borrower_id: str) -> bool:
        return self.role != "borrower" or self.borrower_id == borrower_id

    def require(self, scope: str, roles: tuple[str, ...] | None = None) -> None:
        """AccessDenied unless the key has `scope` (and, when given, one of `roles`)."""
        if scope not in self.scopes:
            raise AccessDenied(f"this API key lacks the {scope!r} scope", scope=scope)
        if roles is not None and self.role not in roles:
            raise AccessDenied(f"the role {self.role!r} may not do this", role=self.role)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What `api-key list` shows of a key: never its secret or its hash."""

    key_id: str
    actor_id: str
    role: str
    borrower_id: str | None
    scopes: tuple[str, ...]
    created_at: str | None
    expires_at: str | None


class Unauthenticated(AccessDenied):
    http_status = 401
    code = "unauthenticated"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _load(home: Path) -> dict[str, dict[str, Any]]:
    path = home / KEYS_FILE
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    if mode & stat.S_IWOTH:  # a server-side fault: 500 over HTTP, exit 1 on the CLI
        raise KeyUnavailable(
            f"{path} is world-writable, so anyone could add a key; refusing to use it "
            f"(fix with: chmod 600 {path})",
            file=str(path),
        )
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _save(home: Path, keys: dict[str, dict[str, Any]]) -> None:
    from faircollect.private import ensure_private_dir

    ensure_private_dir(home, "FAIRCOLLECT_HOME")
    tmp = home / (KEYS_FILE + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(keys, fh)
    os.replace(tmp, home / KEYS_FILE)


def _key_id(digest: str, entry: dict[str, Any]) -> str:
    # Keys issued before ids existed are named by the first 12 hex digits of their hash.
    return str(entry.get("key_id") or "k-" + digest[:12])


def issue_key(
    home: Path,
    *,
    actor_id: str,
    role: str,
    borrower_id: str | None = None,
    scopes: tuple[str, ...] = (),
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> str:
    """Create an API key for an actor and role; returns the key (shown once, never stored)."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r} (known: {', '.join(ROLES)})", field="role")
    if (role == "borrower") != (borrower_id is not None):
        raise InputError(
            "a borrower key needs --borrower, and only a borrower key takes one", field="borrower"
        )
    for scope in scopes:
        if scope not in SCOPES:
            raise InputError(f"unknown scope {scope!r} (known: {', '.join(SCOPES)})",
                             field="scope")
    now = now or datetime.now(UTC)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise InputError("the expiry needs a UTC offset", field="expires")
        if expires_at <= now:
            raise InputError("the expiry is in the past", field="expires")
    key = "fc_" + secrets.token_urlsafe(32)
    digest = _digest(key)
    keys = _load(home)
    keys[digest] = {
        "key_id": "k-" + secrets.token_hex(6),
        "actor_id": actor_id,
        "role": role,
        "borrower_id": borrower_id,
        "scopes": sorted(set(scopes)),
        "created_at": now.isoformat(),
        "expires_at": expires_at.isoformat() if expires_at else None,
    }
    _save(home, keys)
    return key


def key_id_of(home: Path, key: str) -> str | None:
    """The id `api-key list` and `revoke` use for `key`, or None for an unknown key."""
    digest = _digest(key)
    entry = _load(home).get(digest)
    return None if entry is None else _key_id(digest, entry)


def list_keys(home: Path) -> list[KeyInfo]:
    """Every key's id, actor, role, scopes, creation and expiry, oldest first."""
    out = [
        KeyInfo(_key_id(d, e), str(e["actor_id"]), str(e["role"]), e.get("borrower_id"),
                tuple(e.get("scopes") or ()), e.get("created_at"), e.get("expires_at"))
        for d, e in _load(home).items()
    ]
    return sorted(out, key=lambda k: (k.created_at or "", k.key_id))


def revoke_key(home: Path, key_id: str) -> None:
    """Remove the key with this id; NotFound when there is none."""
    keys = _load(home)
    kept = {d: e for d, e in keys.items() if _key_id(d, e) != key_id}
    if len(kept) == len(keys):
        raise NotFound(f"no API key {key_id!r}", key_id=key_id)
    _save(home, kept)


def authenticate(home: Path, authorization: str | None, now: datetime | None = None) -> Principal:
    """The principal behind an `Authorization: Bearer KEY` header, or Unauthenticated."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthenticated("send an API key as 'Authorization: Bearer KEY'")
    entry = _load(home).get(_digest(authorization.removeprefix("Bearer ").strip()))
    if entry is None:
        raise Unauthenticated("unknown API key")
    expires = entry.get("expires_at")
    if expires and datetime.fromisoformat(expires) <= (now or datetime.now(UTC)):
        raise Unauthenticated("this API key has expired")
    return Principal(str(entry["actor_id"]), str(entry["role"]), entry.get("borrower_id"),
                     tuple(entry.get("scopes") or ()))


def client_principal(home: Path, key_id: str, secret: str,
                     now: datetime | None = None) -> Principal:
    """The principal of an API key presented as OAuth2 client credentials (its id and the
    key itself); Unauthenticated unless both match a live key."""
    entry = _load(home).get(_digest(secret))
    if entry is None or not secrets.compare_digest(_key_id(_digest(secret), entry), key_id):
        raise Unauthenticated("unknown client or wrong secret")
    return authenticate(home, f"Bearer {secret}", now)


def key_is_live(home: Path, key_id: str, now: datetime | None = None) -> bool:
    """Whether the API key with this id exists and has not expired."""
    moment = now or datetime.now(UTC)
    for digest, entry in _load(home).items():
        if _key_id(digest, entry) == key_id:
            expires = entry.get("expires_at")
            return not (expires and datetime.fromisoformat(expires) <= moment)
    return False
