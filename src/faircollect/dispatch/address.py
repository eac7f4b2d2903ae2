"""The recipient's address, read from the vault at send time and never stored elsewhere.

One small function so the access guard can take it over later: it decides which field a
channel needs, decrypts it as the dispatch system actor and records the read (purpose
`dispatch`) in the audit log in the same transaction as the claim.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Row, select

from faircollect.errors import NotFound
from faircollect.store.tables.foundation import borrowers, contacts
from faircollect.store.unit_of_work import UnitOfWork
from faircollect.vault.vault import Vault

DISPATCH_PURPOSE: Final = "dispatch"
# The vault field each message channel is sent to; letters and pushes need none here.
_FIELD_BY_CHANNEL: Final = {"sms": "phone", "call": "phone", "email": "email"}


def read_address(uow: UnitOfWork, vault: Vault, message: Row[Any]) -> str | None:
    """Decrypt the address `message` goes to (phone or e-mail) and audit the read.

    Returns None when the channel needs no address or the recipient has none on file.
    """
    field = _FIELD_BY_CHANNEL.get(message.channel)
    if field is None:
        return None
    if message.audience == "borrower":
        table, record_id = borrowers, message.borrower_id
        key = borrowers.c.borrower_id
    else:
        table, record_id = contacts, message.contact_id
        key = contacts.c.contact_id
    column = f"{field}_ct"
    if column not in table.c:
        return None  # contact persons have no e-mail on file
    row = uow.conn.execute(select(table.c[column]).where(key == record_id)).first()
    if row is None:
        raise NotFound(
            f"the message's {message.audience} does not exist", message_id=message.message_id
        )
    blob = row[0]
    if blob is None:
        return None
    cipher = vault.cipher(uow.conn, message.borrower_id)
    value = vault.open(cipher, blob, table.name, field, record_id)
    uow.audit(
        "personal_data.read",
        f"{table.name}:{record_id}",
        {"field": field, "purpose": DISPATCH_PURPOSE, "message_id": message.message_id},
    )
    return value
