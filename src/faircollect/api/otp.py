"""Borrowers sign in with a one-time code sent through their own verified channel.

`request_code` sends a six-digit code to the borrower's own phone (SMS; never a number the
numbering plan does not list, flagged `phone_unverified` at import) or e-mail on file —
never to a contact person — through the dispatch channel (FAIRCOLLECT_CHANNEL). It answers
nothing about whether the borrower exists or has that channel, so the route cannot be used
to find out who is a borrower. A code lasts 5 minutes, is used once and allows 5 tries; a
borrower gets at most 3 codes in 15 minutes. Codes are kept as HMAC digests under a key
derived from the keyring; the address read is audited (purpose `authentication`).

The code is stored and committed first, then sent outside any transaction, so a slow mail
or SMS gateway never holds the database's write lock; a send that fails deletes the code
again (audited `auth.otp_failed`). The text is in the borrower's locale; a locale with no
text gets no code, never one in another language.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import timedelta
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, func, insert, select, update

from faircollect.api.auth import Principal
from faircollect.bootstrap import App
from faircollect.dispatch.channels import open_channel
from faircollect.dispatch.channels.base import SendError
from faircollect.dispatch.message import Delivery
from faircollect.store.tables.api import api_otp_codes
from faircollect.store.tables.foundation import borrowers

CHANNELS: Final = ("sms", "email")
LIFETIME: Final = timedelta(minutes=5)
MAX_TRIES: Final = 5
MAX_CODES: Final = 3
WINDOW: Final = timedelta(minutes=15)
_FIELD: Final = {"sms": "phone", "email": "email"}
_TEXT: Final = {
    "zh-CN": "您的 FairCollect 登录验证码为 {code}，5 分钟内有效。请勿告诉任何人，我们不会向您索要。",
    "en": "Your FairCollect sign-in code is {code}. It expires in 5 minutes. Never share it: "
          "we will never ask you for it.",
    "id-ID": "Kode masuk FairCollect Anda adalah {code}. Berlaku 5 menit. Jangan berikan kepada "
             "siapa pun: kami tidak akan pernah memintanya.",
}
_t = api_otp_codes
log = logging.getLogger("faircollect.api.otp")


def _key(app: App) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=None,
                info=b"faircollect borrower one-time codes").derive(app.keys.blind_index_key())


def _digest(app: App, code_id: str, code: str) -> str:
    return hmac.new(_key(app), f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


def request_code(app: App, borrower_id: str, channel: str) -> None:
    """Send a code to the borrower's own `channel` address, when they have a verified one
    and have not asked too often; otherwise do nothing (and say nothing)."""
    now = app.store.clock()
    field = _FIELD[channel]
    code = f"{secrets.randbelow(10**6):06d}"
    code_id = "otp-" + uuid.uuid4().hex[:20]
    with app.store.transaction("api:otp") as uow:
        b = borrowers.c
        row = uow.conn.execute(select(b[f"{field}_ct"], b.phone_unverified, b.erased_at,
                                      b.locale).where(b.borrower_id == borrower_id)).first()
        if row is None or row.erased_at is not None or row[0] is None:
            return
        if channel == "sms" and row.phone_unverified:
            return
        recent = uow.conn.execute(select(func.count()).select_from(_t).where(
            _t.c.borrower_id == borrower_id, _t.c.created_at > now - WINDOW)).scalar_one()
        if recent >= MAX_CODES:
            return
        template = _TEXT.get(str(row.locale))
        if template is None:
            return
        address = app.vault.open(app.vault.cipher(uow.conn, borrower_id), row[0], "borrowers",
                                 field, borrower_id)
        uow.conn.execute(insert(_t).values(
            code_id=code_id, borrower_id=borrower_id, channel=channel,
            code_digest=_digest(app, code_id, code), created_at=now, expires_at=now + LIFETIME,
            attempts=0))
        uow.audit("personal_data.read", f"borrowers:{borrower_id}",
                  {"field": field, "purpose": "authentication", "code_id": code_id})
        uow.audit("auth.otp_sent", borrower_id, {"code_id": code_id, "channel": channel})
        delivery = Delivery(message_id=code_id, idempotency_key=f"otp:{code_id}",
                            borrower_id=borrower_id, audience="borrower", contact_id=None,
                            channel=channel, template_id="otp", purpose="authentication",
                            body=template.format(code=code), address=address)
    sender = open_channel(app.settings.channel, home=app.settings.home, clock=app.store.clock)
    try:
        sender.send(delivery)
    except BaseException as exc:
        with app.store.transaction("api:otp") as uow:  # an unsent code must not work
            uow.conn.execute(delete(_t).where(_t.c.code_id == code_id))
            uow.audit("auth.otp_failed", borrower_id, {"code_id": code_id, "channel": channel})
        if not isinstance(exc, SendError):
            raise
        # The route answers as for anyone else: a failure would tell that this borrower
        # exists and has the channel on file.
        log.warning("one-time code %s not sent: %s", code_id, type(exc).__name__)
    finally:
        sender.close()


def verify_code(app: App, borrower_id: str, code: str) -> Principal | None:
    """The borrower's principal when `code` is a live code of theirs (it is used up), else
    None (a wrong try counts against every live code of the borrower)."""
    now = app.store.clock()
    with app.store.engine.begin() as conn:
        live = conn.execute(select(_t.c.code_id, _t.c.code_digest).where(
            _t.c.borrower_id == borrower_id, _t.c.used_at.is_(None), _t.c.expires_at > now,
            _t.c.attempts < MAX_TRIES).with_for_update()).all()
        for r in live:
            if hmac.compare_digest(r.code_digest, _digest(app, r.code_id, code)):
                conn.execute(update(_t).where(_t.c.code_id == r.code_id).values(used_at=now))
                return Principal(f"portal:{borrower_id}", "borrower", borrower_id, ())
        if live:
            conn.execute(update(_t).where(_t.c.code_id.in_([r.code_id for r in live]))
                         .values(attempts=_t.c.attempts + 1))
    return None
