"""`faircollect doctor`: read-only checks of a FairCollect installation, one result per check.

Nothing here creates or changes anything: an SQLite database is opened read-only and only
when it exists; the keyring is opened with a guard that refuses to create any key; channels
are checked by syntax only, never contacted.
"""

from __future__ import annotations

import ipaddress
import os
import stat
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from faircollect.config import Settings
from faircollect.errors import FairCollectError


@dataclass(frozen=True, slots=True)
class Check:
    """One check's result: OK or FAIL, what was found, and (on FAIL) what to do."""

    check: str
    ok: bool
    detail: str

    @property
    def status(self) -> str:
        return "OK" if self.ok else "FAIL"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}


def _refuse(_what: str) -> str:
    return "doctor only inspects keys and never creates one"


def _open_engine(settings: Settings) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from faircollect.store.engine import explain_failures, make_engine
    from faircollect.store.target import parse_target

    url, target = parse_target(settings.database_url.value)
    if not target.is_sqlite:
        return make_engine(settings)
    path = target.path
    if path is None or not path.exists():
        raise FairCollectError(
            f"not initialised: no database at {path}; run `faircollect db upgrade` (or "
            "`faircollect import DIR`) to create it"
        )
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", poolclass=NullPool)
    explain_failures(engine, target)
    return engine


def run_checks(settings: Settings, env: Mapping[str, str] | None = None) -> list[Check]:
    """Every check, in order; none changes anything."""
    env = os.environ if env is None else env
    checks: list[Check] = []
    engine = None
    try:
        engine = _open_engine(settings)
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        from faircollect.store.target import parse_target

        checks.append(Check("database", True,
                            f"{parse_target(settings.database_url.value)[1].describe()} reachable"))
    except FairCollectError as exc:
        checks.append(Check("database", False, exc.message))
        engine = None
    counts: dict[str, int] = {}
    masters: set[str] = set()
    checks.append(_migrations(engine))
    if engine is not None and checks[-1].ok:
        counts, masters = _data(engine)
    checks.extend(_keyring(settings.home, engine is not None and checks[-1].ok, counts, masters))
    checks.append(_native())
    checks.append(_channel(settings, env))
    if engine is not None:
        engine.dispose()
    return checks


def _migrations(engine: Any) -> Check:
    if engine is None:
        return Check("migrations", False, "not checked: the database is not reachable")
    from faircollect.store.migrate import current_revision, head_revision

    current, head = current_revision(engine), head_revision()
    if current == head:
        return Check("migrations", True, f"at revision {head} (head)")
    if current is None:
        return Check("migrations", False, "not initialised: empty database; run "
                                          f"`faircollect db upgrade` (head is {head})")
    return Check("migrations", False, f"at revision {current}, head is {head}: run "
                                      "`faircollect db upgrade` (or upgrade FairCollect)")


def _data(engine: Any) -> tuple[dict[str, int], set[str]]:
    from sqlalchemy import func, select

    from faircollect.store.tables.audit import audit_checkpoints, audit_entries
    from faircollect.store.tables.consent import consent_receipts
    from faircollect.store.tables.foundation import data_keys

    with engine.connect() as conn:
        counts = {name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                  for name, t in (("data_keys", data_keys), ("audit_entries", audit_entries),
                                  ("checkpoints", audit_checkpoints),
                                  ("receipts", consent_receipts))}
        masters = {str(m) for (m,) in conn.execute(
            select(data_keys.c.master_key_id).where(data_keys.c.wrapped_key.is_not(None))
            .distinct())}
    return counts, masters


def _keyring(home: Path, have_data: bool, counts: dict[str, int],
             masters: set[str]) -> list[Check]:
    from faircollect.vault.keys import KEYRING_FILE, LocalKeyring

    path = home / KEYRING_FILE
    if not path.exists():
        held = counts.get("data_keys", 0) + counts.get("audit_entries", 0)
        why = (f"the database holds {held:,} data keys and audit entries: restore "
               f"{KEYRING_FILE} from its backup into {home}" if held else
               "not initialised: it is created on first use (e.g. `faircollect import DIR`)")
        return [Check("keyring", False, f"no keyring at {path}; {why}"),
                Check("keyring-data", False, "not checked: no keyring"),
                Check("signing-keys", False, "not checked: no keyring")]
    mode = stat.S_IMODE(path.stat().st_mode)
    try:
        ring = LocalKeyring.open(home, guard=_refuse)
    except (FairCollectError, OSError) as exc:
        why = exc.message if isinstance(exc, FairCollectError) else str(exc)
        return [Check("keyring", False, why),
                Check("keyring-data", False, "not checked: keyring unreadable"),
                Check("signing-keys", False, "not checked: keyring unreadable")]
    out = [Check("keyring", True, f"{path} readable, mode {mode:o}, "
                                  f"{len(ring.master_ids())} master key(s)")]
    if not have_data:
        return [*out, Check("keyring-data", False, "not checked: database not ready"),
                Check("signing-keys", False, "not checked: database not ready")]
    missing = sorted(masters - set(ring.master_ids()))
    out.append(Check("keyring-data", not missing,
                     f"master key(s) {', '.join(missing)} wrap data keys but are not in the "
                     f"keyring: restore {path} from its backup" if missing else
                     f"all {len(masters)} master key(s) the data uses are in the keyring"))
    problems = []
    for name, need in (("audit", counts.get("checkpoints", 0)),
                       ("consent", counts.get("receipts", 0))):
        if not need:
            continue
        try:
            ring.signing_key(name)
        except FairCollectError:
            problems.append(f"'{name}' signing key missing ({need:,} signed record(s))")
    out.append(Check("signing-keys", not problems,
                     "; ".join(problems) + f": restore {path} from its backup" if problems
                     else "present for every signed checkpoint and receipt"))
    return out


def _native() -> Check:
    from faircollect.audit import hashing

    if hashing.NATIVE:
        return Check("audit-native", True, "faircollect.audit._native loaded (C hashing)")
    if os.environ.get("FAIRCOLLECT_PURE_HASHING") == "1":
        return Check("audit-native", False, "disabled by FAIRCOLLECT_PURE_HASHING=1; unset it")
    return Check("audit-native", False, "faircollect.audit._native not built: install a C "
                 "compiler and libssl-dev, then reinstall FairCollect")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _channel(settings: Settings, env: Mapping[str, str]) -> Check:
    spec = settings.channel or f"file:{settings.home / 'sent'}"
    if spec.startswith("file:"):
        folder = Path(spec[5:]).expanduser()
        if not spec[5:]:
            return Check("channel", False, "FAIRCOLLECT_CHANNEL file: needs a folder")
        probe = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if probe is None or not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
            return Check("channel", False, f"file channel folder {folder} is not writable: "
                         "fix its permissions or FAIRCOLLECT_CHANNEL")
        return Check("channel", True, f"file channel {folder} writable")
    if spec.startswith(("smtp://", "webhook:")):
        url = spec if spec.startswith("smtp://") else spec[len("webhook:"):]
        try:
            parts = urlsplit(url)
            _ = parts.port
        except ValueError:
            return Check("channel", False, f"FAIRCOLLECT_CHANNEL {spec!r}: bad port")
        if not parts.hostname or (spec.startswith("webhook:")
                                  and parts.scheme not in ("http", "https")):
            return Check("channel", False, f"FAIRCOLLECT_CHANNEL {spec!r}: needs "
                         "smtp://HOST:PORT or webhook:http(s)://HOST/PATH")
        if spec.startswith("webhook:") and not env.get("FAIRCOLLECT_WEBHOOK_SECRET"):
            return Check("channel", False, "FAIRCOLLECT_WEBHOOK_SECRET must be set")
        where = "loopback" if _loopback(parts.hostname) else "configured, not contacted"
        return Check("channel", True, f"{spec.split(':')[0]} target {parts.hostname} ({where})")
    return Check("channel", False, f"FAIRCOLLECT_CHANNEL {spec!r}: expected file:DIR, "
                 "smtp://host:port or webhook:URL")
