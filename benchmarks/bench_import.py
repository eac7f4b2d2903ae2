"""Portfolio import throughput on SQLite, beside the raw AES-GCM limit of the same work.

Figures: borrowers per second importing borrowers.csv alone (parse, validate, normalise
phones, blind-index, encrypt four fields under a fresh wrapped data key, insert, audit),
and borrowers per second for a whole portfolio folder (contacts, consents, loans with their
schedules, payments). The limit is a bare loop doing only the cryptography of each borrower
(one key wrap and four field seals) with `cryptography`'s AES-GCM.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from faircollect.bootstrap import build_app
from faircollect.config import Secret, Settings
from faircollect.portfolio.generator import generate_portfolio
from faircollect.portfolio.importer import import_portfolio

TARGET = 10_000.0


def _raw_crypto(n: int) -> float:
    master = AESGCM(AESGCM.generate_key(bit_length=256))
    values = [b"Jane Doe", b"110101199003071234", b"+8613812345699", b"user@example.com"]
    started = time.perf_counter()
    for i in range(n):
        key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        master.encrypt(nonce, key, b"data-key:%d" % i)
        cipher = AESGCM(key)
        for v in values:
            nonce = os.urandom(12)
            cipher.encrypt(nonce, v, b"borrowers.x:%d" % i)
    return n / (time.perf_counter() - started)


def _import_rate(folder: Path, borrowers: int) -> float:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), database_url=Secret(f"sqlite:///{home}/fc.db"))
        app = build_app(settings)
        started = time.perf_counter()
        import_portfolio(app, folder)
        seconds = time.perf_counter() - started
        app.store.dispose()
    return borrowers / seconds


def run(quick: bool = False) -> list[dict[str, object]]:
    n = 2_000 if quick else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "full"
        generate_portfolio(full, borrowers=n, seed=11, as_of=date(2026, 11, 28))
        only = Path(tmp) / "borrowers-only"
        only.mkdir()
        shutil.copy(full / "borrowers.csv", only / "borrowers.csv")
        limit = _raw_crypto(n)
        borrowers_rate = _import_rate(only, n)
        full_rate = _import_rate(full, n)
    return [
        {
            "figure": f"import borrowers.csv, {n:,} borrowers, encrypted (SQLite)",
            "ours": borrowers_rate,
            "unit": "borrowers/s",
            "peer": "raw AES-GCM wrap + 4 seals per borrower",
            "peer_value": limit,
            "ratio": borrowers_rate / limit,
            "target": f">= {TARGET:,.0f}/s",
            "met": borrowers_rate >= TARGET,
        },
        {
            "figure": f"import whole portfolio, {n:,} borrowers (+contacts, consents, loans, payments)",
            "ours": full_rate,
            "unit": "borrowers/s",
            "peer": "raw AES-GCM wrap + 4 seals per borrower",
            "peer_value": limit,
            "ratio": full_rate / limit,
            "target": None,
            "met": None,
        },
    ]


if __name__ == "__main__":
    for row in run(quick=bool(os.environ.get("QUICK"))):
        print(row)
