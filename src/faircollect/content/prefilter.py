"""Literal prefilter: which rule patterns can possibly match a text, found with one scan.

Python's `re` tries every alternative of a rule at every position of the text, so a lexicon of
hundreds of alternatives costs far more than the few that could ever match. Most patterns
cannot match unless the text contains one of a small set of literal strings (``打断`` for
``打断.{0,4}腿``, ``regret|sorry|this`` for "you'll regret / be sorry / pay for this"). This
module derives such a set for each pattern from its parsed form (the way RE2's prefilter does)
and builds one literal scanner per locale. A pattern whose set shares nothing with the literals
present in a text cannot match anywhere in it, so leaving it out of the rule's alternation
changes no match: the linter's findings stay identical.

A pattern with no usable set (it can match without any fixed text) is always run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import product
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser as _p  # type: ignore[attr-defined]
from typing import Any

Required = frozenset[str] | None  # any match contains one of these strings; None: unknown

_MAX_EXPANSION = 256  # strings a run of literals and small classes may expand to
_MAX_CLASS = 16  # characters a class may have and still count as literals


def required_literals(pattern: str) -> Required:
    """Strings one of which every match of `pattern` contains, or None when none is known.

    A pattern that does not parse raises `re.error`: the lexicon compiles rules only when a
    text first needs them, so this parse, done for every branch at load, is what rejects a
    broken rule up front."""
    try:
        parsed = _p.parse(pattern)
    except RecursionError:  # pragma: no cover - nested deeper than the parser goes
        return None
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):  # literals would not be exact
        return None
    return _best(_seq_candidates(list(parsed)))


def _quality(s: frozenset[str]) -> tuple[int, int]:
    return (min(len(x) for x in s), -len(s))


def _best(cands: Iterable[frozenset[str]]) -> Required:
    usable = [_minimal(c) for c in cands if c and "" not in c]
    return max(usable, key=_quality) if usable else None


def _minimal(s: frozenset[str]) -> frozenset[str]:
    """Drop strings that contain another of the set: a text holding one holds the other."""
    if len(s) > _MAX_EXPANSION:
        return s
    return frozenset(x for x in s if not any(y != x and y in x for y in s))


def _seq_candidates(items: Sequence[tuple[Any, Any]]) -> list[frozenset[str]]:
    """Candidate sets for a sequence: runs of expandable items, and each item's own set."""
    cands: list[frozenset[str]] = []
    run: set[str] = {""}

    def close() -> None:
        nonlocal run
        if run != {""}:
            cands.append(frozenset(run))
        run = {""}

    for item in items:
        rep = _repeated_body(item)
        if rep is not None:  # x+ : the match holds "<run>x" and, after the repeats, "x<next>"
            if len(run) * len(rep) <= _MAX_EXPANSION:
                run = {a + b for a, b in product(run, rep)}
            close()
            run = set(rep)
            continue
        exp = _expand(item)
        if exp is not None and len(run) * len(exp) <= _MAX_EXPANSION:
            run = {a + b for a, b in product(run, exp)}
            continue
        close()
        if exp is not None:  # too many combinations: start a new run with this item
            run = set(exp)
            continue
        req = _item_required(item)
        if req is not None:
            cands.append(req)
    close()
    # a run with optional parts may contain "": keep only what every match must contain
    return [c for c in cands if "" not in c]


def _repeated_body(item: tuple[Any, Any]) -> frozenset[str] | None:
    """The strings of a repeated item (x+, x{2,}) whose body is small and fixed, else None."""
    op, av = item
    if op not in (_c.MAX_REPEAT, _c.MIN_REPEAT) or av[0] < 1 or av[1] == 1:
        return None
    return _expand_seq(list(av[2]))


def _item_required(item: tuple[Any, Any]) -> Required:
    op, av = item
    if op is _c.SUBPATTERN:
        if av[1] & (re.IGNORECASE | re.VERBOSE):
            return None
        return _best(_seq_candidates(list(av[-1])))
    if op is _c.BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            req = _best(_seq_candidates(list(alt)))
            if req is None:
                return None
            out |= req
        return frozenset(out)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        lo, _hi, body = av
        return _best(_seq_candidates(list(body))) if lo >= 1 else None
    exp = _expand(item)
    return frozenset(exp) if exp else None


def _expand(item: tuple[Any, Any]) -> frozenset[str] | None:
    """The exact, small set of strings `item` matches, or None."""
    op, av = item
    if op is _c.LITERAL:
        return frozenset((chr(av),))
    if op is _c.IN:
        chars = [chr(a) for o, a in av if o is _c.LITERAL]
        if len(chars) != len(av) or len(chars) > _MAX_CLASS:
            return None
        return frozenset(chars)
    if op is _c.SUBPATTERN:
        if av[1] & (re.IGNORECASE | re.VERBOSE):
            return None
        return _expand_seq(list(av[-1]))
    if op is _c.BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            exp = _expand_seq(list(alt))
            if exp is None:
                return None
            out |= exp
            if len(out) > _MAX_EXPANSION:
                return None
        return frozenset(out)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[1] == 1 and av[0] in (0, 1):
        body = _expand_seq(list(av[2]))
        if body is None:
            return None
        return body | {""} if av[0] == 0 else body
    return None


def _expand_seq(items: Sequence[tuple[Any, Any]]) -> frozenset[str] | None:
    run: set[str] = {""}
    for item in items:
        exp = _expand(item)
        if exp is None or len(run) * len(exp) > _MAX_EXPANSION:
            return None
        run = {a + b for a, b in product(run, exp)}
    return frozenset(run)


@dataclass(frozen=True, slots=True)
class LiteralScanner:
    """Finds which of a fixed set of literals occur in a text, overlaps included."""

    pattern: re.Pattern[str] | None
    contained: dict[str, frozenset[str]]  # literal -> every literal it contains (itself too)

    @classmethod
    def build(cls, literals: Iterable[str]) -> LiteralScanner:
        """One trie-shaped regex of all literals: at each position it reports the longest.

        A flat alternation of a thousand literals makes `re` try each of them at every
        position; nested by first character, it tries only the few that can still fit.
        """
        lits = set(literals)
        if not lits:
            return cls(None, {})
        contained = {
            x: frozenset(x[i:j] for i in range(len(x)) for j in range(i + 1, len(x) + 1)
                         if x[i:j] in lits)
            for x in lits
        }
        trie: dict[str, Any] = {}
        for word in lits:
            node = trie
            for ch in word:
                node = node.setdefault(ch, {})
            node[""] = {}
        return cls(re.compile(_trie_pattern(trie)), contained)

    def present(self, text: str) -> set[str]:
        """Every literal of the set that occurs somewhere in `text`."""
        found: set[str] = set()
        pat = self.pattern
        if pat is None:
            return found
        search = pat.search
        contained = self.contained
        m = search(text)
        while m is not None:
            # the longest literal starting here, and every literal inside it; a literal that
            # starts later is found by searching again from the next position
            found |= contained[m.group()]
            m = search(text, m.start() + 1)
        return found


def _trie_pattern(node: dict[str, Any]) -> str:
    """Regex source for a character trie; an inner word end makes the rest greedy-optional."""
    alts = [re.escape(ch) + _trie_pattern(child) for ch, child in sorted(node.items()) if ch]
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return f"(?:{body})?" if "" in node else body
