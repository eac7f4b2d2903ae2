"""`faircollect web staff-add | demo-code | contact-link` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FAIRCOLLECT = Path(sys.executable).with_name("faircollect")


def _run(home: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAIRCOLLECT_HOME": str(home)}
    env.pop("FAIRCOLLECT_DATABASE_URL", None)
    if password is not None:
        env["FAIRCOLLECT_STAFF_PASSWORD"] = password
    return subprocess.run([str(FAIRCOLLECT), *args], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)


def test_staff_add_prints_the_totp_uri_once_and_refuses_bad_input(tmp_path: Path) -> None:
    home = tmp_path / "home"
    made = _run(home, "web", "staff-add", "--username", "li.wei", "--role", "compliance",
                "--json", password="a long enough passphrase")
    assert made.returncode == 0, made.stderr
    out = json.loads(made.stdout)
    assert out["role"] == "compliance" and out["totp_uri"].startswith("otpauth://totp/")
    assert "passphrase" not in made.stdout + made.stderr
    again = _run(home, "web", "staff-add", "--username", "li.wei", "--role", "compliance",
                 password="a long enough passphrase")
    assert again.returncode == 2 and "exists" in again.stderr
    short = _run(home, "web", "staff-add", "--username", "x", "--role", "compliance",
                 password="short")
    assert short.returncode == 2 and "password" in short.stderr
    role = _run(home, "web", "staff-add", "--username", "y", "--role", "borrower",
                password="a long enough passphrase")
    assert role.returncode == 2 and "role" in role.stderr
    code = _run(home, "web", "demo-code", "li.wei")  # a real account's code never shows
    assert code.returncode == 2 and "demo" in code.stderr
    link = _run(home, "web", "contact-link", "c-none", "--lender", "Acme")
    assert link.returncode == 2 and "contact" in link.stderr
