"""Standalone verifier for an exported audit bundle: `python -m faircollect.audit.verify BUNDLE`.

A regulator runs this with nothing but the bundle, the Python standard library and the
`cryptography` package. It deliberately imports nothing else from FairCollect (the file can
be copied out and run as `python verify.py BUNDLE`), so the hashing, proof checking and
signed-note parsing below repeat, independently, what the log itself does; tests hold the
two implementations to the same answers.

It checks that:
  1. the bundle's checkpoint is a well-formed C2SP checkpoint signed by the audit key;
  2. every earlier checkpoint in the bundle is signed and the newer tree extends it;
  3. the entries are a gap-free run of sequence numbers, each an unambiguous JSON object
     (no key twice), whose canonical bytes hash to a leaf that its inclusion proof places
     under the checkpoint's root;
  4. with --checkpoint FILE, that a checkpoint kept from earlier is one the log extends.

Trust. The bundle carries its own public key. Checked against that key alone, a bundle
only shows that it is internally consistent: a log rewritten and re-signed with a new key
would pass too. It is verified against a trusted key only when
  --key KEY         names the lender's key, obtained separately: a signed-note verifier key
                    (`name+keyid+base64`), its fingerprint (`SHA256:<64 hex>`, as
                    `faircollect audit key` prints it) or an Ed25519 public key in PEM, given
                    as the text itself or a file holding it; a bundle signed by any other
                    key fails; or
  --checkpoint FILE is a checkpoint you kept earlier, which must verify under the same key.
Without either, the report says so in plain words and prints the key's fingerprint to
compare with the one the lender publishes.

Exit status: 0 verified against a trusted key, or (without --key or --checkpoint) internally
consistent, with the consistency-only warning printed; --require-key turns that second case
into a failure. 1 verification failed (the first bad sequence number is named when there is
one). 2 the bundle or an argument could not be read at all.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

BUNDLE_FORMAT = "faircollect-audit-bundle/1"
MAX_SIGNATURES = 100
_DASH = "\u2014"
_TREE_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_TIME_LINE = re.compile(r"time [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_FINGERPRINT = re.compile(r"SHA256:[0-9a-f]{64}")


class Unreadable(Exception):
    """The bundle or an argument cannot be read at all (exit 2)."""


class Failed(Exception):
    """Verification failed (exit 1); `seq` names the first bad entry when there is one."""

    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq


@dataclass(frozen=True)
class Head:
    """A verified checkpoint."""

    origin: str
    size: int
    root: bytes
    at: str


@dataclass(frozen=True)
class Key:
    """A named Ed25519 key, as signed notes name keys."""

    name: str
    public: Ed25519PublicKey

    @property
    def raw(self) -> bytes:
        return self.public.public_bytes_raw()

    @property
    def key_id(self) -> bytes:
        return _key_id(self.name, self.raw)

    @property
    def label(self) -> str:
        """`name+keyid`, as signature lines and verifier keys show a key."""
        return f"{self.name}+{self.key_id.hex()}"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.name, self.raw)


@dataclass(frozen=True)
class Trusted:
    """What --key names: a whole key, a fingerprint, or a bare public key (PEM, no name)."""

    key: Key | None = None
    fingerprint: str | None = None
    public: Ed25519PublicKey | None = None


@dataclass
class Result:
    """Report lines, and how the key was trusted (None: consistency only)."""

    lines: list[str]
    key: Key
    trusted_by: str | None = None
    warning: list[str] = field(default_factory=list)


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf_of(entry: dict[str, Any]) -> bytes:
    """Leaf hash of an entry: SHA-256(0x00 || canonical JSON of its six fields)."""
    fields = {k: entry[k] for k in ("seq", "at", "actor", "action", "subject", "payload")}
    data = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(b"\x00" + data.encode("utf-8")).digest()


def included(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2 inclusion proof verification."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def consistent(old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2 consistency proof verification."""
    if not 0 <= old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof
    if not proof:
        return False
    path = ([old_root] if old & (old - 1) == 0 else []) + list(proof)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


# --- Keys ---------------------------------------------------------------------------------


def _key_id(name: str, raw: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4]


def fingerprint(name: str, raw: bytes) -> str:
    """`SHA256:` + hex SHA-256(name || LF || 0x01 || key): the key id is its first 8 digits."""
    return "SHA256:" + hashlib.sha256(name.encode() + b"\n\x01" + raw).hexdigest()


def _valid_name(name: str) -> bool:
    """A signed-note key name: non-empty, no Unicode space, no plus sign."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def _b64(text: str) -> bytes | None:
    """Standard padded base64 in its canonical spelling (the only one an encoder writes)."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if base64.b64encode(data).decode("ascii") == text else None


def parse_verifier_key(text: str) -> tuple[str, Ed25519PublicKey]:
    """A signed-note verifier key `name+keyid+base64(0x01 || key)`."""
    parts = text.strip().split("+", 2)  # the base64 may hold "+"
    if len(parts) != 3 or not _valid_name(parts[0]):
        raise Unreadable("bad verifier key: expected name+keyid+base64(0x01 || key)")
    name, key_hex, blob_b64 = parts
    blob = _b64(blob_b64)
    if blob is None or len(blob) != 33 or blob[0] != 1:
        raise Unreadable("bad verifier key: not an Ed25519 key in standard base64")
    try:
        key = Ed25519PublicKey.from_public_bytes(blob[1:])
    except ValueError as exc:
        raise Unreadable(f"bad verifier key: {exc}") from None
    if _key_id(name, blob[1:]).hex() != key_hex:
        raise Unreadable("verifier key id does not match its key")
    return name, key


def parse_trusted(text: str) -> Trusted:
    """The --key argument: verifier key, `SHA256:` fingerprint or PEM public key."""
    text = text.strip()
    if text.startswith("SHA256:"):
        if not _FINGERPRINT.fullmatch(text):
            raise Unreadable("bad fingerprint: expected SHA256: and 64 lowercase hex digits")
        return Trusted(fingerprint=text)
    if text.startswith("-----BEGIN"):
        try:
            public = load_pem_public_key(text.encode("ascii"))
        except (ValueError, UnsupportedAlgorithm, UnicodeEncodeError) as exc:
            raise Unreadable(f"bad PEM public key: {exc}") from None
        if not isinstance(public, Ed25519PublicKey):
            raise Unreadable("the PEM public key is not an Ed25519 key")
        return Trusted(public=public)
    name, key = parse_verifier_key(text)
    return Trusted(key=Key(name, key))


def _signing_key(bundle: dict[str, Any], trusted: Trusted | None) -> tuple[Key, str | None]:
    """The key to check signatures with, and how it is trusted (None: the bundle's own)."""
    if not isinstance(bundle.get("verifier_key"), str):
        raise Unreadable("the bundle lacks its verifier_key")
    try:
        own = Key(*parse_verifier_key(bundle["verifier_key"]))
    except Unreadable as exc:
        raise Failed(f"the bundle's own key is malformed: {exc}") from None
    if trusted is None:
        return own, None
    signed_by = f"the bundle is signed by {own.label} (fingerprint {own.fingerprint})"
    if trusted.key is not None:
        if (trusted.key.name, trusted.key.raw) != (own.name, own.raw):
            raise Failed(f"{signed_by}, not by the trusted key {trusted.key.label} "
                         f"(fingerprint {trusted.key.fingerprint}) given with --key")
        return trusted.key, "the key given with --key"
    if trusted.fingerprint is not None:
        if own.fingerprint != trusted.fingerprint:
            raise Failed(f"{signed_by}, not by the trusted key with fingerprint "
                         f"{trusted.fingerprint} given with --key")
        return own, "its fingerprint matches the one given with --key"
    assert trusted.public is not None
    if trusted.public.public_bytes_raw() != own.raw:
        raise Failed(f"{signed_by}, not by the trusted public key given with --key")
    return Key(own.name, trusted.public), "the public key given with --key"


# --- Signed notes and checkpoints (c2sp.org/signed-note, c2sp.org/tlog-checkpoint) ---------


def open_note(note: str, key: Key) -> str:
    """The text of a signed note that `key` signed; Failed when malformed or not so signed.

    Per signed-note: a signature line whose key name and key id both match `key` must verify
    (else the whole note is rejected); other keys' lines are ignored, even with the same name
    or the same id; and at least one signature by `key` must verify.
    """
    try:
        data = note.encode("utf-8")
    except UnicodeEncodeError:
        raise Failed("malformed signed note: not valid UTF-8") from None
    if any(b < 0x20 and b != 0x0A for b in data):
        raise Failed("malformed signed note: a control character other than newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise Failed("malformed signed note: no blank line between text and signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    if not block.endswith("\n"):
        raise Failed("malformed signed note: signature lines must follow the blank line, "
                     "each ending with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise Failed(f"malformed signed note: more than {MAX_SIGNATURES} signatures")
    good = False
    seen: set[str] = set()
    for line in lines:
        fields = line.split(" ")
        sig = _b64(fields[2]) if len(fields) == 3 else None
        if fields[0] != _DASH or sig is None or len(sig) < 5 or not _valid_name(fields[1]):
            raise Failed(f"malformed signed note: bad signature line {line!r}")
        if fields[1] != key.name or sig[:4] != key.key_id or line in seen:
            continue
        seen.add(line)
        try:
            key.public.verify(sig[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise Failed(f"a signature by key {key.label} does not verify") from None
        good = True
    if not good:
        raise Failed(f"no valid signature by key {key.label}")
    return text


def parse_checkpoint(text: str) -> Head:
    """The body of a FairCollect checkpoint: origin, tree size, root hash, time; nothing else."""
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise Failed("malformed checkpoint: it needs origin, tree size and root hash lines")
    if "" in lines:
        raise Failed("malformed checkpoint: an empty line in its text (exactly one blank "
                     "line, between the text and the signatures, is allowed)")
    origin, size, root_b64 = lines[:3]
    if not _TREE_SIZE.fullmatch(size) or int(size) >= 1 << 64:
        raise Failed(f"malformed checkpoint: tree size {size!r} is not plain decimal "
                     "(no sign, spaces or leading zeros)")
    root = _b64(root_b64)
    if root is None or len(root) != 32:
        raise Failed(f"malformed checkpoint: root hash {root_b64!r} is not 32 bytes of "
                     "standard base64")
    if len(lines) != 4 or not _TIME_LINE.fullmatch(lines[3]):
        raise Failed("malformed checkpoint: after the root hash comes exactly one "
                     "`time ...Z` line and no extra lines")
    return Head(origin, int(size), root, lines[3][5:])


def open_checkpoint(note: str, name: str, key: Ed25519PublicKey) -> Head:
    """Check a signed checkpoint note by key `name` and return the tree head it states."""
    if not isinstance(note, str):
        raise Failed("a checkpoint must be text")
    signer = Key(name, key)
    head = parse_checkpoint(open_note(note, signer))
    if head.origin != name:
        raise Failed(f"checkpoint of size {head.size} is for log {head.origin!r}, but the "
                     f"key is named {name!r}: the origin line must match the key name")
    return head


# --- Strict JSON ---------------------------------------------------------------------------


class _Ambiguous(dict[str, Any]):
    """A JSON object that named a key more than once (parsers disagree on which one wins)."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    names = [k for k, _ in pairs]
    out = _Ambiguous(obj)
    out.duplicates = tuple(sorted({k for k in names if names.count(k) > 1}))
    return out


def _no_constant(name: str) -> Any:
    raise Unreadable(f"not strict JSON: {name}")


def load_bundle(text: str) -> Any:
    """Parse bundle JSON, marking objects with a repeated key (see `_ambiguity`)."""
    return json.loads(text, object_pairs_hook=_object, parse_constant=_no_constant)


def _ambiguity(value: Any) -> tuple[str, ...]:
    """Keys named twice in `value` or anything inside it."""
    if isinstance(value, _Ambiguous):
        return value.duplicates
    inner: Iterable[Any]
    if isinstance(value, dict):
        inner = value.values()
    elif isinstance(value, list):
        inner = value
    else:
        return ()
    for item in inner:
        found = _ambiguity(item)
        if found:
            return found
    return ()


def _hashes(values: Any) -> list[bytes]:
    if not isinstance(values, list):
        raise Unreadable("a proof must be a list of hex hashes")
    try:
        return [bytes.fromhex(v) for v in values]
    except (TypeError, ValueError):
        raise Unreadable("a proof must be a list of hex hashes") from None


# --- The bundle ----------------------------------------------------------------------------


def verify_bundle(bundle: dict[str, Any], pinned_key: str | None = None,
                  kept: str | None = None) -> Result:
    """Verify a parsed bundle; returns the report, raises Failed or Unreadable."""
    if bundle.get("format") != BUNDLE_FORMAT:
        raise Unreadable(f"not a {BUNDLE_FORMAT} bundle")
    if isinstance(bundle, _Ambiguous):
        raise Failed(f"the bundle is ambiguous: it names {', '.join(map(repr, bundle.duplicates))}"
                     " more than once")
    trusted = parse_trusted(pinned_key) if pinned_key is not None else None
    key, trusted_by = _signing_key(bundle, trusted)
    name, public = key.name, key.public
    report = [f"key {key.label}, fingerprint {key.fingerprint}"]
    head = open_checkpoint(bundle["checkpoint"], name, public)
    report.append(f"checkpoint: size {head.size}, root {head.root.hex()}, at {head.at}")
    heads = {head.size: head.root}
    for item in bundle.get("history", []):
        twice = _ambiguity(item)
        if twice:
            raise Failed("an earlier checkpoint's record is ambiguous: it names "
                         f"{', '.join(map(repr, twice))} more than once")
        old = open_checkpoint(item["checkpoint"], name, public)
        if not consistent(old.size, head.size, old.root, head.root, _hashes(item["proof"])):
            raise Failed(f"the log does not extend its checkpoint of size {old.size}",
                         seq=old.size)
        heads[old.size] = old.root
    report.append(f"{len(heads) - 1} earlier checkpoint(s) extended consistently")
    start, stop = int(bundle["first"]), int(bundle["last"]) + 1
    entries = bundle["entries"]
    if not 0 <= start <= stop <= head.size:
        raise Failed(f"entries [{start}, {stop}) lie outside the checkpoint's {head.size}")
    for offset, entry in enumerate(entries):
        seq = start + offset
        if not isinstance(entry, dict):
            raise Failed(f"entry {seq} is not a JSON object", seq=seq)
        twice = _ambiguity(entry)
        if twice:
            raise Failed(f"entry {seq} is ambiguous: it names {', '.join(map(repr, twice))} "
                         "more than once", seq=seq)
        if entry.get("seq") != seq:
            raise Failed(f"entry {seq} is missing (found {entry.get('seq')!r} in its place)",
                         seq=seq)
        try:
            leaf = leaf_of(entry)
        except (KeyError, TypeError, ValueError):
            raise Failed(f"entry {seq} is malformed", seq=seq) from None
        if not included(leaf, seq, head.size, _hashes(entry["proof"]), head.root):
            raise Failed(f"entry {seq} does not match the signed tree", seq=seq)
    if start + len(entries) != stop:
        raise Failed(f"entries end at {start + len(entries)}, expected {stop}",
                     seq=start + len(entries))
    report.append(f"entries {start}..{stop - 1}: {stop - start} verified")
    if kept is not None:
        try:
            mine = open_checkpoint(kept, name, public)
        except Failed as exc:
            raise Failed(f"your checkpoint: {exc}; the bundle may be signed by another key "
                         f"than the one that signed it (the bundle's: {key.label}, "
                         f"fingerprint {key.fingerprint})") from None
        if heads.get(mine.size) != mine.root:
            raise Failed(f"your checkpoint of size {mine.size} is not one this log extends",
                         seq=mine.size)
        report.append(f"your checkpoint of size {mine.size} is extended by the log")
        trusted_by = trusted_by or f"it signed the checkpoint of size {mine.size} you kept"
    result = Result(report, key, trusted_by)
    if trusted_by is None:
        result.warning = [
            "WARNING: consistency only. No trusted key (--key) and no checkpoint you kept "
            "(--checkpoint) was given, so this bundle was checked only against the key it "
            "carries itself: it is internally consistent, but a log rewritten and re-signed "
            "with a new key would pass this check too.",
            f"Compare this fingerprint with the one the lender publishes: {key.fingerprint} "
            f"(key {key.label}), or run again with --key.",
        ]
    return result


def _read_argument(value: str) -> str:
    """--key's value: the text itself, or the content of the file it names."""
    path = Path(value)
    try:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        pass  # not a usable path: the text itself
    return value


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m faircollect.audit.verify",
        description="Verify a FairCollect audit bundle offline. Exit 0: verified against a "
                    "trusted key (or, without --key/--checkpoint, consistent only: see the "
                    "warning); 1: failed; 2: unreadable.")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--key", help="the lender's key, obtained separately: verifier key "
                        "name+keyid+base64, fingerprint SHA256:<hex>, or PEM public key "
                        "(the text or a file holding it)")
    parser.add_argument("--checkpoint", type=Path, help="a checkpoint you kept earlier")
    parser.add_argument("--require-key", action="store_true",
                        help="fail (exit 1) unless the bundle verifies against a trusted key "
                             "(--key or --checkpoint)")
    args = parser.parse_args(argv)
    try:
        bundle = load_bundle(args.bundle.read_text(encoding="utf-8"))
        pinned = _read_argument(args.key) if args.key is not None else None
        kept = args.checkpoint.read_text(encoding="utf-8") if args.checkpoint else None
        if not isinstance(bundle, dict):
            raise Unreadable("a bundle is a JSON object")
        result = verify_bundle(bundle, pinned, kept)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, Unreadable) as exc:
        print(f"error: cannot read: {exc}", file=sys.stderr)
        return 2
    except (KeyError, TypeError, ValueError) as exc:
        print(f"error: cannot read: the bundle lacks or garbles {exc}", file=sys.stderr)
        return 2
    except Failed as exc:
        where = f" (first bad sequence number: {exc.seq})" if exc.seq is not None else ""
        print(f"FAILED: {exc}{where}", file=sys.stderr)
        return 1
    for line in result.lines:
        print(line)
    if result.trusted_by is not None:
        print(f"key trusted: {result.trusted_by}")
        print("OK: verified against a trusted key")
        return 0
    for line in result.warning:
        print(line)
    if args.require_key:
        print("FAILED: --require-key was given, but no trusted key was (use --key or "
              "--checkpoint)", file=sys.stderr)
        return 1
    print("OK (consistency only: not verified against a trusted key)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
