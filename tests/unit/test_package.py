"""The package's public face: a pinned API, no side effects at import, one error hierarchy."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import faircollect
from faircollect.config import Secret, load_settings, mask_url
from faircollect.errors import (
    AccessDenied,
    Conflict,
    FairCollectError,
    InputError,
    IntegrityError,
    NotFound,
    RowError,
)


def test_public_api_is_pinned() -> None:
    assert faircollect.__all__ == ["FairCollectError", "InputError", "__version__"]


def test_importing_every_module_opens_nothing_and_reads_no_settings() -> None:
    # A child process with a database URL that would fail if anything connected at import.
    code = (
        "import pkgutil, importlib, faircollect, sqlalchemy\n"
        "made = []\n"
        "orig = sqlalchemy.create_engine\n"
        "sqlalchemy.create_engine = lambda *a, **k: made.append(a) or orig(*a, **k)\n"
        "for m in pkgutil.walk_packages(faircollect.__path__, 'faircollect.'):\n"
        "    if '.migrations' in m.name or m.name.endswith('__main__') or m.name.endswith('.verify'):\n"
        "        continue\n"
        "    importlib.import_module(m.name)\n"
        "assert not made, made\n"
        "import os; print('ok')\n"
    )
    env = {"FAIRCOLLECT_DATABASE_URL": "postgresql://nobody@256.0.0.1:1/none", "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"


def test_error_hierarchy_maps_to_exit_codes() -> None:
    assert issubclass(RowError, InputError) and issubclass(NotFound, InputError)
    assert InputError("x").exit_code == 2 and Conflict("x").exit_code == 2
    assert AccessDenied("x").exit_code == 1 and IntegrityError("x").exit_code == 1
    err = RowError("unknown borrower", file="contacts.csv", line=7, column="borrower_id")
    assert str(err) == "contacts.csv:7 column borrower_id: unknown borrower"
    assert err.to_dict()["line"] == 7
    assert isinstance(err, FairCollectError)


def test_settings_defaults_and_secret_masking(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = load_settings({"FAIRCOLLECT_HOME": str(tmp_path)})
    assert s.database_url.value == f"sqlite:///{(tmp_path / 'faircollect.db').resolve()}"
    s = load_settings({"FAIRCOLLECT_DATABASE_URL": "postgresql://u:pw@h/db"})
    assert s.database_url.value.startswith("postgresql+psycopg://")
    assert "pw" not in repr(s) and "pw" not in str(s.database_url)
    assert mask_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
    assert load_settings({}, db="sqlite:///x.db").database_url.value == "sqlite:///x.db"
    assert repr(Secret("hunter2")) == "Secret('***')"


def test_every_module_is_small() -> None:
    too_big = []
    for m in pkgutil.walk_packages(faircollect.__path__, "faircollect."):
        spec = importlib.util.find_spec(m.name)
        if spec and spec.origin and spec.origin.endswith(".py"):
            with open(spec.origin, encoding="utf-8") as fh:
                if sum(1 for _ in fh) > 800:
                    too_big.append(m.name)
    assert too_big == []
