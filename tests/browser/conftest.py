"""One demo server and one Chromium per test module (see harness.py), closed when the module
ends: Playwright's sync API keeps an asyncio loop running in the test process while it is
open, which would break later tests that call asyncio.run. Skips when Debian's chromium is
not installed (CI installs it: .ci/run), or fails when CI=true."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.Demo]:
    if not Path(harness.CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{harness.CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{harness.CHROMIUM} is not installed (apt-get install -y chromium)")
    d = harness.start(tmp_path_factory.mktemp("web-demo") / "home")
    try:
        yield d
    finally:
        harness.stop(d)


@pytest.fixture(scope="module")
def browser(demo: harness.Demo) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = harness.launch(p)
        try:
            yield b
        finally:
            b.close()


def _signed_in(browser: Any, demo: harness.Demo, username: str) -> Iterator[Any]:
    ctx = browser.new_context(locale="en-US")
    page = ctx.new_page()
    harness.staff_sign_in(page, demo, username)
    try:
        yield page
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def compliance(browser: Any, demo: harness.Demo) -> Iterator[Any]:
    yield from _signed_in(browser, demo, "demo-compliance")


@pytest.fixture(scope="module")
def collector(browser: Any, demo: harness.Demo) -> Iterator[Any]:
    yield from _signed_in(browser, demo, "demo-collector")
