"""Figures of the linter on the held-out set built from public reports.

Each row is a message paraphrased from a press or regulator report on loan-app harassment in
India, Nigeria, Kenya, the Philippines or Indonesia (its `source` names the report), or a lawful
reminder written for the set (`kind: compliant`).

The set has two parts, in two files:

- the **tuning part** (`reports/reports_corpus.jsonl`, `split: tune`): rules may be widened on
  it. A new round's tuning rows are measured once before tuning (their blind figure, recorded in
  `reports/rounds.jsonl`), then marked `measured_in_round` and held at 100 % as a regression
  floor;
- the **sealed part** (`reports/sealed.jsonl`, `split: sealed`): never tuned on. Its figures
  are only ever computed as counts; this module never builds a string holding a sealed row's
  text, id or findings, so neither the tests nor this script can print one. The script prints
  only the *recorded* sealed figures: measuring the sealed part is `--seal-record`, which
  appends what it measured to `reports/sealed_rounds.jsonl`, so every look is on record.

Which part a row of round `SEALED_FROM_ROUND` or later belongs to is decided by its id alone
(`is_sealed`: the first byte of SHA-256 of `SEAL_SALT:id` below 128, so about half), never by
its text or by a person; `--admit` files a new round's rows by that rule. Rows of earlier rounds
were tuned on before the split existed, so they are all in the tuning part.

A violating message is caught when every category in its `expect` is found; a compliant
message is a false alarm when anything is found.

    python tests/unit/content/reports_figures.py             # tuning figures, recorded sealed ones
    python tests/unit/content/reports_figures.py --misses    # and the tuning part's misses
    python tests/unit/content/reports_figures.py --admit NEW.jsonl   # file a new round
    python tests/unit/content/reports_figures.py --record N  # round N's blind tuning figures
    python tests/unit/content/reports_figures.py --seal-record N --when before|after
    python tests/unit/content/reports_figures.py --write-docs  # refresh docs/content-rules.md
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faircollect.content.linter import lexicon_version, lint

HERE = Path(__file__).parent
CORPUS = HERE / "reports" / "reports_corpus.jsonl"
SEALED = HERE / "reports" / "sealed.jsonl"
ROUNDS = HERE / "reports" / "rounds.jsonl"
SEALED_ROUNDS = HERE / "reports" / "sealed_rounds.jsonl"
DOCS = HERE.parents[2] / "docs" / "content-rules.md"
SEAL_SALT = "faircollect-reports-seal-v1"
SEALED_FROM_ROUND = 7  # rounds 1-6 were tuned on before the split; they stay tuning rows
KINDS = ("deadline", "viral", "defamation", "impersonation", "liar", "id_number", "bombing")
KIND_NAMES = {
    "deadline": "deadline threats", "viral": "going viral / sent to N contacts",
    "defamation": "defamation to contacts", "impersonation": "posing as public bodies",
    "liar": "insults about lying", "id_number": "exposing identity numbers",
    "bombing": "message bombing",
}
LOCALES = ("en", "id-ID")
BEGIN, END = "<!-- reports-figures:begin -->", "<!-- reports-figures:end -->"


def is_sealed(row_id: str) -> bool:
    """The split rule: a stable hash of the id, nothing else."""
    return hashlib.sha256(f"{SEAL_SALT}:{row_id}".encode()).digest()[0] < 128


def part_of(row: dict[str, Any]) -> str:
    """`sealed` or `tune`, as the rule assigns the row."""
    if row.get("round", 1) >= SEALED_FROM_ROUND and is_sealed(row["id"]):
        return "sealed"
    return "tune"


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def load(path: Path = CORPUS) -> list[dict[str, Any]]:
    """The rows of the tuning part."""
    return _read(path)


def load_sealed(path: Path = SEALED) -> list[dict[str, Any]]:
    """The rows of the sealed part: pass them to `measure(..., sealed=True)` only."""
    return _read(path)


def sealed_digest(path: Path = SEALED) -> str:
    """SHA-256 of the sealed file, recorded with every sealed measurement."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


@dataclass
class Figures:
    """Caught / total per kind, and compliant messages flagged, for one locale."""

    locale: str
    caught: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    compliant: int = 0
    flagged: int = 0
    misses: list[str] = field(default_factory=list)  # always empty for the sealed part

    @property
    def violating(self) -> int:
        return sum(self.total.values())

    @property
    def recall(self) -> float:
        return sum(self.caught.values()) / self.violating if self.violating else 1.0

    @property
    def fp_rate(self) -> float:
        return self.flagged / self.compliant if self.compliant else 0.0

    def summary(self) -> str:
        """Counts only: safe to print for either part."""
        return (f"{self.locale}: recall {_pct(sum(self.caught.values()), self.violating)}, "
                f"compliant flagged {_pct(self.flagged, self.compliant)}")

    def as_record(self) -> dict[str, Any]:
        return {"locale": self.locale, "lexicon": lexicon_version(self.locale),
                "caught": dict(self.caught), "total": dict(self.total),
                "compliant": self.compliant, "flagged": self.flagged}


def measure(rows: list[dict[str, Any]], locale: str, *, sealed: bool = False) -> Figures:
    """Lint every row of `locale` and count catches and false alarms.

    With `sealed=True` nothing but counts is kept: no id, text or finding of a row."""
    fig = Figures(locale)
    for r in rows:
        if r["locale"] != locale:
            continue
        found = {f.category.value for f in lint(r["body"], locale=r["locale"],
                                                audience=r["audience"], channel=r.get("channel"))}
        expect = set(r["expect"])
        if r["kind"] == "compliant":
            fig.compliant += 1
            if found:
                fig.flagged += 1
                if not sealed:
                    fig.misses.append(f"FALSE ALARM {r['id']}: {sorted(found)}  {r['body']!r}")
        else:
            fig.total[r["kind"]] += 1
            if expect <= found:
                fig.caught[r["kind"]] += 1
            elif not sealed:
                fig.misses.append(f"MISS {r['id']}: expected {sorted(expect)} got {sorted(found)}"
                                  f"  {r['body']!r}")
    return fig


def blind_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tuning rows of a round not yet measured and tuned on."""
    return [r for r in rows if "measured_in_round" not in r]


def _pct(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.0f} %)" if d else "-"


def _kind_table(title: str, figs: list[Figures]) -> list[str]:
    lines = [title, "", "| kind | " + " | ".join(f.locale for f in figs) + " |",
             "|---|" + "---|" * len(figs)]
    for k in KINDS:
        lines.append(f"| {KIND_NAMES[k]} | "
                     + " | ".join(_pct(f.caught[k], f.total[k]) for f in figs) + " |")
    lines.append("| **recall, all kinds** | "
                 + " | ".join(_pct(sum(f.caught.values()), f.violating) for f in figs) + " |")
    lines.append("| compliant reminders flagged | "
                 + " | ".join(_pct(f.flagged, f.compliant) for f in figs) + " |")
    return lines


def table(tune: list[Figures], sealed: list[Figures], rounds: list[dict[str, Any]],
          sealed_rounds: list[dict[str, Any]]) -> str:
    """The markdown block for docs/content-rules.md; `sealed` are recorded figures."""
    versions = ", ".join(lexicon_version(f.locale) for f in tune)
    lines: list[str] = []
    if sealed:
        last = sealed_rounds[-1]
        lines += _kind_table(f"**Sealed part** (never tuned on), as recorded in round "
                             f"{last['round']} {last['when']} its tuning, lexicons "
                             + ", ".join(str(r["lexicon"]) for r in sealed_rounds[-len(sealed):])
                             + " (generated by `tests/unit/content/reports_figures.py`):", sealed)
        lines.append("")
    lines += _kind_table(f"Tuning part, lexicons {versions} (every row tuned on, so a "
                         "regression floor, not a measure):", tune)
    if sealed_rounds:
        lines += ["", "The sealed part at each round, before and after that round's tuning "
                  "(`reports/sealed_rounds.jsonl`, recorded by the same script; `sealed file` is "
                  "the start of the SHA-256 of `reports/sealed.jsonl` measured):", "",
                  "| round | when | locale | lexicon | recall | compliant flagged | sealed file |",
                  "|---|---|---|---|---|---|---|"]
        for rec in sealed_rounds:
            c, t = sum(rec["caught"].values()), sum(rec["total"].values())
            lines.append(f"| {rec['round']} | {rec['when']} tuning | {rec['locale']} | "
                         f"{rec['lexicon']} | {_pct(c, t)} | "
                         f"{_pct(rec['flagged'], rec['compliant'])} | {rec['sealed_sha256'][:12]} |")
    if rounds:
        lines += ["", "Blind figures of the tuning rows, each round as measured before its "
                  "messages were used to widen the rules (`reports/rounds.jsonl`; rounds 1-6 "
                  "and the first line of round 7 are the whole round, from before the split; "
                  "`7 tune` is round 7's tuning part alone):", "",
                  "| round | locale | lexicon | recall | compliant flagged |", "|---|---|---|---|---|"]
        for rec in rounds:
            c, t = sum(rec["caught"].values()), sum(rec["total"].values())
            label = f"{rec['round']} {rec['part']}" if rec.get("part") else str(rec["round"])
            lines.append(f"| {label} | {rec['locale']} | {rec['lexicon']} | {_pct(c, t)} | "
                         f"{_pct(rec['flagged'], rec['compliant'])} |")
    return "\n".join(lines)


def load_rounds(path: Path = ROUNDS) -> list[dict[str, Any]]:
    """The recorded blind figures of earlier rounds."""
    return _read(path)


def load_sealed_rounds(path: Path = SEALED_ROUNDS) -> list[dict[str, Any]]:
    """The recorded sealed figures, per round, before and after tuning."""
    return _read(path)


def recorded(rec: dict[str, Any]) -> Figures:
    """Figures as a record holds them."""
    return Figures(rec["locale"], Counter(rec["caught"]), Counter(rec["total"]),
                   rec["compliant"], rec["flagged"])


def latest_sealed() -> list[Figures]:
    """The sealed part's last recorded figures per locale (never a live measurement)."""
    last: dict[str, dict[str, Any]] = {}
    for rec in load_sealed_rounds():
        last[rec["locale"]] = rec
    return [recorded(last[loc]) for loc in LOCALES if loc in last]


def live_sealed() -> list[Figures]:
    """Measure the sealed part now (counts only). Only `--seal-record`, which writes what it
    measured to `sealed_rounds.jsonl`, and the tests' equality check call this."""
    rows = load_sealed()
    return [measure(rows, loc, sealed=True) for loc in LOCALES]


def tuning_figures() -> list[Figures]:
    """The tuning part's figures per locale, misses included."""
    rows = load()
    return [measure(rows, loc) for loc in LOCALES]


def docs_block() -> str:
    """The generated block, between its markers."""
    table_text = table(tuning_figures(), latest_sealed(), load_rounds(), load_sealed_rounds())
    return f"{BEGIN}\n{table_text}\n{END}"


def admit(path: Path, round_no: int) -> tuple[int, int]:
    """File a new round's rows into the tuning or the sealed part by the split rule."""
    new = _read(path)
    seen = {r["id"] for r in load() + load_sealed()}
    to_tune: list[str] = []
    to_seal: list[str] = []
    for r in new:
        if r["id"] in seen:
            raise SystemExit(f"id {r['id']} is already in the set")
        r["round"] = round_no
        r["split"] = part_of(r)
        (to_seal if r["split"] == "sealed" else to_tune).append(json.dumps(r, ensure_ascii=False))
    for target, lines in ((CORPUS, to_tune), (SEALED, to_seal)):
        if lines:
            with target.open("a", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")
    return len(to_tune), len(to_seal)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--misses", action="store_true", help="print the tuning part's misses")
    ap.add_argument("--admit", type=Path, metavar="JSONL")
    ap.add_argument("--round", type=int, help="round number for --admit")
    ap.add_argument("--record", type=int, metavar="ROUND",
                    help="append the blind figures of ROUND's unmeasured tuning rows")
    ap.add_argument("--seal-record", type=int, metavar="ROUND",
                    help="append the sealed part's figures (counts) at ROUND")
    ap.add_argument("--when", choices=("before", "after"))
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args(argv)
    if args.admit:
        if not args.round:
            ap.error("--admit needs --round")
        n_tune, n_seal = admit(args.admit, args.round)
        print(f"round {args.round}: {n_tune} rows to the tuning part, {n_seal} sealed")
        return 0
    if args.record:
        rows = [r for r in blind_rows(load()) if r.get("round") == args.record]
        with ROUNDS.open("a", encoding="utf-8") as out:
            for loc in LOCALES:
                rec = {"round": args.record, "part": "tune", **measure(rows, loc).as_record()}
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                print(rec)
        return 0
    if args.seal_record:
        if not args.when:
            ap.error("--seal-record needs --when before|after")
        digest = sealed_digest()
        with SEALED_ROUNDS.open("a", encoding="utf-8") as out:
            for fig in live_sealed():
                rec = {"round": args.seal_record, "when": args.when, **fig.as_record(),
                       "sealed_sha256": digest}
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                print(rec)
        return 0
    tune = tuning_figures()
    print(table(tune, latest_sealed(), load_rounds(), load_sealed_rounds()))
    if args.misses:
        for f in tune:
            print("\n".join(f.misses))
    if args.write_docs:
        text = DOCS.read_text("utf-8")
        start, end = text.index(BEGIN), text.index(END) + len(END)
        DOCS.write_text(text[:start] + docs_block() + text[end:], "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
