"""API keys: scopes, expiry, list without secrets, revoke, and a world-writable file refused."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from faircollect.api.auth import Unauthenticated, authenticate, issue_key, list_keys, revoke_key
from faircollect.errors import InputError, KeyUnavailable, NotFound


def test_list_shows_no_secret_and_revoke_refuses_the_key(tmp_path: Path) -> None:
    key = issue_key(tmp_path, actor_id="dialer", role="collector", scopes=("decide",))
    (info,) = list_keys(tmp_path)
    assert (info.actor_id, info.role, info.scopes) == ("dialer", "collector", ("decide",))
    assert authenticate(tmp_path, f"Bearer {key}").scopes == ("decide",)
    revoke_key(tmp_path, info.key_id)
    with pytest.raises(Unauthenticated):
        authenticate(tmp_path, f"Bearer {key}")
    with pytest.raises(NotFound):
        revoke_key(tmp_path, info.key_id)


def test_expired_keys_are_refused(tmp_path: Path) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    key = issue_key(tmp_path, actor_id="a", role="admin", expires_at=now + timedelta(hours=1),
                    now=now)
    assert authenticate(tmp_path, f"Bearer {key}", now=now).role == "admin"
    with pytest.raises(Unauthenticated, match="expired"):
        authenticate(tmp_path, f"Bearer {key}", now=now + timedelta(hours=2))
    with pytest.raises(InputError):
        issue_key(tmp_path, actor_id="a", role="admin", expires_at=now - timedelta(days=1),
                  now=now)
    with pytest.raises(InputError, match="scope"):
        issue_key(tmp_path, actor_id="a", role="admin", scopes=("everything",))


def test_a_world_writable_key_file_is_refused(tmp_path: Path) -> None:
    key = issue_key(tmp_path, actor_id="a", role="admin")
    os.chmod(tmp_path / "api-keys.json", 0o666)
    with pytest.raises(KeyUnavailable, match="world-writable"):
        authenticate(tmp_path, f"Bearer {key}")


def test_cli_create_list_revoke(tmp_path: Path) -> None:
    env = {**os.environ, "FAIRCOLLECT_HOME": str(tmp_path)}

    def fc(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "faircollect", "api-key", *args], env=env,
                              capture_output=True, text=True, check=False)

    made = fc("create", "--actor", "dialer", "--role", "collector", "--scope", "decide",
              "--expires", "2099-01-01T00:00:00Z")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    listed = fc("list")
    assert listed.returncode == 0 and "dialer" in listed.stdout and "decide" in listed.stdout
    assert key not in listed.stdout
    (info,) = list_keys(tmp_path)
    assert fc("revoke", info.key_id).returncode == 0
    assert fc("revoke", info.key_id).returncode == 2
