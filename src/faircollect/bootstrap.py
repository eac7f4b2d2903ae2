"""The composition root: settings -> store -> keys -> vault -> services.

Nothing here runs at import time; faces call these functions when a command starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faircollect.config import Settings
from faircollect.store.engine import make_engine
from faircollect.store.migrate import upgrade
from faircollect.store.unit_of_work import Clock, Store, utc_now
from faircollect.vault.keys import CreationGuard, KeyProvider, LocalKeyring
from faircollect.vault.vault import Vault


def open_store(settings: Settings, *, migrate: bool = True, clock: Clock = utc_now) -> Store:
    """The configured store, migrated to the newest schema on first use.

    FAIRCOLLECT_HOME (keyring, API keys, reports, the SQLite file) is created 0700.
    """
    from faircollect.private import ensure_private_dir

    ensure_private_dir(settings.home, "FAIRCOLLECT_HOME")
    engine = make_engine(settings)
    if migrate:
        upgrade(engine)
    return Store(engine, clock=clock)


def open_keys(settings: Settings, store: Store | None = None) -> KeyProvider:
    """The key provider: the local keyring in FAIRCOLLECT_HOME (the embedded default).

    A key is created only where nothing depends on one yet: never beside a database that
    already holds data keys or signed records (a lost keyring must be restored, not
    silently replaced). Without a store, this command only reads keys and creates none.

    With FAIRCOLLECT_KEY_PROVIDER=pkcs11 the master keys live in a PKCS#11 token
    (`faircollect.vault.pkcs11`); the blind-index and signing keys stay in the local keyring.
    """
    local = LocalKeyring.open(settings.home, guard=creation_guard(store))
    if settings.key_provider != "pkcs11":
        return local
    from faircollect.errors import ConfigError
    from faircollect.vault.pkcs11 import Pkcs11Provider

    for name, value in (("FAIRCOLLECT_PKCS11_MODULE", settings.pkcs11_module),
                        ("FAIRCOLLECT_PKCS11_TOKEN", settings.pkcs11_token),
                        ("FAIRCOLLECT_PKCS11_PIN", settings.pkcs11_pin)):
        if not value:
            raise ConfigError(f"FAIRCOLLECT_KEY_PROVIDER=pkcs11 needs {name}", field=name)
    assert settings.pkcs11_module and settings.pkcs11_token and settings.pkcs11_pin
    return Pkcs11Provider(settings.pkcs11_module, settings.pkcs11_token, settings.pkcs11_pin,
                          local, guard=creation_guard(store))


def creation_guard(store: Store | None) -> CreationGuard:
    """Why a key may not be created now (data already depends on one), or None."""

    def guard(what: str) -> str | None:
        if store is None:
            return "this command only reads keys"
        from sqlalchemy import func, select

        from faircollect.store.tables.audit import audit_checkpoints
        from faircollect.store.tables.consent import consent_receipts
        from faircollect.store.tables.foundation import data_keys

        def count(table: Any) -> int:
            with store.read() as conn:
                return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

        if what == "keyring":
            # Audit entries alone are hashed, not encrypted or signed: they need no key.
            held = [f"{n:,} {label}" for n, label in (
                (count(data_keys), "data keys"),
                (count(audit_checkpoints), "signed audit checkpoints"),
                (count(consent_receipts), "signed consent receipts")) if n]
            return f"the database already holds {' and '.join(held)}" if held else None
        if what == "signing:audit" and (n := count(audit_checkpoints)):
            return f"the audit log already has {n:,} signed checkpoint(s)"
        if what == "signing:consent" and (n := count(consent_receipts)):
            return f"the database already holds {n:,} signed consent receipt(s)"
        return None

    return guard


@dataclass
class App:
    """Everything a command needs, built once per invocation."""

    settings: Settings
    store: Store
    keys: KeyProvider
    vault: Vault = field(init=False)

    def __post_init__(self) -> None:
        self.vault = Vault(self.keys)


def build_app(settings: Settings, *, clock: Clock = utc_now) -> App:
    """Compose the store, keys and vault for one invocation."""
    store = open_store(settings, clock=clock)
    try:
        keys = open_keys(settings, store)
    except BaseException:
        store.dispose()  # a refused keyring must not leave connections open
        raise
    return App(settings=settings, store=store, keys=keys)
