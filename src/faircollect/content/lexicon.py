"""Lexicons: the content rules of one locale, loaded from a versioned YAML data file.

A compliance officer reads and changes rules in `content/lexicons/<locale>.yaml`; this module
only validates and compiles them. Patterns are regular expressions over the normalised view
(see `normaliser`); ``{{NAME}}`` expands a macro of the same file, and ``{{AMOUNT}}``,
``{{DPD}}``, ``{{DUE}}``, ``{{OTHER}}`` stand for placeholders of that class.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from faircollect.content.finding import AUDIENCES, LOCALES, Category, locale_problem
from faircollect.content.normaliser import SENTINELS
from faircollect.content.prefilter import LiteralScanner, Required, required_literals
from faircollect.errors import ConfigError

_MACRO = re.compile(r"\{\{([A-Z_]+)\}\}")
_NEGATION_WINDOW = 40
_SUBSET_CACHE_MAX = 4096  # compiled branch subsets kept per rule
_COMPILE_AFTER = 3  # sightings of a branch mask before its subset is compiled
# libyaml's safe loader when PyYAML was built with it (ten times faster), else the Python one:
# both build the same plain data from a lexicon
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled content rule."""

    id: str
    category: Category
    citation: str
    message: str
    audiences: frozenset[str]
    source: str  # the alternation of `branches`, compiled into `pattern` on first use
    unless_before: re.Pattern[str] | None
    branches: tuple[str, ...] = ()  # the expanded patterns whose alternation is `pattern`
    requires: tuple[Required, ...] = ()  # per branch: literals one of which a match contains
    window: int = _NEGATION_WINDOW  # how far back (code points) an `unless_before` match may start
    _subsets: dict[int, re.Pattern[str]] = field(default_factory=dict)
    _sightings: dict[int, int] = field(default_factory=dict)
    _compiled: list[re.Pattern[str]] = field(default_factory=list)

    @property
    def pattern(self) -> re.Pattern[str]:
        """The rule's full alternation, compiled the first time a text needs it.

        Compiling every rule costs most of a lexicon's load time, and the prefilter leaves most
        rules out of most texts, so a process that lints a few messages compiles a few rules.
        The compiled pattern is the same whenever it is made: findings do not change."""
        if not self._compiled:
            self._compiled.append(re.compile(self.source))
        return self._compiled[0]

    def restricted(self, enabled: int) -> re.Pattern[str]:
        """The rule's alternation cut down to the `enabled` branches (a bit mask, bit i for
        branch i; kept in their order).

        A branch left out cannot match the text at hand (the prefilter saw none of its
        literals), so the first alternative to match at each position is the same as in the
        full pattern: the matches are identical, only cheaper to find. For the same reason
        the full pattern gives the same matches for any mask: compiling a subset costs
        about fifty scans with the full pattern, so a mask is compiled only once it has come
        back (`_COMPILE_AFTER` sightings); a body seen once is scanned with the full pattern.
        """
        pat = self._subsets.get(enabled)
        if pat is not None:
            return pat
        if enabled == (1 << len(self.branches)) - 1:
            return self.pattern
        seen = self._sightings.get(enabled, 0) + 1
        if seen < _COMPILE_AFTER:
            if len(self._sightings) < _SUBSET_CACHE_MAX:
                self._sightings[enabled] = seen
            return self.pattern
        pat = re.compile("|".join(f"(?:{b})" for i, b in enumerate(self.branches)
                                  if enabled >> i & 1))
        if len(self._subsets) < _SUBSET_CACHE_MAX:
            self._subsets[enabled] = pat
            self._sightings.pop(enabled, None)
        return pat

    def negated(self, text: str, start: int) -> bool:
        """True when a negation just before the hit turns it into a reassurance."""
        if self.unless_before is None:
            return False
        return self.unless_before.search(text, max(0, start - self.window), start) is not None


@dataclass(frozen=True, slots=True)
class OptOut:
    """How an opt-out instruction is recognised, and where one is required by default."""

    rule: str
    citation: str
    message: str
    required_channels: frozenset[str]
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Symbols:
    """Symbols that carry a violation by themselves (a knife and blood drop after "不还的话").

    The views keep only words, so these are matched on the body as written."""

    rule: str
    category: Category
    citation: str
    message: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Lexicon:
    """All rules of one locale, with the version that a finding can be traced to."""

    locale: str
    version: str
    rules: tuple[Rule, ...]
    opt_out: OptOut
    placeholder_class: Mapping[str, str]
    masked_words: tuple[str, ...]
    scanner: LiteralScanner = field(default_factory=lambda: LiteralScanner.build(()))
    # literal -> (rule index, branch bit mask) of the branches that need it
    triggers: Mapping[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    # per rule: bit mask of the branches that have no literal requirement and always run
    always: tuple[int, ...] = ()
    symbols: Symbols | None = None
    _any_hit: list[re.Pattern[str]] = field(default_factory=list)

    @property
    def any_hit(self) -> re.Pattern[str]:
        """Union of all patterns (the benchmark's bare-regex limit), compiled on first use."""
        if not self._any_hit:
            self._any_hit.append(re.compile("|".join(f"(?:{r.source})" for r in self.rules)))
        return self._any_hit[0]

    def candidates(self, text: str) -> list[int]:
        """Per rule, a bit mask of the branches that can match somewhere in `text`."""
        on = list(self.always)
        triggers = self.triggers
        for lit in self.scanner.present(text):
            for ri, mask in triggers[lit]:
                on[ri] |= mask
        return on


@lru_cache(maxsize=8)
def load(locale: str) -> Lexicon:
    """The compiled lexicon of a locale (cached; read from the package data on first use)."""
    if locale not in LOCALES:
        why = locale_problem(locale)
        raise ConfigError(f"no lexicon for locale {locale!r}: {why}", locale=locale)
    name = f"{locale}.yaml"
    folder = resources.files("faircollect.content").joinpath("lexicons")
    text = folder.joinpath(name).read_text("utf-8")
    table = folder.joinpath(f"{locale}.literals.json")
    literals = stored_literals(text, table.read_text("utf-8")) if table.is_file() else None
    return parse(yaml.load(text, Loader=_YAML_LOADER), source=name,  # noqa: S506 - safe loader
                 literals=literals)


def stored_literals(lexicon_text: str, table_text: str) -> list[Required] | None:
    """The prefilter literals of every branch, from `<locale>.literals.json`, when that table was
    made from exactly this lexicon text (its SHA-256); None otherwise, and they are derived.

    Deriving them parses every branch (most of a lexicon's load time); the table holds what
    `literal_table` derives, so the findings are the same either way (a test holds the
    shipped tables to a fresh derivation). After editing a lexicon, refresh them with
    ``python tools/lexicon_literals.py``; until then they are derived at load."""
    try:
        doc = json.loads(table_text)
        if doc.get("lexicon_sha256") != _sha256(lexicon_text):
            return None
        return [None if x is None else frozenset(str(s) for s in x) for x in doc["requires"]]
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def literal_table(lexicon_text: str) -> dict[str, Any]:
    """What `<locale>.literals.json` holds for a lexicon text (derived, never read)."""
    lexicon = parse(yaml.load(lexicon_text, Loader=_YAML_LOADER),  # noqa: S506 - safe loader
                    source="literal table")
    return {"lexicon_sha256": _sha256(lexicon_text),
            "requires": [None if req is None else sorted(req)
                         for rule in lexicon.rules for req in rule.requires]}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def placeholder_classes() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Ordered (class, name pattern) pairs: the first whose pattern matches a name wins."""
    text = resources.files("faircollect.content").joinpath(
        "lexicons/placeholders.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    try:
        return tuple((c["class"], re.compile(c["names"], re.I)) for c in data["classes"])
    except (KeyError, TypeError, re.error) as exc:
        raise ConfigError(f"placeholders.yaml: {exc}") from exc


class _PlaceholderClassMap(dict[str, str]):
    """Placeholder name -> class, computed on first sight of a name and remembered."""

    def __missing__(self, name: str) -> str:
        cls = next((c for c, pat in placeholder_classes() if pat.search(name)), "OTHER")
        self[name] = cls
        return cls

    def get(self, name: str, default: Any = None) -> Any:  # noqa: D102 - dict protocol
        return self[name]


def parse(data: Any, *, source: str, literals: Sequence[Required] | None = None) -> Lexicon:
    """Validate and compile a lexicon document; a broken one raises ConfigError.

    `literals`, when given, are the prefilter literals of every branch in order (see
    `stored_literals`); without them each branch is parsed to derive them. Rule patterns are
    compiled when a text first needs them."""
    try:
        macros: dict[str, str] = {}
        for key, value in (data.get("macros") or {}).items():  # a macro may use earlier ones
            macros[str(key)] = _expand(str(value), macros)
        # a language whose reported speech runs longer ("pihak yang mengaku dari pengadilan dan
        # meminta transfer adalah ...") may widen how far back a guard can start
        window = int(data.get("negation_window") or _NEGATION_WINDOW)
        if not 0 < window <= 200:
            raise ValueError("negation_window must be 1-200")
        n_branches = sum(len(r["patterns"] or ()) for r in data["rules"])
        stored = iter(literals) if literals is not None and len(literals) == n_branches else None
        rules = tuple(_rule(r, macros, window, stored) for r in data["rules"])
        o = data["opt_out"]
        opt_out = OptOut(
            rule=str(o["rule"]), citation=str(o["citation"]), message=str(o["message"]),
            required_channels=frozenset(o.get("required_channels") or ()),
            pattern=re.compile(_alternation(o["patterns"], macros)),
        )
        sym = data.get("symbols")
        symbols = None if sym is None else Symbols(
            rule=str(sym["rule"]), category=Category(sym["category"]),
            citation=str(sym["citation"]), message=str(sym["message"]),
            pattern=re.compile(str(sym["pattern"])),
        )
        ids = [r.id for r in rules]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate rule ids")
        masks: dict[str, dict[int, int]] = {}
        always: list[int] = []
        for ri, rule in enumerate(rules):
            always.append(sum(1 << bi for bi, req in enumerate(rule.requires) if req is None))
            for bi, req in enumerate(rule.requires):
                for lit in req or ():
                    per_rule = masks.setdefault(lit, {})
                    per_rule[ri] = per_rule.get(ri, 0) | 1 << bi
        triggers = {lit: tuple(m.items()) for lit, m in masks.items()}
        return Lexicon(
            locale=str(data["locale"]), version=str(data["version"]), rules=rules,
            opt_out=opt_out, placeholder_class=_PlaceholderClassMap(),
            masked_words=tuple(str(w).lower() for w in data.get("masked_words") or ()),
            scanner=LiteralScanner.build(triggers),
            triggers=triggers, always=tuple(always), symbols=symbols,
        )
    except (KeyError, TypeError, ValueError, AttributeError, re.error) as exc:
        raise ConfigError(f"lexicon {source}: {exc}", file=source) from exc


def _rule(r: Mapping[str, Any], macros: Mapping[str, str], window: int = _NEGATION_WINDOW,
          stored: Iterator[Required] | None = None) -> Rule:
    audiences = frozenset(r.get("audiences") or AUDIENCES)
    if not audiences <= set(AUDIENCES):
        raise ValueError(f"rule {r['id']}: unknown audience in {sorted(audiences)}")
    unless = r.get("unless_before")
    patterns = r["patterns"]
    if not patterns:
        raise ValueError("a rule needs at least one pattern")
    branches = tuple(_expand(p, macros) for p in patterns)
    return Rule(
        id=str(r["id"]),
        category=Category(r["category"]),
        citation=str(r["citation"]),
        message=str(r["message"]),
        audiences=audiences,
        source=_alternation(r["patterns"], macros),
        unless_before=re.compile(f"(?:{_expand(unless, macros)})$") if unless else None,
        branches=branches,
        requires=tuple(next(stored) if stored is not None else required_literals(b)
                       for b in branches),
        window=window,
    )


def _alternation(patterns: list[str], macros: Mapping[str, str]) -> str:
    if not patterns:
        raise ValueError("a rule needs at least one pattern")
    return "|".join(f"(?:{_expand(p, macros)})" for p in patterns)


def _expand(pattern: str, macros: Mapping[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key in SENTINELS:
            return SENTINELS[key]
        if key not in macros:
            raise ValueError(f"unknown macro {{{{{key}}}}}")
        return f"(?:{macros[key]})"

    return _MACRO.sub(sub, pattern)
