"""Normalising a message body into a view the lexicon patterns can match, keeping offsets.

Obfuscation defeats naive keyword lists: full-width letters (ｊａｉｌ), traditional characters
(還錢), homoglyphs (Cyrillic "а" in "jаil"), spacing and punctuation inside words (t h r e a t,
逾.期, thr-eat), zero-width characters and leetspeak (j41l). Normalising happens in two steps:

1. A length-preserving character table (`str.translate`): NFKC folding, lower case, traditional
   to simplified, homoglyphs to ASCII, zero-width characters to a glue mark. Placeholders such
   as ``{amount}`` become one sentinel character of their class padded to the same length.
2. A *view* is built from the word runs of that text: for Chinese the runs are simply joined
   (Chinese has no spaces, so separators only ever hide words); for English the gaps become one
   space or a clause mark ``|``, except gaps inside words and between spelled-out letters, which
   disappear. Each run keeps its offset, so a match in the view maps back to the original body.
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

# Placeholder sentinels (Unicode private use area), one per class the lexicons can refer to.
SENTINELS: Mapping[str, str] = {
    "AMOUNT": "\ue000",
    "DPD": "\ue001",
    "DUE": "\ue002",
    "OTHER": "\ue003",
}
_PAD = "\x01"  # fills the rest of a placeholder so lengths stay equal
_GLUE = "\x00"  # zero-width characters: always dropped from views
_PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f"

# A run of "word" characters: letters, digits, CJK, sentinels; in English also leet symbols.
_RUN_ZH = re.compile(r"[^\W_]+|[\ue000-\ue003]")
_RUN_EN = re.compile(r"(?:[^\W_]|[@$£€¥*])+|[\ue000-\ue003]")
_CLAUSE = re.compile(r"[.!?;:,\n。！？；：，、…]")
_JOINER = frozenset("-'’`*_~^\"" + _GLUE)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "8": "b"})
_HAS_LEET = re.compile(r"[013457@$8]")
_HAS_ALPHA = re.compile(r"[a-z]")


@dataclass(frozen=True, slots=True)
class View:
    """Normalised text of one body and the map from its indices back to the original."""

    text: str
    _view_starts: tuple[int, ...]
    _orig_starts: tuple[int, ...]
    _folded: str

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the view to a span of the original body."""
        o_start = self._orig(start)
        o_end = self._orig(max(start, end - 1)) + 1
        folded = self._folded
        n = len(folded)
        while o_end < n and folded[o_end] == _PAD:  # a sentinel stands for its whole placeholder
            o_end += 1
        return o_start, o_end

    def _orig(self, i: int) -> int:
        k = bisect.bisect_right(self._view_starts, i) - 1
        if k < 0:
            return 0
        return self._orig_starts[k] + (i - self._view_starts[k])


@lru_cache(maxsize=1)
def char_table() -> dict[int, str]:
    """The length-preserving fold table (built once, on first use; nothing runs at import)."""
    table: dict[int, str] = {}

    def single(s: str) -> str | None:
        return s if len(s) == 1 else None

    # zhconv's own loader leaves its data file open; read the same data directly.
    data = json.loads(resources.files("zhconv").joinpath("zhcdict.json").read_text("utf-8"))
    t2s = {k: v for k, v in data["zh2Hans"].items() if len(k) == 1 and len(v) == 1}
    homoglyphs = _homoglyph_table()
    ranges = [range(0x80, 0x10000), range(0x1D400, 0x1D800)]
    for r in ranges:
        for cp in r:
            c = chr(cp)
            x = single(unicodedata.normalize("NFKC", c)) or c
            x = t2s.get(x, x)
            x = homoglyphs.get(x, x)
            low = single(x.lower())
            x = low if low is not None else x
            if x != c:
                table[cp] = x
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = chr(cp + 32)
    for c in _ZERO_WIDTH:
        table[ord(c)] = _GLUE
    table[0x3000] = " "  # ideographic space
    for ch in "\ue000\ue001\ue002\ue003\x01":  # never let input forge a sentinel or pad
        table[ord(ch)] = " "
    table[0] = " "
    for quote in "‘’‛′":
        table[ord(quote)] = "'"
    return table


def _homoglyph_table() -> dict[str, str]:
    """Non-ASCII letters that look like ASCII letters (from confusable-homoglyphs' data)."""
    path = resources.files("confusable_homoglyphs").joinpath("confusables.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for key, alikes in data.items():
        if not (len(key) == 1 and key.isascii() and key.isalpha()):
            continue
        for alike in alikes:
            c = alike["c"]
            if len(c) != 1 or c.isascii() or c in out:
                continue
            cat = unicodedata.category(c)
            # Only letters and letter-like numbers; CJK and other scripts' letters stay as they are.
            if cat in ("Lu", "Ll", "Lt", "Lm", "Nl", "Nd", "So") and not _is_cjk(c):
                out[c] = key.lower()
    return out


def _is_cjk(c: str) -> bool:
    cp = ord(c)
    return 0x2E80 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0xFF00 <= cp <= 0xFFEF


def fold(body: str, placeholder_class: Mapping[str, str]) -> str:
    """Apply the character table and replace placeholders by padded sentinels (same length)."""
    folded = body.translate(char_table())
    if "{" in folded:
        def sub(m: re.Match[str]) -> str:
            cls = placeholder_class.get(m.group(1).lower(), "OTHER")
            return SENTINELS[cls] + _PAD * (m.end() - m.start() - 1)

        folded = _PLACEHOLDER.sub(sub, folded)
    return folded


def zh_view(folded: str) -> View:
    """Chinese view: all word runs joined, so separators cannot split a term (逾.期 -> 逾期)."""
    parts: list[str] = []
    vstarts: list[int] = []
    ostarts: list[int] = []
    pos = 0
    for m in _RUN_ZH.finditer(folded):
        s = m.group()
        vstarts.append(pos)
        ostarts.append(m.start())
        parts.append(s)
        pos += len(s)
    return View("".join(parts), tuple(vstarts), tuple(ostarts), folded)


def en_view(folded: str, masked: tuple[str, ...] = ()) -> View:
    """English view: words separated by one space, clauses by `` | ``, obfuscation undone.

    `masked` lists words often written with letters replaced by ``*`` (f*ck, sc*mbag): a
    masked word of the same length that fits one of them is read as that word.
    """
    runs = _en_runs(folded, masked)
    n = len(runs)
    singles = [len(r[2]) == 1 and r[2].isalpha() for r in runs]
    # Spelled-out letters: a run of three or more single letters with short gaps is one word;
    # the commonest gap is the one between letters, any other gap in the run ends a word
    # ("p-a-y u-p" and "p a y   u p" are both "pay up").
    spelled = [False] * n  # spelled[i]: the gap before run i is inside such a word
    i = 0
    while i < n:
        if not singles[i]:
            i += 1
            continue
        j = i
        while (j + 1 < n and singles[j + 1] and runs[j + 1][0] - runs[j][1] <= 3
               and "\n" not in folded[runs[j][1]:runs[j + 1][0]]):
            j += 1
        if j - i >= 2:
            gaps = [folded[runs[k - 1][1]:runs[k][0]] for k in range(i + 1, j + 1)]
            inner = max(gaps, key=gaps.count)
            for k, gap in zip(range(i + 1, j + 1), gaps, strict=True):
                spelled[k] = gap == inner
        i = j + 1
    parts: list[str] = []
    vstarts: list[int] = []
    ostarts: list[int] = []
    pos = 0
    prev_end = 0
    for idx, (start, _end, word) in enumerate(runs):
        if idx:
            gap = folded[prev_end:start]
            sep = _separator(gap, runs[idx - 1][2], word, spelled[idx])
            if sep:
                parts.append(sep)
                vstarts.append(pos)
                ostarts.append(prev_end)
                pos += len(sep)
        vstarts.append(pos)
        ostarts.append(start)
        parts.append(word)
        pos += len(word)
        prev_end = _end
    return View("".join(parts), tuple(vstarts), tuple(ostarts), folded)


def _en_runs(folded: str, masked: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """Word runs with leetspeak undone and masked letters filled in."""
    runs: list[tuple[int, int, str]] = []
    leet_words = 0
    for m in _RUN_EN.finditer(folded):
        word = m.group()
        if _HAS_LEET.search(word) and _HAS_ALPHA.search(word):
            word = word.translate(_LEET)
            leet_words += 1
        if "*" in word:
            word = _unmask(word, masked)
            if not word:
                continue
        runs.append((m.start(), m.end(), word))
    if leet_words >= 2:
        # A message written in leetspeak also writes short words as digits ("15" for "is").
        runs = [(s, e, w.translate(_LEET) if len(w) <= 2 and w.isdigit() else w)
                for s, e, w in runs]
    return runs


def _unmask(word: str, masked: tuple[str, ...]) -> str:
    if word.strip("*"):
        for candidate in masked:
            if len(candidate) == len(word) and all(
                a == "*" or a == b for a, b in zip(word, candidate, strict=True)
            ):
                return candidate
    return word.replace("*", "")


def _separator(gap: str, left: str, right: str, spelled: bool) -> str:
    if spelled:
        return ""
    if all(c in _JOINER for c in gap):
        # Inside a word (thr-eat, we'll, f*ck): join; but keep apart numbers and sentinels.
        if left[-1].isalpha() and right[0].isalpha():
            return ""
        if gap == _GLUE * len(gap):
            return ""
    if left[-1].isdigit() and right[0].isdigit() and gap in (",", "."):
        return ""  # 1,000.00
    return " | " if _CLAUSE.search(gap) else " "
