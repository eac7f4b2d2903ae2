"""Template lint throughput, beside a bare `re` scan of the same texts.

Figures: template lints per second on one core and on two worker processes (the target is
>= 20,000/s on 2 cores), each twice: through `lint` (memoised per distinct input, as templates
repeat) and through `lint_uncached` (every lint folds the text: full-width, traditional,
homoglyphs; builds the locale's view with offsets; scans for the lexicon's literals; runs the
rule branches that can match with their negation check, and the opt-out check). The limit is a
bare `re` search of the same bodies with the same compiled union of the lexicon's patterns,
without any normalisation: what the regex engine alone costs, measured in the same run.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from importlib import resources
from typing import Any

import yaml

from faircollect.content.lexicon import load
from faircollect.content.linter import lint, lint_uncached

TARGET = 20_000.0

# Violating and obfuscated messages mixed in with the clean starter library.
_EXTRA = [
    ("zh-CN", "borrower", "sms", "不还钱就让你全家都知道你是个骗子。"),
    ("zh-CN", "borrower", None, "检察院已对你发出逮捕令，立即还款可撤销。"),
    ("zh-CN", "designated_contact", "sms", "您好，请转告{name}尽快归还所欠的{amount}元。"),
    ("zh-CN", "borrower", "sms", "逾.期不还 就 打 断 你 的 腿"),
    ("zh-CN", "borrower", "sms", "您好，我们不会告诉您的家人或同事您的借款情况。"),
    ("en", "borrower", "sms",
     "Pay up, you lowlife, or we'll make sure your neighbours hear about it."),
    ("en", "third_party", None, "{name} has an unpaid balance with us. Tell them to pay."),
    ("en", "borrower", "email", "We will have you thrown in j.a.i.l if you do not pay by Friday."),
    ("en", "borrower", None,
     "Not paying a debt is not a crime, and you cannot be arrested for it."),
    ("en", "borrower", "sms", "Thіs is the pоlice. A warrant has been issued."),
]


def _messages() -> list[tuple[str, str, str | None, str]]:
    text = resources.files("faircollect.content").joinpath("library/starter.yaml").read_text(
        "utf-8")
    starter = [(t["locale"], t["audience"], t["channel"], t["body"])
               for t in yaml.safe_load(text)["templates"]]
    return starter + _EXTRA


def _lint_rate(msgs: list[tuple[str, str, str | None, str]], rounds: int,
               cached: bool = True) -> float:
    fn = lint if cached else lint_uncached
    for locale, audience, channel, body in msgs:  # warm the caches outside the clock
        fn(body, locale=locale, audience=audience, channel=channel)
    started = time.perf_counter()
    for _ in range(rounds):
        for locale, audience, channel, body in msgs:
            fn(body, locale=locale, audience=audience, channel=channel)
    return rounds * len(msgs) / (time.perf_counter() - started)


def _bare_re_rate(msgs: list[tuple[str, str, str | None, str]], rounds: int) -> float:
    union = {loc: load(loc).any_hit for loc in ("zh-CN", "en")}
    started = time.perf_counter()
    for _ in range(rounds):
        for locale, _a, _c, body in msgs:
            union[locale].search(body)
    return rounds * len(msgs) / (time.perf_counter() - started)


def _worker(job: tuple[int, bool]) -> float:
    rounds, cached = job
    return _lint_rate(_messages(), rounds, cached)


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Measure; one row per figure."""
    msgs = _messages()
    rounds = 100 if quick else 1_000
    one = _lint_rate(msgs, rounds)
    one_raw = _lint_rate(msgs, rounds, cached=False)
    peer = _bare_re_rate(msgs, rounds)
    with mp.get_context("spawn").Pool(2) as pool:
        two = sum(pool.map(_worker, [(rounds, True), (rounds, True)]))
        two_raw = sum(pool.map(_worker, [(rounds, False), (rounds, False)]))
    n = len(msgs) * rounds
    return [
        {
            "figure": f"template lints, uncached, 1 core ({n:,} lints)",
            "ours": one_raw, "unit": "lints/s",
            "peer": "bare re.search of the lexicon union, no normalisation", "peer_value": peer,
            "ratio": one_raw / peer, "target": None, "met": None,
        },
        {
            # The target is held against distinct texts: repeated templates hit the cache.
            "figure": f"template lints, uncached, 2 worker processes ({2 * n:,} lints)",
            "ours": two_raw, "unit": "lints/s",
            "peer": "bare re.search of the lexicon union, 1 core", "peer_value": peer,
            "ratio": two_raw / peer, "target": f">= {TARGET:,.0f}/s", "met": two_raw >= TARGET,
        },
        {
            "figure": f"template lints, cached, 1 core ({n:,} lints of {len(msgs)} zh-CN/en templates)",
            "ours": one, "unit": "lints/s",
            "peer": "bare re.search of the lexicon union, no normalisation", "peer_value": peer,
            "ratio": one / peer, "target": None, "met": None,
        },
        {
            "figure": f"template lints, cached, 2 worker processes ({2 * n:,} lints)",
            "ours": two, "unit": "lints/s",
            "peer": "bare re.search of the lexicon union, 1 core", "peer_value": peer,
            "ratio": two / peer, "target": None, "met": None,
        },
    ]


if __name__ == "__main__":
    for row in run(quick=bool(os.environ.get("QUICK"))):
        print(row)
