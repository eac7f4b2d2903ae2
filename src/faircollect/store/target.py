"""Where a database URL points, and why it cannot be used, in one line a person can act on.

Every failure to reach the configured store (a URL that does not parse, a backend or driver
FairCollect does not run on, a server that refuses, a missing database or role, an SQLite
file that cannot be opened) becomes a `StoreUnavailable` naming the host, port, database
and role, or the file, and how to fix it. Messages never carry the password: they are built
from the parsed URL's other parts, and anything the driver said is scrubbed of it too.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from faircollect.errors import StoreUnavailable

BACKENDS = ("sqlite", "postgresql")
EXAMPLES = "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DATABASE"
WHERE = "--db or FAIRCOLLECT_DATABASE_URL"
DEFAULT_PG_PORT = 5432


@dataclass(frozen=True, slots=True)
class Target:
    """The parts of a database URL a message may show (never the password)."""

    backend: str
    driver: str
    host: str | None = None
    port: int | None = None
    database: str | None = None
    role: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    @property
    def path(self) -> Path | None:
        """The SQLite file (None for an in-memory database)."""
        if not self.is_sqlite or self.database in (None, "", ":memory:"):
            return None
        return Path(self.database).expanduser().resolve()

    @property
    def where(self) -> str:
        """`host:port` of a server, or the SQLite file."""
        if self.is_sqlite:
            return f"SQLite file {self.path}" if self.path else "in-memory SQLite"
        host = self.host or "the local socket"
        if host.startswith("/"):
            host = f"the socket in {host}"
        return f"{host}:{self.port}" if ":" not in host else f"[{host}]:{self.port}"

    def describe(self) -> str:
        """`PostgreSQL at HOST:PORT (database D, role R)`, or `SQLite file PATH`."""
        if self.is_sqlite:
            return self.where
        return f"PostgreSQL at {self.where} (database {self.database}, role {self.role})"

    def fields(self) -> dict[str, object]:
        """Structured fields for the error (what the API returns beside the message)."""
        if self.is_sqlite:
            return {"backend": self.backend, "path": str(self.path) if self.path else None}
        return {
            "backend": self.backend,
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "role": self.role,
        }

    def scrub(self, text: str) -> str:
        """`text` with the password (if any) replaced, and on one line."""
        if self.password:
            text = text.replace(self.password, "***")
        return " ".join(text.split())

    def error(self, message: str) -> StoreUnavailable:
        return StoreUnavailable(self.scrub(message), **self.fields())


def parse_target(url: str | URL, env: Mapping[str, str] | None = None) -> tuple[URL, Target]:
    """The parsed URL and what it names; libpq's defaults fill what the URL leaves out."""
    env = os.environ if env is None else env
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        why = "its port is not a number" if isinstance(exc, ValueError) else "it does not parse"
        raise StoreUnavailable(
            f"the database URL {_masked(url)} is not a valid URL ({why}): expected "
            f"{EXAMPLES}; fix {WHERE}",
            field="FAIRCOLLECT_DATABASE_URL",
        ) from None
    backend = parsed.get_backend_name()
    driver = parsed.get_driver_name()
    password = parsed.password if isinstance(parsed.password, str) else None
    if backend not in BACKENDS:
        raise StoreUnavailable(
            f"the database URL scheme {parsed.drivername!r} is not supported: FairCollect "
            f"runs on {EXAMPLES}; fix {WHERE}",
            field="FAIRCOLLECT_DATABASE_URL",
        )
    if backend == "sqlite":
        return parsed, Target(backend, driver, database=parsed.database)
    query_host = parsed.query.get("host")
    host = parsed.host or (query_host if isinstance(query_host, str) else None)
    host = host or env.get("PGHOST") or None
    port = parsed.port or _int(env.get("PGPORT")) or DEFAULT_PG_PORT
    role = parsed.username or env.get("PGUSER") or _os_user()
    database = parsed.database or env.get("PGDATABASE") or role
    return parsed, Target(
        backend, driver, host=host, port=port, database=database, role=role, password=password
    )


def driver_missing(target: Target, exc: BaseException) -> StoreUnavailable:
    """The URL names a driver that is not installed or not known to SQLAlchemy."""
    if target.backend == "postgresql" and target.driver == "psycopg":
        fix = "reinstall FairCollect, or pip install 'psycopg[binary]>=3.2'"
    else:
        fix = f"use {EXAMPLES} (psycopg 3 is installed with FairCollect)"
    return target.error(
        f"the database driver {target.driver!r} for {target.backend} is not available "
        f"({_reason(exc)}): {fix}; fix {WHERE}"
    )


def connect_failed(target: Target, exc: BaseException) -> StoreUnavailable:
    """Why connecting to (or opening) the database failed, and what to do."""
    if target.is_sqlite:
        return _sqlite_failed(target, exc)
    text = str(exc)
    low = text.lower()
    what = target.describe()
    if "does not exist" in low and "database" in low:
        return target.error(
            f"{what}: the database {target.database!r} does not exist: create it (createdb -h "
            f"{target.host or 'localhost'} -p {target.port} -U {target.role} {target.database}) "
            f"or name another in {WHERE}"
        )
    if "does not exist" in low and "role" in low:
        return target.error(
            f"{what}: the role {target.role!r} does not exist: create it (createuser -h "
            f"{target.host or 'localhost'} -p {target.port} {target.role}) or name another "
            f"user in {WHERE}"
        )
    if "password authentication failed" in low or "no password supplied" in low:
        return target.error(
            f"{what}: the server refused role {target.role!r} (password authentication "
            f"failed): check the user and password in {WHERE} (or ~/.pgpass)"
        )
    if "no pg_hba.conf entry" in low:
        return target.error(
            f"{what}: the server does not accept role {target.role!r} from this machine (no "
            f"pg_hba.conf entry): ask its administrator, or fix {WHERE}"
        )
    if "connection refused" in low or "no such file or directory" in low:
        return target.error(
            f"cannot connect to {what}: connection refused: start PostgreSQL there, or fix "
            f"the host and port in {WHERE}"
        )
    if "could not translate host name" in low or "name or service not known" in low:
        return target.error(
            f"cannot connect to {what}: the host name {target.host!r} does not resolve: fix "
            f"the host in {WHERE}"
        )
    if "timeout" in low or "timed out" in low:
        return target.error(
            f"cannot connect to {what}: no answer in time: check the host, port and firewall, "
            f"or fix {WHERE}"
        )
    return target.error(f"cannot connect to {what}: {_reason(exc)}; fix {WHERE}")


def _sqlite_failed(target: Target, exc: BaseException) -> StoreUnavailable:
    path = target.path
    low = str(exc).lower()
    if path is None:
        return target.error(f"cannot open in-memory SQLite: {_reason(exc)}")
    if "not a database" in low:
        return target.error(
            f"{target.where} is not an SQLite database (another kind of file, or damaged): "
            f"name a FairCollect database in {WHERE}"
        )
    if "readonly" in low or "read-only" in low:
        return target.error(
            f"{target.where} is read-only to this user: run as its owner, make it and its "
            f"folder writable, or name another file in {WHERE}"
        )
    return target.error(f"{target.where} cannot be opened: {_why_unopenable(path, exc)}")


def _why_unopenable(path: Path, exc: BaseException) -> str:
    """Look at the file system to say what is in the way (SQLite only says 'unable to open')."""
    if path.is_dir():
        return (
            f"it is a folder, not a file: name a file in it, e.g. "
            f"sqlite:///{path / 'faircollect.db'}, in {WHERE}"
        )
    folder = next((p for p in path.parents if p.exists()), None)
    if folder is not None and not folder.is_dir():
        return f"{folder} is a file, not a folder: fix the path in {WHERE}"
    if folder is not None and folder != path.parent:
        return (
            f"the folder {path.parent} does not exist: create it (mkdir -p {path.parent}) "
            f"or fix the path in {WHERE}"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return (
            f"no permission to read and write it: run as its owner or fix its "
            f"permissions (chmod 600 {path}), or name another file in {WHERE}"
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return (
            f"no permission to create files in {path.parent}: run as its owner or fix "
            f"its permissions, or name another file in {WHERE}"
        )
    return f"{_reason(exc)}; fix the path in {WHERE}"


def _reason(exc: BaseException) -> str:
    """The driver's own first line, without SQLAlchemy's wrapping and background link."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    text = re.sub(r"^connection failed:\s*", "", text)
    return text.rstrip(".")


def _masked(url: str | URL) -> str:
    from faircollect.config import mask_url

    return repr(mask_url(url) if isinstance(url, str) else str(url))


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a bare container)
        return "the current user"
