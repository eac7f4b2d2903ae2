"""The consent gate: which borrowers may enter a shared set, and their identifiers.

Only a borrower who is not erased and holds a consent for `industry_data_sharing` that is
valid at the moment the set is built enters it: the same validity reading as everywhere else
(`ConsentLedger.valid_frame`: a grant or renewal, not yet expired, withdrawn or stopped by a
review). No consent on record means out (fail closed). Identifiers are decrypted in bulk under
each borrower's data key and normalised; a value that does not normalise is left out and
counted. The build is audited with its counts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import select

from faircollect.bootstrap import App
from faircollect.consent.ledger import ConsentLedger
from faircollect.errors import InputError
from faircollect.sharing.identifiers import normalise_national_id, normalise_phone

PURPOSE = "industry_data_sharing"
KINDS = ("phone", "nid")
# Jurisdiction codes the store uses that are not ISO 3166 country codes.
_COUNTRY = {"UK": "GB"}


@dataclass(frozen=True)
class GatedSet:
    kind: str
    items: list[str]  # canonical identifiers (personal data: never logged)
    borrowers: int  # borrowers in the store (not erased)
    without_consent: int
    without_value: int  # consented, but no value of this kind, or one that does not normalise

    def __repr__(self) -> str:
        return (f"GatedSet(kind={self.kind!r}, size={len(self.items)}, "
                f"without_consent={self.without_consent})")

    def counts(self) -> dict[str, int | str]:
        return {"kind": self.kind, "size": len(self.items), "borrowers": self.borrowers,
                "without_consent": self.without_consent, "without_value": self.without_value}


def consented_set(app: App, *, kind: str, at: datetime, actor: str) -> GatedSet:
    """The identifiers of `kind` (phone or nid) of every borrower who may be shared at `at`."""
    from faircollect.store.tables.foundation import borrowers

    if kind not in KINDS:
        raise InputError(f"unknown identifier kind {kind!r} (phone or nid)", field="kind")
    if at.tzinfo is None:
        raise InputError("at needs a time zone offset", field="at")
    ledger = ConsentLedger(app.store, app.keys)
    ledger.catalogue.purpose(PURPOSE)  # the catalogue must define it: else ConfigError
    column = borrowers.c.phone_ct if kind == "phone" else borrowers.c.national_id_ct
    with app.store.read() as conn:
        rows = conn.execute(select(borrowers.c.borrower_id, borrowers.c.jurisdiction, column)
                            .where(borrowers.c.erased_at.is_(None))
                            .order_by(borrowers.c.borrower_id)).all()
    ids = [r[0] for r in rows]
    queries = pl.DataFrame({"borrower_id": ids, "purpose": [PURPOSE] * len(ids),
                            "contact_id": [None] * len(ids), "at": [at] * len(ids)},
                           schema={"borrower_id": pl.String, "purpose": pl.String,
                                   "contact_id": pl.String, "at": pl.Datetime("us", "UTC")})
    valid = set(ledger.valid_frame(queries).filter(pl.col("consent_valid"))
                .get_column("borrower_id").to_list()) if ids else set()
    items: list[str] = []
    missing = 0
    with app.store.transaction(actor) as uow:
        ciphers = app.vault.ciphers(uow.conn, [r[0] for r in rows if r[0] in valid])
        for bid, jurisdiction, blob in rows:
            if bid not in valid:
                continue
            cipher = ciphers.get(bid)
            if blob is None or cipher is None:
                missing += 1
                continue
            field = "phone" if kind == "phone" else "national_id"
            raw = app.vault.open(cipher, blob, "borrowers", field, bid)
            region = _COUNTRY.get(jurisdiction, jurisdiction)
            try:
                ident = (normalise_phone(raw, region) if kind == "phone"
                         else normalise_national_id(raw, region))
            except InputError:
                missing += 1
                continue
            items.append(ident.canonical)
        out = GatedSet(kind, list(dict.fromkeys(items)), len(rows), len(rows) - len(valid),
                       missing)
        uow.audit("sharing.set_built", f"sharing:{kind}",
                  {**out.counts(), "purpose": PURPOSE, "at": at.isoformat()})
    return out
