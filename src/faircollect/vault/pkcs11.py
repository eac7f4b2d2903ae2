"""Master keys in a PKCS#11 token (an HSM, a cloud KMS's PKCS#11 library, or SoftHSM2).

The master keys never leave the token: each is an AES-256 secret key generated on the token
as a token object (CKA_TOKEN), sensitive and non-extractable, labelled
`faircollect-mk-<hex>`. Wrapping a data key is CKM_AES_GCM encryption on the token with a
fresh 12-byte IV and the data key's context as the additional authenticated data; the blob
is IV || ciphertext || 16-byte tag. SoftHSM 2.6 supports CKM_AES_GCM with AAD (checked with
python-pkcs11 0.10: a wrong AAD fails), and GCM binds the blob to its borrower's context,
which CKM_AES_KEY_WRAP_PAD cannot do; so GCM is used, as the local keyring does.

Which master is current is read from the token itself, so every process sharing the token
(API server, dispatch workers, a `keys rotate`) agrees: master ids begin with a fixed-width
hex timestamp in nanoseconds, and the current master is the newest by id. A process lists
the token's masters again at most every `RECHECK_SECONDS` (and whenever `refresh` is
called, which the vault does before its first wrap in a transaction and rotation before
every batch), and an unknown master id triggers one re-listing before KeyUnavailable.
`retire` destroys the token object (C_DestroyObject): that is what crypto-shredding relies on.

The blind-index key and the signing keys stay in the local keyring file (this provider
delegates `blind_index_key` and `signing_key` to a `LocalKeyring`): the blind index is an
HMAC computed for every lookup and import row (a round trip to an HSM per row is too slow,
and HMAC keys usable by the application would have to be extractable or the HSM asked per
call), and Ed25519 signing is not offered by many PKCS#11 libraries (SoftHSM 2.6 among
them). Neither key decrypts personal data: losing the local file to an attacker exposes
lookups' equality pattern and lets them forge signatures, but reads no borrower's fields.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from faircollect.config import Secret
from faircollect.errors import ConfigError, IntegrityError, KeyUnavailable
from faircollect.vault.keys import CreationGuard, LocalKeyring

LABEL_PREFIX = "faircollect-mk-"
ID_PREFIX = "hsm-"
RECHECK_SECONDS = 1.0
IV_BYTES = 12

_libs: dict[str, Any] = {}
_libs_lock = threading.Lock()


def _new_master_suffix(current: str = "") -> str:
    # Fixed-width, so the newest sorts last in every process; the random tail keeps two
    # rotations in the same nanosecond apart. Never below the current master's stamp: a host
    # whose clock runs behind must still make a master that becomes current (else the shred
    # step would keep the old epoch's master and destroy the new one).
    now = time.time_ns()
    stamp = current.removeprefix(ID_PREFIX)[:16]
    if len(stamp) == 16 and all(c in "0123456789abcdef" for c in stamp):
        now = max(now, int(stamp, 16) + 1)
    return f"{now:016x}{secrets.token_hex(4)}"


def _load_lib(module: str) -> Any:
    try:
        import pkcs11
    except ImportError as exc:
        raise ConfigError("FAIRCOLLECT_KEY_PROVIDER=pkcs11 needs python-pkcs11: install "
                          "faircollect[pkcs11]", field="FAIRCOLLECT_KEY_PROVIDER") from exc
    with _libs_lock:
        lib = _libs.get(module)
        if lib is None:
            if not os.path.isfile(module):
                raise KeyUnavailable(f"PKCS#11 module {module} not found; check "
                                     "FAIRCOLLECT_PKCS11_MODULE",
                                     field="FAIRCOLLECT_PKCS11_MODULE")
            try:
                lib = _libs[module] = pkcs11.lib(module)
            except Exception as exc:  # the library raises several kinds here
                raise KeyUnavailable(f"PKCS#11 module {module} could not be loaded "
                                     f"({type(exc).__name__}); check FAIRCOLLECT_PKCS11_MODULE",
                                     field="FAIRCOLLECT_PKCS11_MODULE") from None
    return lib


class Pkcs11Provider:
    """KeyProvider with master keys held by a PKCS#11 token; see the module docstring."""

    def __init__(self, module: str, token_label: str, pin: Secret, local: LocalKeyring,
                 guard: CreationGuard | None = None) -> None:
        import pkcs11
        from pkcs11 import exceptions as e

        self._module = module
        self._token_label = token_label
        self._local = local
        self._lock = threading.RLock()
        self._keys: dict[str, Any] = {}
        self._current = ""
        self._checked = 0.0
        lib = _load_lib(module)
        try:
            token = lib.get_token(token_label=token_label)
        except (e.NoSuchToken, e.MultipleTokensReturned) as exc:
            raise KeyUnavailable(f"PKCS#11 token {token_label!r} not found in {module} (or the "
                                 "label is not unique); check FAIRCOLLECT_PKCS11_TOKEN",
                                 field="FAIRCOLLECT_PKCS11_TOKEN") from exc
        except pkcs11.PKCS11Error as exc:
            raise KeyUnavailable(f"PKCS#11 token {token_label!r} unavailable "
                                 f"({type(exc).__name__})", field="FAIRCOLLECT_PKCS11_TOKEN"
                                 ) from exc
        try:
            try:
                self._session = token.open(user_pin=pin.value, rw=True)
            except e.UserAlreadyLoggedIn:
                # PKCS#11 login is per process and token: another provider in this process
                # (a second App) logged in already, and a new session shares that login.
                self._session = token.open(rw=True)
        except (e.PinIncorrect, e.PinInvalid, e.PinLenRange, e.PinExpired, e.PinLocked) as exc:
            raise KeyUnavailable(f"PKCS#11 token {token_label!r} refused the PIN "
                                 f"({type(exc).__name__}); check FAIRCOLLECT_PKCS11_PIN",
                                 field="FAIRCOLLECT_PKCS11_PIN") from None
        except pkcs11.PKCS11Error as exc:
            raise KeyUnavailable(f"could not log in to PKCS#11 token {token_label!r} "
                                 f"({type(exc).__name__})", field="FAIRCOLLECT_PKCS11_TOKEN"
                                 ) from None
        self.refresh()
        if not self._keys:
            refusal = guard("keyring") if guard else None
            if refusal:
                raise KeyUnavailable(
                    f"PKCS#11 token {token_label!r} holds no FairCollect master key, but "
                    f"{refusal}: point FAIRCOLLECT_PKCS11_TOKEN at the token that holds them",
                    field="FAIRCOLLECT_PKCS11_TOKEN")
            self.rotate()

    def __repr__(self) -> str:
        return (f"Pkcs11Provider(module={self._module!r}, token={self._token_label!r}, "
                f"masters={len(self._keys)})")

    def close(self) -> None:
        with self._lock:
            self._session.close()

    # -- the token ----------------------------------------------------------------------
    def _list(self) -> dict[str, Any]:
        from pkcs11 import Attribute, KeyType, ObjectClass

        found: dict[str, Any] = {}
        for obj in self._session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY,
                                              Attribute.KEY_TYPE: KeyType.AES,
                                              Attribute.TOKEN: True}):
            label = str(obj.label or "")
            if label.startswith(LABEL_PREFIX):
                found[ID_PREFIX + label[len(LABEL_PREFIX):]] = obj
        return found

    def refresh(self) -> bool:
        """Re-list the token's masters; True when the set (or the current one) changed."""
        with self._lock:
            self._checked = time.monotonic()
            found = self._list()
            changed = set(found) != set(self._keys)
            self._keys = found
            self._current = max(found) if found else ""
            return changed

    def _recheck(self) -> None:
        if time.monotonic() - self._checked >= RECHECK_SECONDS:
            self.refresh()

    def _key(self, master_id: str) -> Any:
        self._recheck()
        key = self._keys.get(master_id)
        if key is None:
            self.refresh()
            key = self._keys.get(master_id)
        if key is None:
            raise KeyUnavailable(f"master key {master_id} is not on PKCS#11 token "
                                 f"{self._token_label!r} (retired or destroyed)")
        return key

    # -- KeyProvider ------------------------------------------------------------------------
    def current_master_id(self) -> str:
        self._recheck()
        if not self._current:
            raise KeyUnavailable(f"PKCS#11 token {self._token_label!r} holds no master key")
        return self._current

    def master_ids(self) -> list[str]:
        self._recheck()
        return sorted(self._keys)

    def wrap(self, data_key: bytes, *, context: bytes) -> tuple[str, bytes]:
        from pkcs11 import Mechanism
        from pkcs11.mechanisms import GCMParams

        with self._lock:
            master_id = self.current_master_id()
            iv = os.urandom(IV_BYTES)
            blob = self._key(master_id).encrypt(
                data_key, mechanism=Mechanism.AES_GCM,
                mechanism_param=GCMParams(iv, context, 128))
        return master_id, iv + bytes(blob)

    def unwrap(self, master_id: str, wrapped: bytes, *, context: bytes) -> bytes:
        import pkcs11
        from pkcs11 import Mechanism
        from pkcs11.mechanisms import GCMParams

        with self._lock:
            key = self._key(master_id)
            try:
                return bytes(key.decrypt(wrapped[IV_BYTES:], mechanism=Mechanism.AES_GCM,
                                         mechanism_param=GCMParams(wrapped[:IV_BYTES],
                                                                   context, 128)))
            except pkcs11.PKCS11Error as exc:
                raise IntegrityError("a wrapped data key failed authentication") from exc

    def blind_index_key(self) -> bytes:
        return self._local.blind_index_key()

    def signing_key(self, name: str) -> Ed25519PrivateKey:
        return self._local.signing_key(name)

    def rotate(self) -> str:
        from pkcs11 import Attribute, KeyType

        with self._lock:
            self.refresh()
            suffix = _new_master_suffix(self._current)
            self._session.generate_key(
                KeyType.AES, 256, label=LABEL_PREFIX + suffix, store=True,
                template={
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.ENCRYPT: True,
                    Attribute.DECRYPT: True,
                    Attribute.WRAP: False,
                    Attribute.UNWRAP: False,
                    Attribute.SIGN: False,
                    Attribute.VERIFY: False,
                    Attribute.DERIVE: False,
                    Attribute.ID: suffix.encode("ascii"),
                })
            self.refresh()
            master_id = ID_PREFIX + suffix
            if self._current != master_id:
                raise KeyUnavailable(f"the new master key {master_id} did not become current on "
                                     f"PKCS#11 token {self._token_label!r}; run it again")
            return master_id

    def retire(self, master_id: str) -> None:
        """Destroy the master's token object: what it wrapped can never be unwrapped again."""
        with self._lock:
            self.refresh()
            if master_id == self._current:
                raise KeyUnavailable("the current master key cannot be retired")
            key = self._keys.pop(master_id, None)
            if key is not None:
                key.destroy()
