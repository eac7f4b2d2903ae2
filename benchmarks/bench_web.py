"""Server-side time of the web faces' pages on a real `faircollect serve` (loopback).

    .venv/bin/python benchmarks/bench_web.py [--quick] [--borrowers N] [--requests N]

Makes a demo portfolio, signs in as the demo compliance officer over HTTP (CSRF and TOTP
like a browser), then times sequential GETs of each main console page and prints the
median and p95 per page, with the HTML size. --quick: 40 borrowers, 5 requests a page.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))
import harness  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--borrowers", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    borrowers, n = (40, 5) if args.quick else (args.borrowers, args.requests)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        demo = harness.start(Path(tmp) / "home", borrowers=borrowers, days=8)
        print(f"demo portfolio of {borrowers} borrowers and server up in "
              f"{time.perf_counter() - started:.1f} s")
        try:
            with httpx.Client(base_url=demo.url, timeout=60) as c:
                page = c.get("/console/sign-in").text
                token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
                r = c.post("/console/sign-in", data={
                    "csrf": token, "username": "demo-compliance",
                    "password": demo.passwords["demo-compliance"],
                    "code": demo.code("demo-compliance")})
                assert r.status_code in (200, 303), r.status_code
                bid = re.search(r'href="/console/cases/([^"]+)"',
                                c.get("/console/queue").text).group(1)  # type: ignore[union-attr]
                pages = ("/console", "/console/queue", f"/console/cases/{bid}",
                         f"/console/cases/{bid}/next", "/console/templates",
                         "/console/complaints", demo.contact_path)
                print(f"{'page':<34} {'median ms':>10} {'p95 ms':>8} {'KiB':>6}")
                for p in pages:
                    times, size = [], 0
                    for _ in range(n):
                        t0 = time.perf_counter()
                        resp = c.get(p)
                        times.append((time.perf_counter() - t0) * 1000)
                        assert resp.status_code == 200, (p, resp.status_code)
                        size = len(resp.content)
                    times.sort()
                    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
                    name = p if not p.startswith("/contact/") else "/contact/{token}"
                    name = name.replace(bid, "{id}")
                    print(f"{name:<34} {statistics.median(times):>10.1f} {p95:>8.1f} "
                          f"{size / 1024:>6.1f}")
        finally:
            harness.stop(demo)


if __name__ == "__main__":
    main()
