"""The standalone bundle verifier, on bundles built in memory with the log's own code."""

from __future__ import annotations

import ast
import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from faircollect.audit import checkpoint as cp
from faircollect.audit import merkle, verify
from faircollect.audit.entry import AuditEntry, LoggedEntry

KEY = Ed25519PrivateKey.generate()
AT = "2026-03-01T12:00:00.000000Z"


def _bundle(size: int = 40, first: int = 5, last: int = 30, history: tuple[int, ...] = (7, 20),
            key: Ed25519PrivateKey = KEY, n_of: Any = lambda seq: seq) -> dict[str, Any]:
    logged = []
    for seq in range(size):
        e = AuditEntry("svc", "loan.update", f"loan:{seq % 7}", {"n": n_of(seq), "note": "ünï"})
        rec = LoggedEntry(seq, AT, e.actor, e.action, e.subject, e.canonical, b"")
        logged.append(LoggedEntry(seq, AT, e.actor, e.action, e.subject, e.canonical,
                                  merkle.leaf_hash(rec.record())))
    leaves = [e.leaf for e in logged]

    def note(n: int) -> str:
        return cp.sign(cp.Checkpoint(cp.DEFAULT_ORIGIN, n, merkle.root(leaves[:n]), AT), key)

    return {
        "format": verify.BUNDLE_FORMAT,
        "verifier_key": cp.verifier_key(cp.DEFAULT_ORIGIN, key.public_key()),
        "checkpoint": note(size),
        "history": [{"checkpoint": note(n),
                     "proof": [h.hex() for h in merkle.consistency_proof(n, leaves)]}
                    for n in history],
        "first": first, "last": last,
        "entries": [{**e.to_dict(),
                     "proof": [h.hex() for h in merkle.inclusion_proof(e.seq, leaves)]}
                    for e in logged[first : last + 1]],
    }


def _run(bundle: dict[str, Any], tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    return _main([str(path), *extra])


def _main(argv: list[str]) -> tuple[int, str, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = verify.main(argv)
    return code, out.getvalue(), err.getvalue()


def test_a_clean_bundle_verifies(tmp_path: Path) -> None:
    code, out, _ = _run(_bundle(), tmp_path)
    assert code == 0 and out.strip().endswith("OK (consistency only: not verified against a "
                                              "trusted key)")
    assert "entries 5..30: 26 verified" in out
    mine = cp.verifier_key(cp.DEFAULT_ORIGIN, KEY.public_key())
    code, out, _ = _run(_bundle(), tmp_path, "--key", mine)
    assert code == 0 and out.strip().endswith("OK: verified against a trusted key")
    assert "WARNING" not in out


def test_the_log_and_the_verifier_agree_on_leaves_and_keys() -> None:
    bundle = _bundle()
    name, key = verify.parse_verifier_key(bundle["verifier_key"])
    assert name == cp.DEFAULT_ORIGIN
    head = verify.open_checkpoint(bundle["checkpoint"], name, key)
    assert head.root == cp.open_note(bundle["checkpoint"], KEY.public_key()).root
    for item in bundle["entries"]:
        e = AuditEntry(item["actor"], item["action"], item["subject"], item["payload"])
        rec = LoggedEntry(item["seq"], item["at"], e.actor, e.action, e.subject, e.canonical, b"")
        assert verify.leaf_of(item) == merkle.leaf_hash(rec.record())


def _edit(b: dict[str, Any]) -> None:
    b["entries"][3]["payload"]["n"] = 999


def _delete(b: dict[str, Any]) -> None:
    del b["entries"][4]


def _swap(b: dict[str, Any]) -> None:
    e = b["entries"]
    e[6], e[9] = e[9], e[6]


def _swap_bodies(b: dict[str, Any]) -> None:
    e = b["entries"]
    for k in ("subject", "payload"):
        e[6][k], e[9][k] = e[9][k], e[6][k]


def _truncate(b: dict[str, Any]) -> None:
    del b["entries"][-2:]


@pytest.mark.parametrize(("tamper", "first_bad"), [
    (_edit, 8), (_delete, 9), (_swap, 11), (_swap_bodies, 11), (_truncate, 29),
])
def test_each_kind_of_tampering_fails_with_the_first_bad_seq(
    tamper: Any, first_bad: int, tmp_path: Path
) -> None:
    bundle = _bundle()
    tamper(bundle)
    code, _, err = _run(bundle, tmp_path)
    assert code == 1
    assert f"first bad sequence number: {first_bad}" in err


def test_a_checkpoint_signed_by_another_key_fails(tmp_path: Path) -> None:
    bundle = _bundle()
    bundle["checkpoint"] = _bundle(key=Ed25519PrivateKey.generate())["checkpoint"]
    code, _, err = _run(bundle, tmp_path)
    assert code == 1 and "signature" in err


def test_a_pinned_key_must_match(tmp_path: Path) -> None:
    other = cp.verifier_key(cp.DEFAULT_ORIGIN, Ed25519PrivateKey.generate().public_key())
    assert _run(_bundle(), tmp_path, "--key", other)[0] == 1
    mine = cp.verifier_key(cp.DEFAULT_ORIGIN, KEY.public_key())
    assert _run(_bundle(), tmp_path, "--key", mine)[0] == 0


def test_a_rewritten_history_fails(tmp_path: Path) -> None:
    bundle = _bundle()
    forged = copy.deepcopy(bundle["history"][0])
    forged["proof"][0] = "00" * 32
    bundle["history"][0] = forged
    code, _, err = _run(bundle, tmp_path)
    assert code == 1 and "size 7" in err


def test_a_kept_checkpoint_is_checked_against_the_history(tmp_path: Path) -> None:
    bundle = _bundle()
    kept = tmp_path / "kept.note"
    kept.write_text(bundle["history"][1]["checkpoint"], encoding="utf-8")
    assert _run(bundle, tmp_path, "--checkpoint", str(kept))[0] == 0
    kept.write_text(_bundle(size=20, history=(), first=0, last=3)["checkpoint"].replace(
        "\n20\n", "\n21\n"), encoding="utf-8")
    assert _run(bundle, tmp_path, "--checkpoint", str(kept))[0] == 1


@pytest.mark.parametrize("garbage", ["[]", "{}", "not json", '{"format": "other"}'])
def test_an_unreadable_bundle_exits_2(garbage: str, tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(garbage, encoding="utf-8")
    assert _main([str(path)])[0] == 2
    assert _main([str(tmp_path / "missing.json")])[0] == 2


def test_the_verifier_runs_alone_outside_the_package(tmp_path: Path) -> None:
    # Copied out and run in isolated mode: only the standard library and cryptography.
    shutil.copy(verify.__file__, tmp_path / "verify_bundle.py")
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(_bundle()), encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", str(tmp_path / "verify_bundle.py"), str(path)],
                          capture_output=True, text=True, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    assert "WARNING: consistency only" in done.stdout
    pinned = subprocess.run([sys.executable, "-I", str(tmp_path / "verify_bundle.py"),
                             "--require-key", "--key", _fingerprint(KEY), str(path)],
                            capture_output=True, text=True, cwd=tmp_path, check=False)
    assert pinned.returncode == 0, pinned.stderr
    assert pinned.stdout.splitlines()[-1] == "OK: verified against a trusted key"
    probe = ("import sys; import faircollect.audit.verify; "
             "print(sorted(m for m in sys.modules if m.startswith('faircollect')))")
    mods = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout
    assert set(ast.literal_eval(mods)) <= {"faircollect", "faircollect.errors", "faircollect.audit",
                               "faircollect.audit.verify"}


# --- Trust: consistency only, or verified against a trusted key. ---


def _fingerprint(key: Ed25519PrivateKey) -> str:
    return cp.fingerprint(cp.DEFAULT_ORIGIN, key.public_key())


def test_without_a_trusted_key_it_says_it_only_checked_consistency(tmp_path: Path) -> None:
    code, out, err = _run(_bundle(), tmp_path)
    assert code == 0 and not err
    assert "WARNING: consistency only" in out
    assert "a log rewritten and re-signed with a new key would pass this check too" in out
    assert f"Compare this fingerprint with the one the lender publishes: {_fingerprint(KEY)}" in out
    assert out.splitlines()[-1] == "OK (consistency only: not verified against a trusted key)"
    code, out, err = _run(_bundle(), tmp_path, "--require-key")
    assert code == 1 and "WARNING: consistency only" in out
    assert "FAILED: --require-key was given, but no trusted key was" in err
    assert "OK" not in out


def _published(tmp_path: Path, form: str) -> str:
    """The lender's key as a regulator might hold it: text or a file, in each form."""
    public = KEY.public_key()
    if form == "verifier-key":
        return cp.verifier_key(cp.DEFAULT_ORIGIN, public)
    if form == "fingerprint":
        return _fingerprint(KEY)
    if form == "pem":
        return public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    path = tmp_path / "lender.key"
    path.write_text(cp.verifier_key(cp.DEFAULT_ORIGIN, public) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("form", ["verifier-key", "fingerprint", "pem", "file"])
def test_with_the_lenders_key_it_is_verified_against_a_trusted_key(
    form: str, tmp_path: Path
) -> None:
    code, out, _ = _run(_bundle(), tmp_path, "--key", _published(tmp_path, form),
                        "--require-key")
    assert code == 0, out
    assert "WARNING" not in out and "key trusted: " in out
    assert out.splitlines()[-1] == "OK: verified against a trusted key"


def _rewritten() -> dict[str, Any]:
    """The attack: entry 8 rewritten, every proof rebuilt, every checkpoint re-signed by a
    new key, which the bundle carries as its own."""
    return _bundle(key=Ed25519PrivateKey.generate(), n_of=lambda seq: 999 if seq == 8 else seq)


def test_a_log_rewritten_and_re_signed_with_a_new_key(tmp_path: Path) -> None:
    forged = _rewritten()
    assert forged["entries"][3]["payload"]["n"] == 999
    fake_fp = verify.Key(*verify.parse_verifier_key(forged["verifier_key"])).fingerprint
    # Without a trusted key it is internally consistent: the warning says what that means,
    # and the fingerprint shown is the new key's, not the lender's.
    code, out, _ = _run(forged, tmp_path)
    assert code == 0 and "WARNING: consistency only" in out
    assert fake_fp in out and _fingerprint(KEY) not in out and fake_fp != _fingerprint(KEY)
    assert _run(forged, tmp_path, "--require-key")[0] == 1
    # With the lender's key, in any form, it fails and says by which key it was signed.
    for form in ("verifier-key", "fingerprint", "pem", "file"):
        code, out, err = _run(forged, tmp_path, "--key", _published(tmp_path, form))
        assert code == 1 and "OK" not in out, form
        assert "FAILED: the bundle is signed by " in err and fake_fp in err, form
        assert "not by the trusted" in err, form
    # A checkpoint kept from the real log fails too: the new key did not sign it.
    kept = tmp_path / "kept.note"
    kept.write_text(_bundle()["history"][1]["checkpoint"], encoding="utf-8")
    code, _, err = _run(forged, tmp_path, "--checkpoint", str(kept))
    assert code == 1 and "your checkpoint: no valid signature" in err


def test_a_bundle_claiming_the_trusted_key_but_signed_by_another_fails(tmp_path: Path) -> None:
    forged = _rewritten()
    forged["verifier_key"] = cp.verifier_key(cp.DEFAULT_ORIGIN, KEY.public_key())
    code, _, err = _run(forged, tmp_path, "--key", _published(tmp_path, "fingerprint"))
    assert code == 1 and "no valid signature by key faircollect/audit+" in err


def test_a_kept_checkpoint_makes_the_key_trusted(tmp_path: Path) -> None:
    bundle = _bundle()
    kept = tmp_path / "kept.note"
    kept.write_text(bundle["history"][0]["checkpoint"], encoding="utf-8")
    code, out, _ = _run(bundle, tmp_path, "--checkpoint", str(kept), "--require-key")
    assert code == 0 and "WARNING" not in out
    assert "key trusted: it signed the checkpoint of size 7 you kept" in out


@pytest.mark.parametrize("bad", ["SHA256:abc", "faircollect/audit+c10c7983",
                                 "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"])
def test_an_unreadable_key_argument_exits_2(bad: str, tmp_path: Path) -> None:
    code, _, err = _run(_bundle(), tmp_path, "--key", bad)
    assert code == 2 and "cannot read" in err


def test_an_rsa_or_other_pem_key_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

    pem = generate_private_key(SECP256R1()).public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    code, _, err = _run(_bundle(), tmp_path, "--key", pem)
    assert code == 2 and "not an Ed25519 key" in err


# --- Strict JSON: an entry that names a key twice is ambiguous. ---


def test_an_entry_with_a_duplicate_key_fails(tmp_path: Path) -> None:
    bundle = _bundle()
    text = json.dumps(bundle, ensure_ascii=False)
    marker = '"seq": 12, '
    assert text.count(marker) == 1
    # Python's json keeps the last value (the honest one) and would verify; a reader of
    # the first sees another payload: the entry is ambiguous, so it fails.
    forged = text.replace(marker, marker + '"payload": {"n": 999, "note": "ünï"}, ', 1)
    assert verify.verify_bundle(json.loads(forged)).lines  # the naive reading passes
    path = tmp_path / "dup.json"
    path.write_text(forged, encoding="utf-8")
    code, _, err = _main([str(path)])
    assert code == 1
    assert "entry 12 is ambiguous: it names 'payload' more than once" in err
    assert "first bad sequence number: 12" in err
    # Inside the payload too.
    nested = text.replace('"n": 13, ', '"n": 13, "n": 13, ', 1)
    path.write_text(nested, encoding="utf-8")
    code, _, err = _main([str(path)])
    assert code == 1 and "entry 13 is ambiguous: it names 'n'" in err


def test_a_bundle_with_a_duplicate_top_level_key_fails(tmp_path: Path) -> None:
    bundle = _bundle()
    text = json.dumps(bundle, ensure_ascii=False)
    other = json.dumps(_rewritten()["checkpoint"], ensure_ascii=False)
    path = tmp_path / "dup.json"
    path.write_text(text.replace('{"format"', '{"checkpoint": ' + other + ', "format"', 1),
                    encoding="utf-8")
    code, _, err = _main([str(path)])
    assert code == 1 and "the bundle is ambiguous: it names 'checkpoint'" in err


def test_json_constants_are_not_strict_json(tmp_path: Path) -> None:
    text = json.dumps(_bundle()).replace('"n": 9,', '"n": NaN,', 1)
    path = tmp_path / "nan.json"
    path.write_text(text, encoding="utf-8")
    assert _main([str(path)])[0] == 2
