"""Staff bearer tokens: OAuth2 client credentials (RFC 6749 §4.4), refresh with rotation
(§6), revocation (RFC 7009).

A staff member's or a system's API key is its client credentials: `client_id` is the key's
id, `client_secret` the key. A grant answers a short-lived access token (default 15
minutes, FAIRCOLLECT_API_TOKEN_TTL seconds) carrying the key's actor, role, borrower and the
scopes asked for (a subset of the key's), and a refresh token (default 8 hours,
FAIRCOLLECT_API_REFRESH_TTL). A refresh token is used once: it answers a new pair and is
revoked; presenting it again revokes the whole family, since only a thief replays one.
Revoking a token revokes its family; revoking the API key (`api-key revoke`) ends every
token issued under it. Tokens are kept as SHA-256 digests only.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select, update

from faircollect.api.auth import Principal, Unauthenticated, client_principal, key_is_live
from faircollect.errors import ConfigError, InputError
from faircollect.store.tables.api import api_tokens
from faircollect.store.unit_of_work import Store

ACCESS_PREFIX = "fct_"
REFRESH_PREFIX = "fcr_"
DEFAULT_ACCESS_TTL = 900
DEFAULT_REFRESH_TTL = 8 * 3600
_t = api_tokens
# Tokens a borrower got with a one-time code are not issued under an API key.
OTP_CLIENT = "otp"


class OAuthError(InputError):
    """An RFC 6749 error (HTTP 400): `error` names it, as the RFC asks."""

    http_status = 400

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message, error=error)
        self.code = error


class InvalidClient(Unauthenticated):
    """Client authentication failed (HTTP 401, RFC 6749 `invalid_client`)."""

    code = "invalid_client"

    def __init__(self, message: str) -> None:
        super().__init__(message, error="invalid_client")


def _ttl(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigError(f"{name} must be a positive number of seconds", field=name)
    return int(raw)


def lifetimes(env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """(access, refresh) token lifetimes in seconds."""
    source = os.environ if env is None else env
    return (_ttl(source, "FAIRCOLLECT_API_TOKEN_TTL", DEFAULT_ACCESS_TTL),
            _ttl(source, "FAIRCOLLECT_API_REFRESH_TTL", DEFAULT_REFRESH_TTL))


@dataclass(frozen=True, slots=True)
class Grant:
    access_token: str
    refresh_token: str
    expires_in: int
    scope: str

    def to_dict(self) -> dict[str, object]:
        return {"access_token": self.access_token, "token_type": "Bearer",
                "expires_in": self.expires_in, "refresh_token": self.refresh_token,
                "scope": self.scope}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _scopes(asked: str | None, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if asked is None or not asked.strip():
        return allowed
    wanted = tuple(sorted(set(asked.split())))
    extra = [s for s in wanted if s not in allowed]
    if extra:
        raise OAuthError("invalid_scope", f"this client may not have the scope {extra[0]!r}")
    return wanted


def _issue(store: Store, who: Principal, key_id: str, scopes: tuple[str, ...],
           family: str) -> Grant:
    now = store.clock()
    access_ttl, refresh_ttl = lifetimes()
    access = ACCESS_PREFIX + secrets.token_urlsafe(32)
    refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
    common = {"family": family, "client_key_id": key_id, "actor_id": who.actor_id,
              "role": who.role, "borrower_id": who.borrower_id, "scopes": " ".join(scopes),
              "issued_at": now}
    with store.engine.begin() as conn:
        conn.execute(delete(_t).where(_t.c.expires_at < now - timedelta(days=1)))
        conn.execute(insert(_t), [
            {**common, "token_digest": _digest(access), "kind": "access",
             "expires_at": now + timedelta(seconds=access_ttl)},
            {**common, "token_digest": _digest(refresh), "kind": "refresh",
             "expires_at": now + timedelta(seconds=refresh_ttl)},
        ])
    return Grant(access, refresh, access_ttl, " ".join(scopes))


def client_credentials(store: Store, home: Path, client_id: str, client_secret: str,
                       scope: str | None) -> Grant:
    """A new token pair for a client authenticated by its API key."""
    try:
        who = client_principal(home, client_id, client_secret)
    except Unauthenticated:
        raise InvalidClient("unknown client, wrong secret or an expired key") from None
    scopes = _scopes(scope, who.scopes)
    return _issue(store, who, client_id, scopes, uuid.uuid4().hex)


def otp_grant(store: Store, who: Principal | None) -> Grant:
    """A borrower's token pair after a one-time code checked out (`who`), else invalid_grant."""
    if who is None:
        raise OAuthError("invalid_grant", "wrong, used or expired code")
    return _issue(store, who, OTP_CLIENT, (), uuid.uuid4().hex)


def refresh(store: Store, home: Path, refresh_token: str, scope: str | None) -> Grant:
    """Rotate a refresh token into a new pair; a reused one revokes its family."""
    now = store.clock()
    with store.engine.begin() as conn:
        row = conn.execute(select(_t).where(_t.c.token_digest == _digest(refresh_token),
                                            _t.c.kind == "refresh").with_for_update()).first()
        if row is None or row.expires_at <= now:
            raise OAuthError("invalid_grant", "unknown or expired refresh token")
        if row.revoked_at is not None:
            conn.execute(update(_t).where(_t.c.family == row.family,
                                          _t.c.revoked_at.is_(None)).values(revoked_at=now))
            # Committed: the family stays revoked although this call fails.
            reused = True
        else:
            reused = False
            conn.execute(update(_t).where(_t.c.token_digest == row.token_digest)
                         .values(revoked_at=now))
    if reused:
        raise OAuthError("invalid_grant", "this refresh token was already used; every token "
                         "of its grant is now revoked")
    if row.client_key_id != OTP_CLIENT and not key_is_live(home, row.client_key_id):
        raise OAuthError("invalid_grant", "the API key behind this token was revoked")
    who = Principal(row.actor_id, row.role, row.borrower_id, tuple(row.scopes.split()))
    return _issue(store, who, row.client_key_id, _scopes(scope, who.scopes), row.family)


def revoke(store: Store, token: str) -> None:
    """Revoke a token and its family (RFC 7009: unknown tokens are not an error)."""
    now = store.clock()
    with store.engine.begin() as conn:
        family = conn.execute(select(_t.c.family).where(
            _t.c.token_digest == _digest(token))).scalar()
        if family is not None:
            conn.execute(update(_t).where(_t.c.family == family, _t.c.revoked_at.is_(None))
                         .values(revoked_at=now))


def token_principal(store: Store, home: Path, token: str,
                    now: datetime | None = None) -> Principal:
    """The principal an access token carries; Unauthenticated when unknown, expired,
    revoked, or its API key was revoked."""
    moment = now or store.clock()
    with store.read() as conn:
        row = conn.execute(select(_t).where(_t.c.token_digest == _digest(token),
                                            _t.c.kind == "access")).first()
    if row is None or row.revoked_at is not None or row.expires_at <= moment:
        raise Unauthenticated("unknown, expired or revoked access token")
    if row.client_key_id != OTP_CLIENT and not key_is_live(home, row.client_key_id):
        raise Unauthenticated("the API key behind this token was revoked")
    return Principal(row.actor_id, row.role, row.borrower_id, tuple(row.scopes.split()))
