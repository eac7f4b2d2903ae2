"""Files holding personal data are written 0600 and FAIRCOLLECT_HOME is made 0700, whatever
the umask; a home open to others is named in one warning line."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from faircollect.private import ensure_private_dir, write_private, wrote


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o022, 0o000])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def test_private_files_and_folders_under_a_permissive_umask(umask: int, tmp_path: Path) -> None:
    home = ensure_private_dir(tmp_path / "a" / "home")
    assert _mode(home) == 0o700
    out = tmp_path / "export.json"
    out.write_text("old")
    os.chmod(out, 0o644)  # a file already there, readable by all, is replaced
    assert _mode(write_private(out, b"{}")) == 0o600 and out.read_bytes() == b"{}"
    assert wrote(out) == f"wrote {out} (0600)"
    assert _mode(write_private(tmp_path / "new.json", b"{}")) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_an_open_home_is_named_in_one_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    home = tmp_path / "open"
    home.mkdir()
    os.chmod(home, 0o755)
    with caplog.at_level(logging.WARNING, "faircollect.private"):
        ensure_private_dir(home, "FAIRCOLLECT_HOME")
        ensure_private_dir(home, "FAIRCOLLECT_HOME")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [f"FAIRCOLLECT_HOME {home} is open to group or others (mode 755); "
                     f"run chmod 700 {home}"]


def test_subject_export_report_audit_export_and_file_channel(
    umask: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from _privacy_seed import seed

    from faircollect.bootstrap import build_app
    from faircollect.cli import main
    from faircollect.config import load_settings
    from faircollect.dispatch.channels.file import FileChannel

    home = tmp_path / "fresh-home"
    monkeypatch.setenv("FAIRCOLLECT_HOME", str(home))
    monkeypatch.delenv("FAIRCOLLECT_DATABASE_URL", raising=False)
    monkeypatch.setenv("FAIRCOLLECT_ACTOR", "tester")
    app = build_app(load_settings())
    try:
        seed(app)
    finally:
        app.store.dispose()
    assert _mode(home) == 0o700
    out = tmp_path / "b-1.json"
    capsys.readouterr()
    assert main(["subject", "export", "b-1", "--out", str(out)]) == 0
    assert _mode(out) == 0o600
    assert f"wrote {out} (0600)" in capsys.readouterr().err
    bundle = tmp_path / "audit.bundle"
    assert main(["audit", "export", str(bundle)]) == 0
    assert _mode(bundle) == 0o600
    assert f"wrote {bundle} (0600)" in capsys.readouterr().err
    channel = FileChannel(tmp_path / "sent")
    channel.close()
    assert _mode(tmp_path / "sent") == 0o700 and _mode(channel.path) == 0o600
