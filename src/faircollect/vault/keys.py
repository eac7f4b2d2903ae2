"""Key providers: where master keys, the blind-index key and signing keys live.

`KeyProvider` is the seam for a KMS or HSM. `LocalKeyring` is the embedded default: a JSON
file in FAIRCOLLECT_HOME readable by its owner only. It is fine for a demo or a single
server; a lender in production puts its master keys in a KMS.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import stat
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from faircollect.errors import IntegrityError, KeyUnavailable

log = logging.getLogger("faircollect.vault")

KEYRING_FILE = "keyring.json"


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


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


class LocalKeyring:
    """Master, blind-index and signing keys in a file only its owner may read."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self._path = path
        self._data = data
        self._ciphers: dict[str, AESGCM] = {}

    def __repr__(self) -> str:
        return f"LocalKeyring(path={str(self._path)!r}, masters={len(self._data['masters'])})"

    # -- loading --------------------------------------------------------------------------
    @classmethod
    def open(cls, home: Path) -> LocalKeyring:
        """Open the keyring in `home`, creating it (with a warning) when there is none."""
        path = home / KEYRING_FILE
        if not path.exists():
            home.mkdir(parents=True, exist_ok=True)
            data = cls._fresh()
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process created it first: read theirs
            else:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh)
                log.warning(
                    "created a local keyring at %s; keep it safe and back it up, or use a KMS "
                    "in production: losing it makes all encrypted data unreadable",
                    path,
                )
                return cls(path, data)
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyUnavailable(
                f"keyring {path} is readable by others (mode {mode:o}); run chmod 600 on it",
                field="keyring",
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            _ = data["current"], data["masters"], data["blind_index"], data["signing"]
        except (ValueError, KeyError) as exc:
            raise IntegrityError(f"keyring {path} is not a FairCollect keyring") from exc
        return cls(path, data)

    @staticmethod
    def _fresh() -> dict[str, Any]:
        master_id = "mk-" + secrets.token_hex(4)
        return {
            "version": 1,
            "current": master_id,
            "masters": {master_id: _b64(AESGCM.generate_key(bit_length=256))},
            "blind_index": _b64(secrets.token_bytes(32)),
            "signing": {},
        }

    def _save(self) -> None:
        tmp = self._path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self._data, fh)
        os.replace(tmp, self._path)

    # -- KeyProvider ------------------------------------------------------------------------
    def current_master_id(self) -> str:
        return str(self._data["current"])

    def master_ids(self) -> list[str]:
        return sorted(self._data["masters"])

    def _cipher(self, master_id: str) -> AESGCM:
        cipher = self._ciphers.get(master_id)
        if cipher is None:
            raw = self._data["masters"].get(master_id)
            if raw is None:
                raise KeyUnavailable(f"master key {master_id} is not in the keyring")
            cipher = self._ciphers[master_id] = AESGCM(_unb64(raw))
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
        return _unb64(self._data["blind_index"])

    def signing_key(self, name: str) -> Ed25519PrivateKey:
        seed = self._data["signing"].get(name)
        if seed is None:
            seed = self._data["signing"][name] = _b64(secrets.token_bytes(32))
            self._save()
        return Ed25519PrivateKey.from_private_bytes(_unb64(seed))

    def rotate(self) -> str:
        master_id = "mk-" + secrets.token_hex(4)
        self._data["masters"][master_id] = _b64(AESGCM.generate_key(bit_length=256))
        self._data["current"] = master_id
        self._save()
        return master_id

    def retire(self, master_id: str) -> None:
        if master_id == self.current_master_id():
            raise KeyUnavailable("the current master key cannot be retired")
        self._data["masters"].pop(master_id, None)
        self._ciphers.pop(master_id, None)
        self._save()
