"""Staff sign-in accounts: a password (scrypt) and a second factor (TOTP, RFC 6238 via pyotp).

An account is a username and a role of the access policy; it carries no personal data. The
TOTP secret is shown once when the account is made (as an otpauth:// URI for an
authenticator app) and kept sealed. A code is accepted within one 30-second step either
side, and a code once used is refused for the rest of its window (no replay). Every sign-in,
success or failure, is audited with the username and never the password or code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import pyotp
from sqlalchemy import insert, select, update

from faircollect.access.policy import ROLES
from faircollect.bootstrap import App
from faircollect.errors import Conflict, InputError
from faircollect.store.tables.web import web_staff
from faircollect.vault.envelope import open_sealed, seal
from faircollect.web.services.keys import totp_cipher

STAFF_ROLES: Final = tuple(r for r in ROLES if r != "borrower")
MAX_FAILURES: Final = 5  # wrong passwords or codes in a row before the account locks
LOCKOUT: Final = timedelta(minutes=15)
_N, _R, _P = 2**14, 8, 1
ISSUER: Final = "FairCollect"


@dataclass(frozen=True, slots=True)
class StaffAccount:
    username: str
    role: str
    totp_uri: str = ""  # only when just made


def _hash(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    enc = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${enc(salt).decode()}${enc(digest).decode()}"


def _check(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def _context(username: str) -> bytes:
    return f"web_staff.totp_secret:{username}".encode()


def add_staff(app: App, *, actor: str, username: str, role: str, password: str,
              demo: bool = False) -> StaffAccount:
    """Make a staff account; returns it with the TOTP provisioning URI (shown once)."""
    if not username or len(username) > 64 or not username.replace("-", "").replace(
            "_", "").replace(".", "").isalnum():
        raise InputError("username: 1-64 letters, digits, '-', '_' or '.'", field="username")
    if role not in STAFF_ROLES:
        raise InputError(f"role: must be one of {', '.join(STAFF_ROLES)}", field="role")
    if len(password) < 12:
        raise InputError("password: at least 12 characters", field="password")
    secret = pyotp.random_base32()
    now = app.store.clock()
    with app.store.transaction(actor) as uow:
        held = uow.conn.execute(select(web_staff.c.username).where(
            web_staff.c.username == username)).first()
        if held is not None:
            raise Conflict("a staff account with this username exists", username=username)
        uow.conn.execute(insert(web_staff).values(
            username=username, role=role, password_hash=_hash(password),
            totp_secret_ct=seal(totp_cipher(app), secret, _context(username)), demo=demo,
            created_at=now))
        uow.audit("web.staff_added", f"staff:{username}", {"role": role, "demo": demo})
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    return StaffAccount(username, role, uri)


def _secret(app: App, username: str, stored: bytes) -> str:
    return open_sealed(totp_cipher(app), stored, _context(username))


def current_code(app: App, username: str, at: datetime | None = None) -> str:
    """The TOTP code of a *demo* account now (for `faircollect web demo-code`); a real
    account's secret never leaves the store."""
    with app.store.read() as conn:
        row = conn.execute(select(web_staff.c.totp_secret_ct, web_staff.c.demo).where(
            web_staff.c.username == username)).first()
    if row is None or not row.demo:
        raise InputError("only a demo account's code can be shown", field="username")
    return pyotp.TOTP(_secret(app, username, row.totp_secret_ct)).at(at or app.store.clock())


def sign_in(app: App, username: str, password: str, code: str) -> StaffAccount | None:
    """The account when password and TOTP code are right (audited either way), else None."""
    now = app.store.clock()
    with app.store.read() as conn:
        row = conn.execute(select(web_staff).where(web_staff.c.username == username)).first()
    used: int | None = None
    counter = int(now.timestamp()) // 30
    locked = row is not None and row.locked_until is not None and row.locked_until > now
    if locked:
        pass  # no check at all while locked: guessing gains nothing
    elif row is not None and row.disabled_at is None and _check(password, row.password_hash):
        totp = pyotp.TOTP(_secret(app, username, row.totp_secret_ct))
        for step in (-1, 0, 1):
            c = counter + step
            if hmac.compare_digest(totp.generate_otp(c), code.strip()):
                used = c
                break
    elif row is None:
        _hash(password)  # the same work as for a known account: no timing tell
    # An unknown username may be anything typed (an e-mail, a name): never recorded.
    subject = f"staff:{username}" if row is not None else "staff:unknown"
    ok = False
    with app.store.transaction("web:signin") as uow:
        if used is not None:  # claim the step; a replayed (or older) code claims nothing
            ok = bool(uow.conn.execute(update(web_staff).where(
                web_staff.c.username == username,
                web_staff.c.totp_last_step < used).values(
                    totp_last_step=used, failures=0, locked_until=None)).rowcount)
        if row is not None and not ok and not locked:
            failures = int(row.failures) + 1
            lock = now + LOCKOUT if failures >= MAX_FAILURES else None
            uow.conn.execute(update(web_staff).where(web_staff.c.username == username).values(
                failures=0 if lock else failures, locked_until=lock))
            if lock is not None:
                uow.audit("web.staff_locked", subject, {"until": lock.isoformat()})
        uow.audit("web.staff_signin" if ok else "web.staff_signin_failed", subject,
                  {"locked": True} if locked else {})
    return StaffAccount(username, str(row.role)) if ok and row is not None else None
