"""The PKCS#11 key provider against a fresh SoftHSM2 token (issue #13 item 2).

Skipped only when SoftHSM2 is not installed; with FAIRCOLLECT_REQUIRE_PKCS11=1 (CI) a
missing SoftHSM2 or python-pkcs11 fails instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dispatch_seed import seed_borrower
from softhsm import MODULE, PIN
from sqlalchemy import select

from faircollect.bootstrap import build_app
from faircollect.config import Secret, load_settings
from faircollect.errors import ConfigError, IntegrityError, KeyUnavailable
from faircollect.store.tables.foundation import borrowers, data_keys
from faircollect.vault.keys import LocalKeyring


def _provider(token: dict[str, str], home: Path) -> Any:
    from faircollect.vault.pkcs11 import Pkcs11Provider

    return Pkcs11Provider(MODULE, token["FAIRCOLLECT_PKCS11_TOKEN"], Secret(PIN),
                          LocalKeyring.open(home))


def test_wrap_unwrap_round_trip_is_bound_to_its_context(token: dict[str, str],
                                                        tmp_path: Path) -> None:
    p = _provider(token, tmp_path)
    key = os.urandom(32)
    master, blob = p.wrap(key, context=b"borrower:b-1")
    assert master.startswith("hsm-") and master == p.current_master_id()
    assert key not in blob and len(blob) == 12 + 32 + 16
    assert p.unwrap(master, blob, context=b"borrower:b-1") == key
    with pytest.raises(IntegrityError):
        p.unwrap(master, blob, context=b"borrower:b-2")
    assert p.wrap(key, context=b"borrower:b-1")[1] != blob  # a fresh IV each time
    assert PIN not in repr(p)


def test_master_keys_are_sensitive_and_never_leave_the_token(token: dict[str, str],
                                                             tmp_path: Path) -> None:
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    p = _provider(token, tmp_path)
    p.rotate()
    lib = pkcs11.lib(MODULE)
    # The provider logged this process in already (PKCS#11 login is per process).
    with lib.get_token(token_label=token["FAIRCOLLECT_PKCS11_TOKEN"]).open() as s:
        keys = [k for k in s.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY})
                if str(k.label).startswith("faircollect-mk-")]
        assert len(keys) == 2
        for k in keys:
            assert k[Attribute.SENSITIVE] is True and k[Attribute.EXTRACTABLE] is False
            assert k[Attribute.TOKEN] is True and k[Attribute.VALUE_LEN] == 32
            with pytest.raises(pkcs11.exceptions.AttributeSensitive):
                k[Attribute.VALUE]


def test_a_rotation_in_one_instance_is_seen_by_another(token: dict[str, str],
                                                       tmp_path: Path) -> None:
    a, b = _provider(token, tmp_path), _provider(token, tmp_path)
    assert a.current_master_id() == b.current_master_id()
    new = a.rotate()
    # An unknown master id is looked up on the token once before failing.
    master, blob = a.wrap(b"k" * 32, context=b"c")
    assert master == new
    assert b.unwrap(new, blob, context=b"c") == b"k" * 32
    b.refresh()
    assert b.current_master_id() == new
    with pytest.raises(KeyUnavailable):
        b.unwrap("hsm-00000000deadbeef", blob, context=b"c")


def test_a_rotation_in_another_process_is_seen(token: dict[str, str], tmp_path: Path) -> None:
    a = _provider(token, tmp_path)
    old = a.current_master_id()
    code = (
        "import sys; from pathlib import Path\n"
        "from faircollect.config import Secret\n"
        "from faircollect.vault.keys import LocalKeyring\n"
        "from faircollect.vault.pkcs11 import Pkcs11Provider\n"
        "p = Pkcs11Provider(sys.argv[1], sys.argv[2], Secret(sys.argv[3]),"
        " LocalKeyring.open(Path(sys.argv[4])))\n"
        "print(p.rotate())\n"
    )
    out = subprocess.run([sys.executable, "-c", code, MODULE, token["FAIRCOLLECT_PKCS11_TOKEN"],
                          PIN, str(tmp_path)], env={**os.environ, **token},
                         capture_output=True, text=True, timeout=120, check=True)
    new = out.stdout.strip()
    assert new.startswith("hsm-") and new != old
    assert a.refresh()
    assert a.current_master_id() == new and a.wrap(b"k" * 32, context=b"c")[0] == new


def test_retire_destroys_the_token_object(token: dict[str, str], tmp_path: Path) -> None:
    a = _provider(token, tmp_path)
    old, blob = a.wrap(b"s" * 32, context=b"c")
    a.rotate()
    with pytest.raises(KeyUnavailable):
        a.retire(a.current_master_id())
    a.retire(old)
    assert old not in a.master_ids()
    for p in (a, _provider(token, tmp_path)):
        with pytest.raises(KeyUnavailable):
            p.unwrap(old, blob, context=b"c")
    import pkcs11
    from pkcs11 import Attribute

    with pkcs11.lib(MODULE).get_token(
            token_label=token["FAIRCOLLECT_PKCS11_TOKEN"]).open() as s:
        label = "faircollect-mk-" + old.removeprefix("hsm-")
        assert list(s.get_objects({Attribute.LABEL: label})) == []


def test_configuration_errors_are_one_line_and_never_show_the_pin(
        token: dict[str, str], tmp_path: Path) -> None:
    from faircollect.vault.pkcs11 import Pkcs11Provider

    ring = LocalKeyring.open(tmp_path)
    label = token["FAIRCOLLECT_PKCS11_TOKEN"]
    with pytest.raises(KeyUnavailable, match="not found") as e1:
        Pkcs11Provider("/nonexistent/libnothing.so", label, Secret(PIN), ring)
    with pytest.raises(KeyUnavailable, match="not found") as e2:
        Pkcs11Provider(MODULE, "no-such-token", Secret(PIN), ring)
    with pytest.raises(KeyUnavailable, match="refused the PIN") as e3:
        Pkcs11Provider(MODULE, label, Secret("wrong-pin-0000"), ring)
    for e in (e1, e2, e3):
        assert "\n" not in str(e.value) and PIN not in str(e.value)
        assert "wrong-pin-0000" not in str(e.value)
    settings = load_settings({**token, "FAIRCOLLECT_HOME": str(tmp_path)})
    assert settings.key_provider == "pkcs11" and PIN not in repr(settings)
    with pytest.raises(ConfigError):
        load_settings({"FAIRCOLLECT_KEY_PROVIDER": "vault9000"})


@pytest.fixture
def pkcs11_env(token: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    home = tmp_path / "home"
    env = {**os.environ, **token, "FAIRCOLLECT_HOME": str(home),
           "FAIRCOLLECT_DATABASE_URL": f"sqlite:///{home / 'fc.db'}"}
    yield env


def test_vault_round_trip_and_cli_rotation_under_pkcs11(pkcs11_env: dict[str, str]) -> None:
    settings = load_settings(pkcs11_env)
    app = build_app(settings)
    ids = [f"b-{i}" for i in range(4)]
    for i, b in enumerate(ids):
        seed_borrower(app, b, phone=f"+44770090000{i}", email=f"p{i}@example.test")
    with app.store.read() as conn:
        first = set(conn.execute(select(data_keys.c.master_key_id)).scalars())
    assert len(first) == 1 and next(iter(first)).startswith("hsm-")
    app.store.dispose()

    run = subprocess.run([sys.executable, "-m", "faircollect", "keys", "rotate"],
                         env=pkcs11_env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 data keys rewrapped" in run.stdout and next(iter(first)) in run.stdout

    app = build_app(load_settings(pkcs11_env))
    try:
        with app.store.read() as conn:
            masters = set(conn.execute(select(data_keys.c.master_key_id)).scalars())
            assert masters == {app.keys.current_master_id()} and not masters & first
            assert app.keys.master_ids() == sorted(masters)  # the old master was destroyed
            ciphers = app.vault.ciphers(conn, ids)
            for i, b in enumerate(ids):
                ct = conn.execute(select(borrowers.c.email_ct)
                                  .where(borrowers.c.borrower_id == b)).scalar_one()
                assert app.vault.open(ciphers[b], ct, "borrowers", "email", b) == \
                    f"p{i}@example.test"
    finally:
        app.store.dispose()

    # The shred step destroys every older master on the token too.
    run = subprocess.run([sys.executable, "-m", "faircollect", "keys", "shred", "--force"],
                         env=pkcs11_env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    app = build_app(load_settings(pkcs11_env))
    try:
        assert len(app.keys.master_ids()) == 1 and not set(app.keys.master_ids()) & masters
        with app.store.read() as conn:
            assert set(app.vault.ciphers(conn, ids)) == set(ids)
    finally:
        app.store.dispose()


@pytest.mark.parametrize(("override", "says"), [
    ({"FAIRCOLLECT_PKCS11_PIN": "wrong-pin-0000"}, "refused the PIN"),
    ({"FAIRCOLLECT_PKCS11_MODULE": "/nonexistent/libnothing.so"}, "module"),
    ({"FAIRCOLLECT_PKCS11_TOKEN": "no-such-token"}, "token 'no-such-token' not found"),
], ids=["wrong-pin", "missing-module", "missing-token"])
def test_cli_reports_pkcs11_problems_in_one_line(pkcs11_env: dict[str, str],
                                                 override: dict[str, str], says: str) -> None:
    env = {**pkcs11_env, **override}
    LocalKeyring.open(Path(env["FAIRCOLLECT_HOME"]))  # its one-time creation notice aside
    run = _cli(env, "keys", "status")
    assert run.returncode == 1, run.stdout + run.stderr
    out = (run.stdout + run.stderr).strip()
    assert says in out and "Traceback" not in out
    assert len(out.splitlines()) == 1, out
    assert "wrong-pin-0000" not in out and PIN not in out


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "faircollect", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def _opens_on_token(p: Any, borrower_id: str, wrapped: bytes) -> bool:
    """Whether any master key now on the token unwraps this data key."""
    from faircollect.vault.envelope import data_key_context

    p.refresh()
    for master in p.master_ids():
        try:
            p.unwrap(master, wrapped, context=data_key_context(borrower_id))
            return True
        except (IntegrityError, KeyUnavailable):
            continue
    return False


def test_cli_generate_import_rotate_erase_shred_under_pkcs11(
        pkcs11_env: dict[str, str], tmp_path: Path) -> None:
    env, book = pkcs11_env, tmp_path / "book"
    for args in (("generate", str(book), "--borrowers", "12"), ("import", str(book)),
                 ("keys", "rotate")):
        run = _cli(env, *args)
        assert run.returncode == 0, (args, run.stdout + run.stderr)
    app = build_app(load_settings(env))
    try:
        with app.store.read() as conn:
            rows = {r.borrower_id: (r.master_key_id, bytes(r.wrapped_key)) for r in
                    conn.execute(select(data_keys.c.borrower_id, data_keys.c.master_key_id,
                                        data_keys.c.wrapped_key))}
    finally:
        app.store.dispose()
    assert len(rows) == 12 and all(m.startswith("hsm-") for m, _ in rows.values())
    ids = sorted(rows)
    erased, kept = ids[3], [b for b in ids if b != ids[3]]
    old_blob = rows[erased][1]  # as a backup taken before the erasure holds it

    done = _cli(env, "subject", "erase", erased, "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    probe = _provider(pkcs11_env, Path(env["FAIRCOLLECT_HOME"]))
    assert _opens_on_token(probe, erased, old_blob)  # the window until the shred step
    shred = _cli(env, "keys", "shred")
    assert shred.returncode == 0, shred.stdout + shred.stderr
    assert "1 erased data key(s) no longer open from any older copy" in shred.stdout
    assert not _opens_on_token(probe, erased, old_blob)
    assert not any(_opens_on_token(probe, b, blob) for b, (_, blob) in rows.items())

    app = build_app(load_settings(env))
    try:
        assert app.keys.master_ids() == probe.master_ids() and len(probe.master_ids()) == 1
        with app.store.read() as conn:
            ciphers = app.vault.ciphers(conn, ids)
            assert set(ciphers) == set(kept)
            for b in kept:
                ct = conn.execute(select(borrowers.c.email_ct)
                                  .where(borrowers.c.borrower_id == b)).scalar_one()
                if ct is not None:
                    assert "@" in app.vault.open(ciphers[b], ct, "borrowers", "email", b)
            master_now, blob_now = conn.execute(
                select(data_keys.c.master_key_id, data_keys.c.wrapped_key)
                .where(data_keys.c.borrower_id == kept[0])).one()
            assert probe.unwrap(master_now, bytes(blob_now), context=__import__(
                "faircollect.vault.envelope", fromlist=["x"]).data_key_context(kept[0]))
    finally:
        app.store.dispose()


def test_an_empty_token_beside_existing_data_keys_is_refused(
        pkcs11_env: dict[str, str], token_pool: tuple[Path, list[str]]) -> None:
    app = build_app(load_settings(pkcs11_env))
    seed_borrower(app)
    app.store.dispose()
    assert token_pool[1], "raise TOKENS"
    other = {**pkcs11_env, "FAIRCOLLECT_PKCS11_TOKEN": token_pool[1].pop(0)}
    with pytest.raises(KeyUnavailable, match="holds no FairCollect master key"):
        build_app(load_settings(other))


def test_a_rotation_on_a_host_whose_clock_runs_behind_still_becomes_current(
        token: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import faircollect.vault.pkcs11 as mod

    p = _provider(token, tmp_path)
    before = p.current_master_id()
    monkeypatch.setattr(mod.time, "time_ns", lambda: 1)  # 1970, far behind the token's masters
    new = p.rotate()
    assert new > before and p.current_master_id() == new
