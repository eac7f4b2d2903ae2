"""Settings, read only when asked for (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from faircollect.errors import ConfigError, StoreUnavailable


@dataclass(frozen=True, slots=True)
class Secret:
    """A value that never shows itself in a repr, a log line or a traceback."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


def mask_url(url: str) -> str:
    """A database URL with its password hidden, for messages."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1) if "://" in url else ("", url)
    if not scheme:  # not a URL at all: show nothing that might be a password
        return "***@" + rest.rsplit("@", 1)[1]
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"


@dataclass(frozen=True, slots=True)
class Settings:
    """Where FairCollect keeps its data and how it reaches its store and channels."""

    home: Path
    database_url: Secret
    channel: str | None = None
    # Key custody: "local" (the keyring file in home) or "pkcs11" (master keys in a token).
    key_provider: str = "local"
    pkcs11_module: str | None = None
    pkcs11_token: str | None = None
    pkcs11_pin: Secret | None = None
    # Where people reach the web faces: the base of the links put into messages (a contact
    # person's one-time link). FAIRCOLLECT_PUBLIC_URL; the local `faircollect serve` default.
    public_url: str = "http://127.0.0.1:8000"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.value.startswith("sqlite")


def load_settings(env: Mapping[str, str] | None = None, *, db: str | None = None) -> Settings:
    """Read settings from the environment; `db` (the --db option) wins over the variable."""
    env = os.environ if env is None else env
    home = Path(env.get("FAIRCOLLECT_HOME") or "./.faircollect").expanduser()
    url = db or env.get("FAIRCOLLECT_DATABASE_URL") or ""
    if not url:
        url = f"sqlite:///{(home / 'faircollect.db').resolve()}"
    elif url.startswith(("postgres://", "postgresql://")):
        # psycopg 3 is the driver FairCollect ships for PostgreSQL.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        raise StoreUnavailable(
            f"the database URL {mask_url(url)!r} is not a URL: expected sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/DATABASE; fix --db or FAIRCOLLECT_DATABASE_URL",
            field="FAIRCOLLECT_DATABASE_URL",
        )
    provider = (env.get("FAIRCOLLECT_KEY_PROVIDER") or "local").strip().lower()
    if provider not in ("local", "pkcs11"):
        raise ConfigError(f"FAIRCOLLECT_KEY_PROVIDER={provider!r} is not one of local, pkcs11",
                          field="FAIRCOLLECT_KEY_PROVIDER")
    pin = env.get("FAIRCOLLECT_PKCS11_PIN")
    return Settings(home=home, database_url=Secret(url), channel=env.get("FAIRCOLLECT_CHANNEL"),
                    key_provider=provider,
                    pkcs11_module=env.get("FAIRCOLLECT_PKCS11_MODULE") or None,
                    pkcs11_token=env.get("FAIRCOLLECT_PKCS11_TOKEN") or None,
                    pkcs11_pin=Secret(pin) if pin else None,
                    public_url=_public_url(env.get("FAIRCOLLECT_PUBLIC_URL")))


def _public_url(value: str | None) -> str:
    """The base URL of the web faces: http(s)://host[:port][/path], no query or fragment."""
    url = (value or "http://127.0.0.1:8000").strip().rstrip("/")
    scheme, _, rest = url.partition("://")
    if scheme not in ("http", "https") or not rest or any(c in rest for c in "?#@ {}"):
        raise ConfigError("FAIRCOLLECT_PUBLIC_URL: expected http(s)://host[:port][/path] "
                          "without query, fragment or credentials",
                          field="FAIRCOLLECT_PUBLIC_URL")
    return url
