"""Fixtures shared by the integration tests: SoftHSM2 tokens for the PKCS#11 key provider."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from softhsm import MODULE, PIN, REQUIRED, init_token, unavailable

TOKENS = 16  # one fresh token per test; see `token_pool`


@pytest.fixture(scope="session")
def token_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    """Fresh SoftHSM2 tokens in a tmp token directory, made before this process loads the module.

    SoftHSM reads its configuration and lists its tokens when the module is initialised,
    once per process: a token initialised later is not seen by this process. So the tokens
    of the whole session are made up front, and each test takes an unused one.
    """
    problem = unavailable()
    if problem:
        if REQUIRED:
            pytest.fail(f"FAIRCOLLECT_REQUIRE_PKCS11=1 but {problem}")
        pytest.skip(problem)
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n", encoding="utf-8")
    labels = [f"fc-test-{i}-{secrets.token_hex(3)}" for i in range(TOKENS)]
    for label in labels:
        init_token(conf, label)
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    yield conf, labels
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture
def token(token_pool: tuple[Path, list[str]]) -> dict[str, str]:
    """The environment that points FairCollect at a fresh token of its own."""
    conf, labels = token_pool
    assert labels, "raise TOKENS: every pre-made SoftHSM2 token is used"
    label = labels.pop(0)
    return {"SOFTHSM2_CONF": str(conf), "FAIRCOLLECT_KEY_PROVIDER": "pkcs11",
            "FAIRCOLLECT_PKCS11_MODULE": MODULE, "FAIRCOLLECT_PKCS11_TOKEN": label,
            "FAIRCOLLECT_PKCS11_PIN": PIN}
