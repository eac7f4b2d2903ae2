"""The composition root: settings -> store -> keys -> vault -> services.

Nothing here runs at import time; faces call these functions when a command starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from faircollect.config import Settings
from faircollect.store.engine import make_engine
from faircollect.store.migrate import upgrade
from faircollect.store.unit_of_work import Clock, Store, utc_now
from faircollect.vault.keys import KeyProvider, LocalKeyring
from faircollect.vault.vault import Vault


def open_store(settings: Settings, *, migrate: bool = True, clock: Clock = utc_now) -> Store:
    """The configured store, migrated to the newest schema on first use."""
    engine = make_engine(settings)
    if migrate:
        upgrade(engine)
    return Store(engine, clock=clock)


def open_keys(settings: Settings) -> KeyProvider:
    """The key provider: the local keyring in FAIRCOLLECT_HOME (the embedded default)."""
    return LocalKeyring.open(settings.home)


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
    return App(settings=settings, store=open_store(settings, clock=clock), keys=open_keys(settings))
