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
from collections.abc import Callable, Mapping
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

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "8": "b"})


@dataclass(frozen=True, slots=True)
class View:
    """Normalised text of one body and the map from its indices back to the original.

    The view is the folded body with some stretches replaced; `_vstarts[k]` is where stretch
    k starts in the view, `_ostarts[k]` where it starts in the folded body (same offsets as the
    original) and `_olens[k]`/`_vlens[k]` its lengths there and here (-1: unchanged stretch).
    """

    text: str
    _vstarts: tuple[int, ...]
    _ostarts: tuple[int, ...]
    _olens: tuple[int, ...]
    _folded: str

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the view to a span of the original body."""
        o_start = self._orig(start, is_end=False)
        o_end = max(o_start + 1, self._orig(max(start, end - 1), is_end=True))
        folded = self._folded
        n = len(folded)
        while o_end < n and folded[o_end] == _PAD:  # a sentinel stands for its whole placeholder
            o_end += 1
        return o_start, o_end

    def _orig(self, i: int, *, is_end: bool) -> int:
        k = bisect.bisect_right(self._vstarts, i) - 1
        if k < 0:
            return 0
        olen = self._olens[k]
        if olen < 0:  # unchanged: offsets carry over one to one
            return self._ostarts[k] + (i - self._vstarts[k]) + (1 if is_end else 0)
        # a replaced stretch (t h r e a t -> threat) maps to the whole of what it replaced
        return self._ostarts[k] + (olen if is_end else 0)


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
    """Chinese view: everything but word characters removed, so 逾.期 reads 逾期."""
    return _edit(folded, _ZH_GAP, lambda m: "", folded)


def en_view(folded: str, masked: tuple[str, ...] = ()) -> View:
    """English view: clause punctuation as ``|``, other separators as spaces, obfuscation undone.

    `masked` lists words often written with letters replaced by ``*`` (f*ck, sc*mbag): a
    masked word of the same length that fits one of them is read as that word.
    """
    text = _EN_OTHER.sub(" ", _EN_CLAUSE.sub("|", folded))  # both keep the length
    # Only the edits this text can need go into the pattern: most messages need one or two.
    needed = (
        "*" in text,
        _SPELLED_HINT.search(text) is not None,
        _JOINER_HINT.search(text) is not None,
        _DIGIT_HINT.search(text) is not None,
    )
    if not any(needed):
        return View(text, (0,), (0,), (-1,), folded)
    leet_words = len(_EN_LEET_WORD.findall(text)) if needed[3] else 0

    def repl(m: re.Match[str]) -> str:
        kind = m.lastgroup
        word = m.group()
        if kind == "masked":
            return _unmask(word.translate(_LEET), masked)
        if kind == "spelled" or kind == "spelled2":
            return "".join(c for c in word if "a" <= c <= "z")
        if kind == "joiners":
            if word.strip("\x00\x01") == "":
                return ""
            start, end = m.span()
            inside = (start > 0 and end < len(text) and text[start - 1] in _WORDISH
                      and text[end] in _WORDISH)
            return "" if inside else " "  # thr-eat, we'll: one word; a stray mark: a space
        if kind == "leet":
            return word.translate(_LEET)
        if kind == "digits":  # "15" for "is" in a message written in leetspeak
            return word.translate(_LEET) if leet_words >= 2 else word
        return word

    return _edit(text, _en_edits(needed), repl, folded)


@lru_cache(maxsize=16)
def _en_edits(needed: tuple[bool, bool, bool, bool]) -> re.Pattern[str]:
    masked, spelled, joiners, digits = needed
    alts = []
    if masked:
        alts.append(r"(?P<masked>(?<![a-z0-9@$*])[a-z0-9@$]*\*[a-z0-9@$*]*(?![a-z0-9@$*]))")
    if spelled:
        # letters with the same non-space mark between them (j.a.i.l, p-a-y): two or more;
        # letters with spaces (t h r e a t): three or more, or two before a wider gap or the end
        alts.append(r"(?P<spelled>(?<![a-z0-9])[a-z](?P<g>[|\-_*~^`\x00][ |\-_*~^`\x00]{0,2})"
                    r"[a-z'](?:(?P=g)[a-z'])*(?![a-z0-9]))")
        alts.append(r"(?P<spelled2>(?<![a-z0-9])[a-z](?P<s>[ ]{1,2})[a-z']"
                    r"(?:(?:(?P=s)[a-z'])+(?![a-z0-9])|(?=(?P=s)[ ])"
                    r"|(?=[-'`~^_][a-z](?:[ ]|$))|(?=[ ]*(?:\|(?![a-z])|$))))")
    if joiners or masked:
        alts.append(r"(?P<joiners>[-'`*~^_\x00\x01]+)")
    if digits:
        alts.append(r"(?P<leet>(?<![a-z0-9@$])(?=[a-z0-9@$]*[a-z])(?=[a-z@$]*[0-9@$])"
                    r"[a-z0-9@$]+(?![a-z0-9@$]))")
        alts.append(r"(?P<digits>(?<![a-z0-9@$£€¥])[0-9]{1,2}(?![a-z0-9]))")
    return re.compile("|".join(alts))


def _edit(
    text: str, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str], folded: str
) -> View:
    """Apply `repl` to every match of `pattern`, keeping a map from view to `text` offsets.

    `text` has the length of `folded` (the body after `fold`), so offsets carry over.
    """
    parts: list[str] = []
    vstarts: list[int] = [0]
    ostarts: list[int] = [0]
    olens: list[int] = [-1]
    pos = 0  # in the view
    last = 0  # in text
    for m in pattern.finditer(text):
        start, end = m.span()
        new = repl(m)
        if new == text[start:end]:
            continue
        if start > last:
            parts.append(text[last:start])
            pos += start - last
        if new:
            vstarts.append(pos)
            ostarts.append(start)
            olens.append(end - start)
            parts.append(new)
            pos += len(new)
        vstarts.append(pos)
        ostarts.append(end)
        olens.append(-1)
        last = end
    parts.append(text[last:])
    return View("".join(parts), tuple(vstarts), tuple(ostarts), tuple(olens), folded)


_ZH_GAP = re.compile(r"[^\w\ue000-\ue003]+|_+")
_EN_CLAUSE = re.compile(r"[.!?;:,\n。！？；：，、…]")
_EN_OTHER = re.compile(r"[^\w\ue000-\ue003|@$£€¥*'`~^\x00\x01-]")
_SPELLED_HINT = re.compile(r"(?<![a-z0-9])[a-z][ |\-_*~^`'\x00]{1,3}[a-z](?![a-z0-9])")
_JOINER_HINT = re.compile(r"[-'`*~^_\x00\x01]")
_DIGIT_HINT = re.compile(r"[0-9@$]")
_WORDISH = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@$")
_EN_LEET_WORD = re.compile(
    r"(?<![a-z0-9@$])(?=[a-z0-9@$]*[a-z])(?=[a-z@$]*[0-9@$])[a-z0-9@$]+(?![a-z0-9@$])")


def _unmask(word: str, masked: tuple[str, ...]) -> str:
    if word.strip("*"):
        for candidate in masked:
            if len(candidate) == len(word) and all(
                a == "*" or a == b for a, b in zip(word, candidate, strict=True)
            ):
                return candidate
    return word.replace("*", "")
