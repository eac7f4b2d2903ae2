"""Policy decision point: scalar and vectorised decide beside cedarpy in the same run.

Figures: scalar decide (microseconds per request, from parsed input; target <= 50 us), the
vectorised decide over 1M requests (decisions per second; target >= 5,000,000) and cedarpy's
`is_authorized_batch` on the equivalent subset of rules (hours, holds, cease/opt-out, connected
cap, consent) with the context precomputed, which is the peer both are set beside.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from faircollect.policy import decide, parse_request, resolve_pack
from faircollect.policy.batch import SCHEMAS, RequestBatch
from faircollect.policy.vector import decide_frame

ZONES = ["Asia/Shanghai", "Asia/Urumqi", "America/New_York", "America/Chicago",
         "Europe/London", "America/Los_Angeles"]
BODIES = [
    "Hi {name}, your payment of {amount} is late. Pay in the app. Reply STOP to opt out.",
    "{name}您好，您本期账单{amount}元尚未还清，请通过App还款，回复TD退订。",
    "We need to reach {name} about an urgent matter. Please ask them to call {hotline}.",
    "您好，我们是{company}，有事需联系{name}，请转告其回电{hotline}。",
]
T0 = datetime(2026, 5, 11, tzinfo=UTC)


def synthetic_batch(n: int, seed: int = 7) -> RequestBatch:
    """n requests with about 2 history entries each, built directly as frames."""
    rnd = random.Random(seed)
    base = int(T0.timestamp() * 1_000_000)
    day = 86_400 * 1_000_000
    at = [base + rnd.randrange(14 * day) for _ in range(n)]
    audience = ["borrower" if rnd.random() < 0.85 else "designated_contact" for _ in range(n)]
    req = pl.DataFrame({
        "row": pl.int_range(n, eager=True, dtype=pl.UInt32),
        "at": pl.Series(at, dtype=pl.Int64).cast(pl.Datetime("us", "UTC")),
        "timezone": [ZONES[i % len(ZONES)] for i in range(n)],
        "channel": [rnd.choice(("call", "call", "sms", "email")) for _ in range(n)],
        "audience": audience,
        "purpose": ["collection" if a == "borrower" else "locate" for a in audience],
        "contact_id": [None if a == "borrower" else "c-1" for a in audience],
        "template_id": ["t-1"] * n,
        "template_approved": [rnd.random() < 0.98 for _ in range(n)],
        "template_locale": ["en"] * n,
        "template_body": [BODIES[(0 if a == "borrower" else 2) + i % 2]
                          for i, a in enumerate(audience)],
        "unreachable_since": pl.Series(
            [x - 5 * day if a != "borrower" else None for x, a in zip(at, audience, strict=True)],
            dtype=pl.Int64).cast(pl.Datetime("us", "UTC")),
    })
    hist_rows = [r for r in range(n) for _ in range(rnd.choice((0, 1, 2, 3, 4)))]
    history = pl.DataFrame({
        "row": pl.Series(hist_rows, dtype=pl.UInt32),
        "at": pl.Series([at[r] - rnd.randrange(8 * day) for r in hist_rows],
                        dtype=pl.Int64).cast(pl.Datetime("us", "UTC")),
        "channel": ["call"] * len(hist_rows),
        "audience": ["borrower"] * len(hist_rows),
        "contact_id": pl.Series([None] * len(hist_rows), dtype=pl.String),
        "outcome": [rnd.choice(("connected", "no_answer", "busy")) for _ in hist_rows],
    })
    contact_rows = [r for r in range(n) if audience[r] != "borrower"]
    ts = pl.Datetime("us", "UTC")
    consents = pl.DataFrame({
        "row": pl.Series(contact_rows, dtype=pl.UInt32),
        "purpose": ["contact_designated_contact"] * len(contact_rows),
        "contact_id": ["c-1"] * len(contact_rows),
        "granted_at": pl.Series([at[r] - 60 * day for r in contact_rows]).cast(ts),
        "expires_at": pl.Series([at[r] + rnd.choice((-1, 1)) * day for r in contact_rows])
        .cast(ts),
        "withdrawn_at": pl.Series([None] * len(contact_rows), dtype=ts),
    })
    flag_rows = [r for r in range(n) if rnd.random() < 0.03]
    return RequestBatch(
        requests=req,
        flags=pl.DataFrame({"row": pl.Series(flag_rows, dtype=pl.UInt32),
                            "flag": [rnd.choice(("dispute_open", "vulnerable", "cease_requested"))
                                     for _ in flag_rows]}),
        opted_out=pl.DataFrame(schema=SCHEMAS["opted_out"]),
        windows=pl.DataFrame(schema=SCHEMAS["windows"]),
        contacts=pl.DataFrame({
            "row": pl.Series(contact_rows, dtype=pl.UInt32), "id": ["c-1"] * len(contact_rows),
            "source": ["borrower_designated"] * len(contact_rows),
            "refused": [False] * len(contact_rows)}),
        consents=consents,
        history=history,
        notices=pl.DataFrame({
            "row": pl.Series(contact_rows, dtype=pl.UInt32),
            "at": pl.Series([at[r] - 4 * day for r in contact_rows]).cast(ts),
            "kind": ["escalation_notice"] * len(contact_rows)}),
    ).checked()


def _scalar_requests(k: int) -> list[dict[str, Any]]:
    rnd = random.Random(3)
    out = []
    for i in range(k):
        at = T0 + timedelta(minutes=rnd.randrange(14 * 24 * 60))
        out.append({
            "jurisdiction": ("CN", "US", "UK")[i % 3], "at": at.isoformat(),
            "attempt": {"channel": "call", "audience": "borrower", "purpose": "collection",
                        "contact_id": None,
                        "template": {"id": "t-1", "approved": True, "locale": "en",
                                     "body": BODIES[0]}},
            "borrower": {"timezone": ZONES[i % len(ZONES)], "days_past_due": 20,
                         "unreachable_since": None, "flags": [], "opted_out_channels": [],
                         "agreed_windows": []},
            "contacts": [], "consents": [],
            "history": [
                {"at": (at - timedelta(hours=rnd.randrange(1, 190))).isoformat(),
                 "channel": "call", "audience": "borrower", "contact_id": None,
                 "outcome": rnd.choice(("connected", "no_answer"))}
                for _ in range(rnd.randrange(5))
            ],
            "notices": [],
        })
    return out


_CEDAR_POLICIES = """
permit(principal, action == Action::"contact", resource)
  when { context.sod >= 28800 && context.sod < 79200 };
forbid(principal, action, resource)
  when { context.flags.containsAny(["dispute_open", "bankruptcy", "deceased",
         "attorney_represented", "breathing_space", "hardship_pause", "cease_requested"]) };
forbid(principal, action, resource) when { context.opted_out.contains(context.channel) };
forbid(principal, action, resource)
  when { context.channel == "call" && context.connected_today >= 3 };
forbid(principal, action, resource)
  when { context.audience != "borrower" && !context.consent_valid };
"""


def _cedar_rate(k: int) -> float:
    import cedarpy

    rnd = random.Random(5)
    reqs = [{
        "principal": 'Collector::"agent"', "action": 'Action::"contact"',
        "resource": f'Borrower::"b{i}"',
        "context": {"sod": rnd.randrange(86_400), "flags": [], "opted_out": [],
                    "channel": "call", "connected_today": rnd.randrange(5),
                    "audience": "borrower", "consent_valid": True},
    } for i in range(k)]
    policies = cedarpy.PolicySet.from_str(_CEDAR_POLICIES)
    entities = cedarpy.Entities.from_json_str("[]")
    t = time.perf_counter()
    cedarpy.is_authorized_batch(reqs, policies, entities)
    return k / (time.perf_counter() - t)


def _row(figure: str, ours: float, unit: str, peer: str, peer_value: float, target: str,
         met: bool, ratio: float) -> dict[str, Any]:
    return {"figure": figure, "ours": round(ours, 3), "unit": unit, "peer": peer,
            "peer_value": round(peer_value, 3), "ratio": round(ratio, 2), "target": target,
            "met": met}


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Measure and return the table rows."""
    cedar = _cedar_rate(5_000 if quick else 20_000)
    raw = _scalar_requests(300 if quick else 3_000)
    parsed = [parse_request(r) for r in raw]
    packs = [resolve_pack(r.jurisdiction) for r in parsed]
    for r, pk in zip(parsed, packs, strict=True):  # warm caches
        decide(r, pk)
    rounds = 3 if quick else 10
    t = time.perf_counter()
    for _ in range(rounds):
        for r, pk in zip(parsed, packs, strict=True):
            decide(r, pk)
    us = (time.perf_counter() - t) / (rounds * len(parsed)) * 1e6
    rows = [_row("scalar decide (per request, parsed input)", us, "us/request",
                 "cedarpy is_authorized_batch", 1e6 / cedar, "<= 50 us", us <= 50,
                 (1e6 / cedar) / us)]
    n = 100_000 if quick else 1_000_000
    batch = synthetic_batch(n)
    pack = resolve_pack("US")
    decide_frame(_head(batch, 1000), pack)  # warm
    for lists, what in ((True, "rule and category lists"), (False, "rule bit mask")):
        best = float("inf")
        for _ in range(1 if quick else 3):
            t = time.perf_counter()
            decide_frame(batch, pack, lists=lists)
            best = min(best, time.perf_counter() - t)
        rate = n / best
        rows.append(_row(f"vectorised decide, {n:,} requests ({what})", rate, "decisions/s",
                         "cedarpy is_authorized_batch", cedar, ">= 5,000,000/s",
                         rate >= 5_000_000, rate / cedar))
    return rows


def _head(batch: RequestBatch, k: int) -> RequestBatch:
    keep = pl.col("row") < k
    return RequestBatch(**{name: getattr(batch, name).filter(keep) for name in SCHEMAS})


if __name__ == "__main__":
    import os
    import sys

    from rich.console import Console
    from rich.table import Table

    table = Table("figure", "ours", "unit", "peer", "peer value", "ratio", "target", "met")
    before = os.getloadavg()
    rows = run(quick="--quick" in sys.argv)
    after = os.getloadavg()
    for r in rows:
        table.add_row(r["figure"], f"{r['ours']:,}", r["unit"], r["peer"],
                      f"{r['peer_value']:,}", f"{r['ratio']}", r["target"], str(r["met"]))
    Console().print(table)
    # The machine may be shared: the 1-minute load average says how noisy these figures are.
    Console().print(f"load average (1, 5, 15 min): before {before[0]:.2f} {before[1]:.2f} "
                    f"{before[2]:.2f}, after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}; "
                    f"{os.cpu_count()} CPUs", highlight=False)
