"""Key providers: where master keys, the blind-index key and signing keys live.

`KeyProvider` is the seam for a KMS or HSM. `LocalKeyring` is the embedded default: a JSON
file in FAIRCOLLECT_HOME readable by its owner only. It is fine for a demo or a single
server; a lender in production puts its master keys in a KMS or HSM.

Several processes share one keyring (an API server, dispatch workers, a `keys rotate`), so a
write can never clobber another's: every change takes an exclusive lock on `keyring.lock`,
re-reads the file under it, applies itself to what it read, bumps the generation counter,
and replaces the file atomically (temporary file, fsync, rename, fsync of the folder).
Readers notice a newer file by its stat and reload; an unknown master id reloads once
before failing. A file whose generation is older than one a process has seen (a keyring
restored from a backup over a newer one) is refused rather than trusted.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import logging
import os
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from faircollect.errors import IntegrityError, KeyUnavailable

log = logging.getLogger("faircollect.vault")

KEYRING_FILE = "keyring.json"
LOCK_FILE = "keyring.lock"
# How often a reader looks at the file's stat on its own (a rotation elsewhere, a master
# destroyed by the shred step): processes drop destroyed masters from memory within this.
RECHECK_SECONDS = 1.0

T = TypeVar("T")

# Says why a key may not be created here (data already depends on one), or None when it may.
CreationGuard = Callable[[str], "str | None"]


class KeyProvider(Protocol):
    """What the vault, the audit log and consent receipts need from key custody."""

    def current_master_id(self) -> str: ...

    def wrap(self, data_key: bytes, *, context: bytes) -> tuple[str, bytes]:
        """Encrypt a data key under the current master key; returns (master id, blob)."""
        ...

    def unwrap(self, master_id: str, wrapped: bytes, *, context: bytes) -> bytes: ...

    def blind_index_key(self) -> bytes: ...

    def signing_key(self, name: str) -> Ed25519PrivateKey: ...

    def rotate(self) -> str:
        """Make a new master key current; the old ones stay until `retire`."""
        ...

    def master_ids(self) -> list[str]: ...

    def retire(self, master_id: str) -> None: ...

    def refresh(self) -> bool:
        """Pick up changes another process made (a rotation); True when something changed."""
        ...


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str, size: int) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, AttributeError) as exc:
        raise IntegrityError(f"the keyring's {what} is not valid base64; restore the keyring "
                             "from its backup") from exc
    if len(raw) != size:
        raise IntegrityError(f"the keyring's {what} has {len(raw)} bytes, not {size}; restore "
                             "the keyring from its backup")
    return raw


def _stamp(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class LocalKeyring:
    """Master, blind-index and signing keys in a file only its owner may read."""

    def __init__(self, path: Path, data: dict[str, Any], stamp: tuple[int, int, int],
                 guard: CreationGuard | None = None) -> None:
        self._path = path
        self._data = data
        self._stamp = stamp
        self._guard = guard
        self._ciphers: dict[str, AESGCM] = {}
        self._checked = time.monotonic()

    def __repr__(self) -> str:
        return (f"LocalKeyring(path={str(self._path)!r}, masters={len(self._data['masters'])}, "
                f"generation={self.generation})")

    @property
    def generation(self) -> int:
        return int(self._data.get("generation", 0))

    # -- loading --------------------------------------------------------------------------
    @classmethod
    def open(cls, home: Path, *, guard: CreationGuard | None = None) -> LocalKeyring:
        """Open the keyring in `home`, creating it when there is none and `guard` allows.

        `guard("keyring")` returns why a new keyring may not be made (the database already
        holds data encrypted under some keyring); creating one then would hide the loss.
        """
        path = home / KEYRING_FILE
        if not path.exists():
            refusal = guard("keyring") if guard else None
            if refusal:
                raise KeyUnavailable(
                    f"no keyring at {path}, but {refusal}: restore keyring.json from its "
                    "backup into FAIRCOLLECT_HOME (a new keyring could not read that data)",
                    field="keyring",
                )
            cls._create(home, path)
        ring = cls(path, {}, (0, 0, 0), guard)
        with ring._locked(fcntl.LOCK_SH):
            ring._data, ring._stamp = ring._load()
        return ring

    @classmethod
    def _create(cls, home: Path, path: Path) -> None:
        from faircollect.private import ensure_private_dir

        ensure_private_dir(home, "FAIRCOLLECT_HOME")
        data = cls._fresh()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return  # another process created it first: use theirs
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(home)
        log.warning(
            "created a local keyring at %s; keep it safe and back it up, or use a KMS or HSM "
            "in production: losing it makes all encrypted data unreadable", path,
        )

    @staticmethod
    def _fresh() -> dict[str, Any]:
        master_id = "mk-" + secrets.token_hex(4)
        return {
            "version": 1,
            "generation": 1,
            "current": master_id,
            "masters": {master_id: _b64(AESGCM.generate_key(bit_length=256))},
            "blind_index": _b64(secrets.token_bytes(32)),
            "signing": {},
        }

    def _load(self) -> tuple[dict[str, Any], tuple[int, int, int]]:
        """Read and check the file (callers hold the lock)."""
        path = self._path
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError as exc:
            raise KeyUnavailable(f"the keyring {path} disappeared; restore it from its backup",
                                 field="keyring") from exc
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            mode = stat.S_IMODE(st.st_mode)
            if mode & 0o077:
                raise KeyUnavailable(
                    f"keyring {path} is readable by others (mode {mode:o}); run chmod 600 on it",
                    field="keyring",
                )
            raw = fh.read()
        try:
            data = json.loads(raw.decode("utf-8"))
            current, masters = data["current"], data["masters"]
            _ = data["blind_index"], data["signing"]
            if not isinstance(masters, dict) or current not in masters:
                raise KeyError("current")
        except (ValueError, KeyError, TypeError) as exc:
            raise IntegrityError(f"keyring {path} is not a readable FairCollect keyring (damaged "
                                 "or not a keyring); restore it from its backup") from exc
        return data, _stamp(st)

    @contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        fd = os.open(self._path.parent / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _recheck(self) -> None:
        if time.monotonic() - self._checked >= RECHECK_SECONDS:
            self.refresh()

    def refresh(self) -> bool:
        """Reload when another process changed the file; True when it did."""
        self._checked = time.monotonic()
        try:
            now = _stamp(os.stat(self._path))
        except FileNotFoundError as exc:
            raise KeyUnavailable(f"the keyring {self._path} disappeared; restore it from its "
                                 "backup", field="keyring") from exc
        if now == self._stamp:
            return False
        with self._locked(fcntl.LOCK_SH):
            data, stamp = self._load()
        if int(data.get("generation", 0)) < self.generation:
            raise IntegrityError(
                f"keyring {self._path} went back from generation {self.generation} to "
                f"{data.get('generation', 0)} (restored from an old backup?); keys made since "
                "would be lost: put the newer keyring back"
            )
        self._adopt(data, stamp)
        return True

    def _adopt(self, data: dict[str, Any], stamp: tuple[int, int, int]) -> None:
        for gone in set(self._ciphers) - set(data["masters"]):
            del self._ciphers[gone]
        self._data, self._stamp = data, stamp

    def _mutate(self, change: Callable[[dict[str, Any]], T]) -> T:
        """Apply `change` to the file as it is now, under the lock, and write it atomically."""
        with self._locked(fcntl.LOCK_EX):
            data, _ = self._load()
            seen = int(data.get("generation", 0))
            if seen < self.generation:
                raise IntegrityError(
                    f"keyring {self._path} is at generation {seen}, older than {self.generation} "
                    "which this process read; refusing to write over newer keys"
                )
            result = change(data)
            data["generation"] = seen + 1
            stamp = self._write(data)
            self._adopt(data, stamp)
        return result

    def _write(self, data: dict[str, Any]) -> tuple[int, int, int]:
        tmp = self._path.with_name(f".{KEYRING_FILE}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self._path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self._path.parent)
        return _stamp(os.stat(self._path))

    # -- KeyProvider ------------------------------------------------------------------------
    def current_master_id(self) -> str:
        self._recheck()
        return str(self._data["current"])

    def master_ids(self) -> list[str]:
        return sorted(self._data["masters"])

    def _cipher(self, master_id: str) -> AESGCM:
        self._recheck()
        cipher = self._ciphers.get(master_id)
        if cipher is None:
            raw = self._data["masters"].get(master_id)
            if raw is None and self.refresh():
                raw = self._data["masters"].get(master_id)
            if raw is None:
                raise KeyUnavailable(f"master key {master_id} is not in the keyring")
            key = _unb64(raw, f"master key {master_id}", 32)
            cipher = self._ciphers[master_id] = AESGCM(key)
        return cipher

    def wrap(self, data_key: bytes, *, context: bytes) -> tuple[str, bytes]:
        master_id = self.current_master_id()
        nonce = os.urandom(12)
        return master_id, nonce + self._cipher(master_id).encrypt(nonce, data_key, context)

    def unwrap(self, master_id: str, wrapped: bytes, *, context: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            return self._cipher(master_id).decrypt(wrapped[:12], wrapped[12:], context)
        except InvalidTag as exc:
            raise IntegrityError("a wrapped data key failed authentication") from exc

    def blind_index_key(self) -> bytes:
        return _unb64(self._data["blind_index"], "blind-index key", 32)

    def signing_key(self, name: str) -> Ed25519PrivateKey:
        seed = self._data["signing"].get(name)
        if seed is None:
            self.refresh()
            seed = self._data["signing"].get(name)
        if seed is None:
            refusal = self._guard(f"signing:{name}") if self._guard else None
            if refusal:
                raise KeyUnavailable(
                    f"the keyring {self._path} has no '{name}' signing key, but {refusal}: "
                    "restore keyring.json from its backup (a new key could not prove them)",
                    field="keyring",
                )

            def add(data: dict[str, Any]) -> str:
                # Another process may have made it meanwhile: keep theirs.
                return str(data["signing"].setdefault(name, _b64(secrets.token_bytes(32))))

            seed = self._mutate(add)
        return Ed25519PrivateKey.from_private_bytes(_unb64(seed, f"'{name}' signing key", 32))

    def rotate(self) -> str:
        master_id = "mk-" + secrets.token_hex(4)

        def add(data: dict[str, Any]) -> str:
            data["masters"][master_id] = _b64(AESGCM.generate_key(bit_length=256))
            data["current"] = master_id
            return master_id

        return self._mutate(add)

    def retire(self, master_id: str) -> None:
        def drop(data: dict[str, Any]) -> None:
            if master_id == data["current"]:
                raise KeyUnavailable("the current master key cannot be retired")
            data["masters"].pop(master_id, None)

        self._mutate(drop)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
