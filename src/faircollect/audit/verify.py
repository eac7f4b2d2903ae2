"""Standalone verifier for an exported audit bundle: `python -m faircollect.audit.verify BUNDLE`.

A regulator runs this with nothing but the bundle, the Python standard library and the
`cryptography` package. It deliberately imports nothing else from FairCollect (the file can
be copied out and run as `python verify.py BUNDLE`), so the hashing, proof checking and
signed-note parsing below repeat, independently, what the log itself does; tests hold the
two implementations to the same answers.

It checks that:
  1. the bundle's checkpoint is signed by the audit key (optionally pinned with --key);
  2. every earlier checkpoint in the bundle is signed and the newer tree extends it;
  3. the entries are a gap-free run of sequence numbers, and each entry's canonical bytes
     hash to a leaf that its inclusion proof places under the checkpoint's root;
  4. with --checkpoint FILE, that a checkpoint kept from earlier is one the log extends.
Exit status: 0 verified, 1 verification failed (the first bad sequence number is named),
2 the bundle or an argument could not be read.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BUNDLE_FORMAT = "faircollect-audit-bundle/1"
_DASH = "\u2014"


class Unreadable(Exception):
    """The bundle or an argument is malformed (exit 2)."""


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


def parse_verifier_key(text: str) -> tuple[str, Ed25519PublicKey]:
    """A signed-note verifier key `name+keyid+base64(0x01 || key)`."""
    try:
        name, key_hex, blob_b64 = text.strip().split("+", 2)  # base64 may hold "+"
        blob = base64.b64decode(blob_b64, validate=True)
        if len(blob) != 33 or blob[0] != 1:
            raise ValueError("not an Ed25519 key")
        key = Ed25519PublicKey.from_public_bytes(blob[1:])
    except (ValueError, binascii.Error) as exc:
        raise Unreadable(f"bad verifier key: {exc}") from None
    if _key_id(name, blob[1:]).hex() != key_hex:
        raise Unreadable("verifier key id does not match its key")
    return name, key


def _key_id(name: str, raw: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4]


def open_checkpoint(note: str, name: str, key: Ed25519PublicKey) -> Head:
    """Check a signed checkpoint note and return the tree head it states."""
    body, sep, sigs = note.partition("\n\n")
    lines = body.split("\n")
    try:
        origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
    except (IndexError, ValueError, binascii.Error):
        raise Unreadable("malformed checkpoint") from None
    if not sep or len(root) != 32 or size < 0:
        raise Unreadable("malformed checkpoint")
    at = next((line[5:] for line in lines[3:] if line.startswith("time ")), "")
    raw = key.public_bytes_raw()
    for line in sigs.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != _DASH or parts[1] != name:
            continue
        try:
            blob = base64.b64decode(parts[2], validate=True)
            if blob[:4] == _key_id(name, raw):
                key.verify(blob[4:], (body + "\n").encode())
                return Head(origin, size, root, at)
        except (binascii.Error, InvalidSignature):
            pass
    raise Failed(f"checkpoint of size {size} carries no valid signature by key {name}")


def _hashes(values: Any) -> list[bytes]:
    if not isinstance(values, list):
        raise Unreadable("a proof must be a list of hex hashes")
    try:
        return [bytes.fromhex(v) for v in values]
    except (TypeError, ValueError):
        raise Unreadable("a proof must be a list of hex hashes") from None


def verify_bundle(bundle: dict[str, Any], pinned_key: str | None = None,
                  kept: str | None = None) -> list[str]:
    """Verify a parsed bundle; returns report lines, raises Failed or Unreadable."""
    if bundle.get("format") != BUNDLE_FORMAT:
        raise Unreadable(f"not a {BUNDLE_FORMAT} bundle")
    key_text = pinned_key if pinned_key is not None else bundle["verifier_key"]
    if pinned_key is not None and pinned_key.strip() != bundle["verifier_key"].strip():
        raise Failed("the bundle was signed by a different key than the pinned one")
    name, key = parse_verifier_key(key_text)
    head = open_checkpoint(bundle["checkpoint"], name, key)
    report = [f"key {name}+{_key_id(name, key.public_bytes_raw()).hex()}",
              f"checkpoint: size {head.size}, root {head.root.hex()}, at {head.at}"]
    heads = {head.size: head.root}
    for item in bundle.get("history", []):
        old = open_checkpoint(item["checkpoint"], name, key)
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
        mine = open_checkpoint(kept, name, key)
        if heads.get(mine.size) != mine.root:
            raise Failed(f"your checkpoint of size {mine.size} is not one this log extends",
                         seq=mine.size)
        report.append(f"your checkpoint of size {mine.size} is extended by the log")
    return report


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m faircollect.audit.verify",
                                     description="Verify a FairCollect audit bundle offline.")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--key", help="verifier key (or a file holding it) to pin")
    parser.add_argument("--checkpoint", type=Path, help="a checkpoint you kept earlier")
    args = parser.parse_args(argv)
    try:
        bundle = json.loads(args.bundle.read_text(encoding="utf-8"))
        pinned = args.key
        if pinned is not None and Path(pinned).is_file():
            pinned = Path(pinned).read_text(encoding="utf-8")
        kept = args.checkpoint.read_text(encoding="utf-8") if args.checkpoint else None
        if not isinstance(bundle, dict):
            raise Unreadable("a bundle is a JSON object")
        lines = verify_bundle(bundle, pinned, kept)
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
    for line in lines:
        print(line)
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
