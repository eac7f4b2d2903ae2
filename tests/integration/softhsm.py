"""SoftHSM2, the software token the PKCS#11 key provider is tested against.

Tests that need it are skipped only when SoftHSM2 or python-pkcs11 is missing; with
FAIRCOLLECT_REQUIRE_PKCS11=1 (CI) a missing one fails instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "4821-user-pin"
SO_PIN = "9173-so-pin"
REQUIRED = os.environ.get("FAIRCOLLECT_REQUIRE_PKCS11") == "1"


def unavailable() -> str | None:
    """Why the token cannot be used here, or None."""
    if not os.path.isfile(MODULE):
        return f"SoftHSM2 is not installed ({MODULE} absent; apt-get install softhsm2)"
    if shutil.which("softhsm2-util") is None:
        return "softhsm2-util is not on PATH (apt-get install softhsm2)"
    try:
        import pkcs11  # noqa: F401
    except ImportError:
        return "python-pkcs11 is not installed (pip install -e '.[dev]')"
    return None


def init_token(conf: Path, label: str) -> None:
    """Initialise a free slot of the token directory named by `conf` as `label`."""
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label,
                    "--so-pin", SO_PIN, "--pin", PIN], check=True, capture_output=True,
                   env={**os.environ, "SOFTHSM2_CONF": str(conf)}, timeout=60)
