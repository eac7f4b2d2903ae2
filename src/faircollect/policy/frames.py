"""The columns the vectorised rule kinds share, computed once per batch and only when needed.

Speed notes (the vectorised decide's budget is about 0.2 us per request):
- closed vocabularies are Enums and are compared by their integer codes;
- local time and local midnight come from one binary search per row (`offsets.local_clock`);
- template bodies are Categorical, so the linter runs once per distinct (body, locale,
  audience, channel) and each row carries a small bit mask of its findings: content rules
  test bits, never text;
- counted caps read history sorted by row: a running sum of each cap's "counted" flag, read at
  the end of every request's slice, gives all counts at once, without a join or a group-by;
- only the request columns a computation needs are gathered beside the long frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from faircollect.errors import InputError
from faircollect.policy import params as p
from faircollect.policy.batch import SOURCE, RequestBatch
from faircollect.policy.content_check import LINT_ERROR, Linter
from faircollect.policy.offsets import local_clock, offsets
from faircollect.policy.request import AUDIENCES, CHANNELS, OUTCOMES, zone

US = 1_000_000
DAY_US = 86_400 * US
# Bits of the per-row findings mask; LINT_ERROR first, then every category a linter reports.
FINDINGS: tuple[str, ...] = (
    LINT_ERROR, "THREAT", "INSULT", "FALSE_LEGAL", "IMPERSONATION", "THIRD_PARTY_DISCLOSURE",
    "EXPOSURE_THREAT", "OPT_OUT_MISSING",
)
_BIT = {name: 1 << i for i, name in enumerate(FINDINGS)}
_NO_BODY = (1 << 64) - 1
_BORROWER = AUDIENCES.index("borrower")  # the findings key of a request without a template body


def findings_bits(names: Sequence[str]) -> int:
    """The findings mask of some finding categories (unknown ones are ignored)."""
    out = 0
    for n in names:
        out |= _BIT.get(n, 0)
    return out


def code(values: Sequence[str], vocabulary: Sequence[str]) -> list[int]:
    """The Enum codes of `values` in `vocabulary` (what `to_physical` gives)."""
    return [vocabulary.index(v) for v in values]


def among(column: str, values: Sequence[str], vocabulary: Sequence[str]) -> pl.Expr:
    """Whether an Enum-code column holds one of `values` (an equality when there is one)."""
    codes = code(values, vocabulary)
    if len(codes) == 1:
        return pl.col(column) == codes[0]
    return pl.col(column).is_in(codes)


class Frames:
    """One checked batch seen by the rule kinds; `r` holds one row per request."""

    def __init__(self, b: RequestBatch, linter: Linter, *, day_start: bool = True,
                 period_days: tuple[int, ...] = ()) -> None:
        self.b = b
        self.n = b.requests.height
        self.linter = linter
        req = b.requests
        zones = req["timezone"].unique().drop_nulls()
        for z in zones.cast(pl.String).to_list():
            try:
                zone(z)
            except ValueError as exc:
                raise InputError(f"field borrower.timezone: {exc}",
                                 field="borrower.timezone") from None
        at_us = req["at"].dt.epoch("us")
        at_s = at_us // US
        lo, hi = int(at_s.min()) - 2 * 86_400, int(at_s.max()) + 86_400  # type: ignore[arg-type]
        sod, midnight = local_clock(at_s, req["timezone"], lo, hi, names=zones,
                                    day_start=day_start)
        self.r = req.select(
            "row", "contact_id", "template_id", "template_approved",
            pl.col("unreachable_since").dt.epoch("us"),
            ch=pl.col("channel").to_physical(), aud=pl.col("audience").to_physical(),
            pur=pl.col("purpose").to_physical(), dpd=pl.col("days_past_due"),
        ).with_columns(at=at_us, sod=sod)
        self._span = (lo, hi)
        self._local_day: pl.Series | None = None
        if midnight is not None:  # only local-day caps need it
            self.r = self.r.with_columns(day_start=midnight * US)
            for days in period_days:
                # The midnight starting the local day `days - 1` days back: the local day
                # that holds noon that many days before today's midnight (a DST shift moves
                # midnight by an hour or two, never by half a day).
                noon = midnight - (days - 1) * 86_400 + 43_200
                _, start = local_clock(noon, req["timezone"], lo - days * 86_400, hi,
                                       names=zones, day_start=True)
                assert start is not None
                self.r = self.r.with_columns(start.alias(f"days_start_{days}") * US)
        self._contact: pl.DataFrame | None = None
        self._findings: pl.Series | None = None
        self._contact_history: pl.DataFrame | None = None
        self.cap_counts: dict[int, pl.Series] = {}

    @property
    def local_day(self) -> pl.Series:
        """Per row, the borrower's local calendar day as days since 1970-01-01."""
        if self._local_day is None:
            at_s = self.r["at"] // US
            off = offsets(at_s, self.b.requests["timezone"], *self._span)
            self._local_day = (at_s + off) // 86_400
        return self._local_day

    def mark(self, rows: pl.Series) -> pl.Series:
        """A boolean column, True at the given row positions."""
        out = pl.repeat(False, self.n, eager=True, dtype=pl.Boolean)
        if rows.len():
            out = out.scatter(rows.cast(pl.UInt32), True)
        return out

    def attach(self, frame: pl.DataFrame, *cols: str) -> pl.DataFrame:
        """`frame` (keyed by row) with the named request columns gathered beside it, as a_*."""
        idx = frame["row"]
        return frame.with_columns(self.r[c].gather(idx).alias(f"a_{c}") for c in cols)

    @property
    def contact(self) -> pl.DataFrame:
        """Per row: the attempt's contact person's source, refusal and relation (null when
        unknown)."""
        if self._contact is None:
            k = self.attach(self.b.contacts, "contact_id")
            k = k.filter(pl.col("id") == pl.col("a_contact_id"))
            source = pl.repeat(None, self.n, eager=True, dtype=SOURCE)
            refused = pl.repeat(False, self.n, eager=True, dtype=pl.Boolean)
            relation = pl.repeat(None, self.n, eager=True, dtype=pl.String)
            if k.height:
                idx = k["row"]
                source = source.scatter(idx, k["source"])
                refused = refused.scatter(idx, k["refused"].fill_null(False))
                relation = relation.scatter(idx, k["relation"])
            self._contact = pl.DataFrame({"source": source, "refused": refused,
                                          "relation": relation})
        return self._contact

    @property
    def findings(self) -> pl.Series:
        """Per row, the bit mask (FINDINGS) of the linter's findings on the template body.

        The key is made of Categorical and Enum codes, so no body is hashed per row; the
        linter runs once per distinct key and the masks are mapped back by the key.
        """
        if self._findings is None:
            req = self.b.requests
            loc = req["template_locale"].to_physical()
            if loc.len() and (loc.max() or 0) >= 1 << 24:  # type: ignore[operator]
                uniq = loc.unique().drop_nulls()  # a few locales: number them densely
                loc = loc.replace_strict(uniq, pl.int_range(uniq.len(), eager=True),
                                         default=None, return_dtype=pl.UInt32)
            key = (
                pl.col("template_body").to_physical().cast(pl.UInt64) * (1 << 32)
                + pl.lit(loc).fill_null(0xFFFFFF).cast(pl.UInt64) * (1 << 8)
                + pl.col("audience").to_physical().cast(pl.UInt64) * (1 << 4)
                + pl.col("channel").to_physical().cast(pl.UInt64)
            )
            keys = req.select(key=pl.when(pl.col("template_body").is_not_null()).then(key)
                              .otherwise(_NO_BODY))["key"]
            first = keys.arg_unique()
            firsts = req[first].select("template_body", "template_locale", "audience", "channel")
            found: dict[int, int] = {}
            for (body, locale, aud, ch), k in zip(firsts.iter_rows(), keys.gather(first),
                                                   strict=True):
                if k != _NO_BODY and body:
                    found[k] = findings_bits(sorted(self.linter(body, locale or "", aud, ch)))
            # A few distinct keys: one small `is_in` per finding bit beats a hash map per row.
            parts = [
                pl.col("key").is_in(pl.Series([k for k, m in found.items() if m & bit],
                                               dtype=pl.UInt64).implode())
                .cast(pl.UInt16) * bit
                for bit in _BIT.values() if any(m & bit for m in found.values())
            ]
            if parts:
                self._findings = keys.to_frame().select(
                    pl.sum_horizontal(parts).cast(pl.UInt16)).to_series()
            else:
                self._findings = pl.repeat(0, self.n, eager=True, dtype=pl.UInt16)
        return self._findings

    def prepare_caps(self, caps: list[p.CountedCap]) -> None:
        """Count the history matching every counted cap, without a join or a group-by.

        History sorted by row makes each request's entries one slice; the rows of the entries
        a cap counts are then runs, and a run-length encoding gives every request's count.
        """
        zero = pl.repeat(0, self.n, eager=True, dtype=pl.Int32)
        h = self.b.history
        if not caps or not h.height:
            self.cap_counts = {id(c): zero for c in caps}
            return
        if not h["row"].is_sorted():
            h = h.sort("row", maintain_order=True)
        need = []
        if any(c.window == "local_day" for c in caps):
            need.append("day_start")
        need += sorted({f"days_start_{c.days}" for c in caps if c.window == "local_days"})
        if any(c.scope == "target" for c in caps):
            need += ["aud", "contact_id"]
        idx = h["row"]
        at = h["at"].dt.epoch("us")
        h = self.attach(h.select("row", "contact_id", at=at, ago=self.r["at"].gather(idx) - at,
                                 ch=pl.col("channel").to_physical(),
                                 aud=pl.col("audience").to_physical(),
                                 out=pl.col("outcome").to_physical()), *need)
        row = h["row"]
        keeps = h.select(_cap_keep(c).alias(str(i)) for i, c in enumerate(caps))
        self.cap_counts = {}
        for i, c in enumerate(caps):
            # Counted entries' rows, still sorted: each run's length is that request's count.
            runs = row.filter(keeps[str(i)]).rle().struct.unnest()
            self.cap_counts[id(c)] = zero.clone().scatter(runs["value"], runs["len"])

    @property
    def contact_history(self) -> pl.DataFrame:
        """History with people other than the borrower (small), with a_at and a_contact_id."""
        if self._contact_history is None:
            h = self.b.history.filter(pl.col("audience") != "borrower")
            self._contact_history = self.attach(
                h.with_columns(pl.col("at").dt.epoch("us")), "at", "contact_id")
        return self._contact_history


def _cap_keep(prm: p.CountedCap) -> pl.Expr:
    """Which history rows this cap counts; `ago` is the attempt's time minus the entry's."""
    ago = pl.col("ago")
    if prm.window == "local_day":
        keep = (pl.col("at") >= pl.col("a_day_start")) & (ago > 0)
    elif prm.window == "local_days":
        keep = (pl.col("at") >= pl.col(f"a_days_start_{prm.days}")) & (ago > 0)
    else:
        keep = (ago > 0) & (ago < (prm.window_hours or 0) * 3600 * US)
    c = prm.count
    if c.channels is not None:
        keep = keep & among("ch", c.channels, CHANNELS)
    if c.audiences is not None:
        keep = keep & among("aud", c.audiences, AUDIENCES)
    if c.outcomes is not None:
        keep = keep & among("out", c.outcomes, OUTCOMES)
    if prm.scope == "target":
        # One number is one person: the borrower, or the contact with this id whatever
        # audience label an earlier attempt to them carried (kinds._counted).
        to_borrower = pl.col("a_aud") == _BORROWER
        keep = keep & ((pl.col("aud") == _BORROWER) == to_borrower) & (
            to_borrower | pl.col("contact_id").eq_missing(pl.col("a_contact_id")))
    return keep
