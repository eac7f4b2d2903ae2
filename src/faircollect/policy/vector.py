"""The vectorised decide: the same packs over a RequestBatch of millions of requests.

Each rule kind is a Polars computation giving a boolean "fails" column over all rows; it mirrors
`kinds.py` rule for rule, and a Hypothesis test holds the two equal. The result has one row per
request: `allowed`, `rule_mask` (bit i set when the pack's rule i failed), and the failing rule
ids and categories as lists. `next_allowed_at` stays with the scalar `decide`: callers re-decide
the few denied attempts they want to re-plan.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from faircollect.errors import InputError
from faircollect.policy import params as p
from faircollect.policy.batch import SOURCE, RequestBatch
from faircollect.policy.content_check import Linter, content_lint
from faircollect.policy.kinds import blocking_findings
from faircollect.policy.offsets import offsets
from faircollect.policy.pack import Pack, Rule
from faircollect.policy.params import THIRD_PARTY_KINDS
from faircollect.policy.request import KNOWN_FLAGS, clock_seconds, zone

_US = 1_000_000
_DAY_US = 86_400 * _US
_MAX_RULES = 63  # the rule mask is one UInt64


class _Frames:
    """Columns shared by the rule kinds, computed once per batch and only when needed."""

    def __init__(self, b: RequestBatch, linter: Linter) -> None:
        self.b = b
        self.n = b.requests.height
        self.linter = linter
        req = b.requests
        zones = req["timezone"].unique().drop_nulls().to_list()
        for z in zones:
            try:
                zone(z)
            except ValueError as exc:
                raise InputError(f"field borrower.timezone: {exc}",
                                 field="borrower.timezone") from None
        at_us = req["at"].dt.epoch("us")
        at_s = at_us // _US
        lo, hi = int(at_s.min()) - 2 * 86_400, int(at_s.max()) + 86_400  # type: ignore[arg-type]
        tz = req["timezone"]
        off = offsets(at_s, tz, lo, hi)
        sod = (at_s + off) % 86_400
        guess = at_s - sod
        # Local midnight: step back by the local clock, then correct for an offset change
        # between midnight and now (a DST switch earlier today).
        day_start = (guess + off - offsets(guess, tz, lo, hi)) * _US
        self.r = req.select(
            "row", "channel", "audience", "purpose", "contact_id", "template_id",
            "template_approved", "template_locale", "template_body",
            pl.col("unreachable_since").dt.epoch("us"),
        ).with_columns(at=at_us, sod=sod, day_start=day_start)
        self._history: pl.DataFrame | None = None
        self._contact: pl.DataFrame | None = None
        self._lint: tuple[pl.Series, dict[int, tuple[frozenset[str], str]]] | None = None
        self.cap_counts: dict[int, pl.Series] = {}

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
        """Per row: the attempt's contact person's source and refusal (null when unknown)."""
        if self._contact is None:
            k = self.attach(self.b.contacts, "contact_id")
            k = k.filter(pl.col("id") == pl.col("a_contact_id"))
            source = pl.repeat(None, self.n, eager=True, dtype=SOURCE)
            refused = pl.repeat(False, self.n, eager=True, dtype=pl.Boolean)
            if k.height:
                idx = k["row"]
                source = source.scatter(idx, k["source"])
                refused = refused.scatter(idx, k["refused"].fill_null(False))
            self._contact = pl.DataFrame({"source": source, "refused": refused})
        return self._contact

    def _lint_table(self) -> tuple[pl.Series, dict[int, tuple[frozenset[str], str]]]:
        """Per row a key of (body, locale, audience, channel); the findings per distinct key.

        Bodies come from a handful of templates, so the linter runs once per distinct key and
        rules test the key, never the text.
        """
        if self._lint is None:
            keys = ["template_body", "template_locale", "audience", "channel"]
            has = pl.col("template_body").is_not_null() & (pl.col("template_body") != "")
            # A cheap 64-bit key: string hashes of body and locale, mixed with the Enum codes.
            mix = (
                pl.col("template_body").hash(seed=1)
                ^ pl.col("template_locale").fill_null("").hash(seed=2)
                ^ (pl.col("audience").to_physical().cast(pl.UInt64) * 256
                   + pl.col("channel").to_physical().cast(pl.UInt64))
            )
            keyed = self.r.select(*keys, pl.when(has).then(mix).alias("_key"))
            uniq = keyed.filter(pl.col("_key").is_not_null()).unique(subset="_key", keep="any")
            found = {
                k: (self.linter(body, loc or "", aud, ch), ch)
                for body, loc, aud, ch, k in uniq.iter_rows()
            }
            self._lint = (keyed["_key"], found)
        return self._lint

    def lint_hits(self, test: Callable[[frozenset[str], str], bool]) -> pl.Expr:
        """True for rows whose template findings satisfy `test(findings, channel)`."""
        key, found = self._lint_table()
        hits = pl.Series([k for k, (f, ch) in found.items() if test(f, ch)], dtype=pl.UInt64)
        return pl.lit(key).is_in(hits.implode()).fill_null(False)

    def prepare_caps(self, caps: list[p.CountedCap]) -> None:
        """Count the history matching every counted cap, without hashing.

        History sorted by row makes each request's entries one slice; a running sum of the
        'counted' flags, read at the slice ends, gives every row's count at once.
        """
        zero = pl.repeat(0, self.n, eager=True, dtype=pl.Int64)
        if not caps or not self.b.history.height:
            self.cap_counts = {id(c): zero for c in caps}
            return
        h = self.history
        row = h["row"]
        last = (row != row.shift(-1)).fill_null(True)  # the last entry of each request's slice
        ends = row.filter(last)
        self.cap_counts = {}
        for c in caps:
            running = h.select(_cap_keep(c).cast(pl.Int64).cum_sum()).to_series().filter(last)
            per_row = running.diff().fill_null(running.head(1).sum())
            self.cap_counts[id(c)] = zero.clone().scatter(ends, per_row)  # scatter is in place

    @property
    def history(self) -> pl.DataFrame:
        """History sorted by row, with its attempt's columns beside it (a_*)."""
        if self._history is None:
            h = self.b.history
            if not h["row"].is_sorted():
                h = h.sort("row", maintain_order=True)
            h = h.with_columns(pl.col("at").dt.epoch("us"))
            self._history = self.attach(h, "at", "day_start", "audience", "contact_id")
        return self._history

    @property
    def contact_history(self) -> pl.DataFrame:
        """History with people other than the borrower (small), with a_at and a_contact_id."""
        h = self.b.history.filter(pl.col("audience") != "borrower")
        return self.attach(h.with_columns(pl.col("at").dt.epoch("us")), "at", "contact_id")


def _applies(rule: Rule) -> pl.Expr:
    a = rule.applies_to
    audiences = a.audiences
    if rule.kind in THIRD_PARTY_KINDS:
        audiences = tuple(x for x in (audiences or ("designated_contact", "third_party"))
                          if x != "borrower")
    expr = pl.lit(True)
    if a.channels is not None:
        expr = expr & pl.col("channel").is_in(list(a.channels))
    if audiences is not None:
        expr = expr & pl.col("audience").is_in(list(audiences))
    if a.purposes is not None:
        expr = expr & pl.col("purpose").is_in(list(a.purposes))
    return expr


def _contact_hours(prm: p.ContactHours, f: _Frames) -> pl.Expr:
    start, end = clock_seconds(prm.start), clock_seconds(prm.end)
    sod = pl.col("sod")
    inside = (sod >= start) & (sod < end)
    if prm.honour_agreed_windows and f.b.windows.height:
        w = f.attach(f.b.windows, "sod", "audience").filter(pl.col("a_audience") == "borrower")
        s, a, e = pl.col("a_sod"), pl.col("start_s"), pl.col("end_s")
        w = w.filter(pl.when(a < e).then((s >= a) & (s < e)).otherwise((s >= a) | (s < e)))
        inside = inside | pl.lit(f.mark(w["row"]))
    return ~inside


def _cap_keep(prm: p.CountedCap) -> pl.Expr:
    """Which history rows (joined with their attempt as a_*) this cap counts."""
    at = pl.col("a_at")
    if prm.window == "local_day":
        keep = pl.col("at") >= pl.col("a_day_start")
    else:
        keep = pl.col("at") > at - (prm.window_hours or 0) * 3600 * _US
    keep = keep & (pl.col("at") < at)
    c = prm.count
    if c.channels is not None:
        keep = keep & pl.col("channel").is_in(list(c.channels))
    if c.audiences is not None:
        keep = keep & pl.col("audience").is_in(list(c.audiences))
    if c.outcomes is not None:
        keep = keep & pl.col("outcome").is_in(list(c.outcomes))
    if prm.scope == "target":
        keep = keep & (pl.col("audience") == pl.col("a_audience")) & (
            (pl.col("a_audience") == "borrower")
            | pl.col("contact_id").eq_missing(pl.col("a_contact_id"))
        )
    return keep


def _counted_cap(prm: p.CountedCap, f: _Frames) -> pl.Expr:
    return pl.lit(f.cap_counts[id(prm)]) >= prm.limit


def _consent_required(prm: p.ConsentRequired, f: _Frames) -> pl.Expr:
    c = f.attach(f.b.consents.with_columns(
        pl.col(x).dt.epoch("us") for x in ("granted_at", "expires_at", "withdrawn_at")
    ), "at", "contact_id")
    at = pl.col("a_at")
    ok = c.filter(
        (pl.col("purpose") == prm.purpose)
        & (pl.col("contact_id") == pl.col("a_contact_id"))
        & (pl.col("granted_at") <= at)
        & (pl.col("expires_at").is_null() | (at < pl.col("expires_at")))
        & (pl.col("withdrawn_at").is_null() | (at < pl.col("withdrawn_at")))
    )
    return ~pl.lit(f.mark(ok["row"]))


def _contact_source(prm: p.ContactSourceRule, f: _Frames) -> pl.Expr:
    source = pl.lit(f.contact["source"])
    allowed = pl.lit(False)
    for audience, sources in prm.allowed.items():
        allowed = allowed | ((pl.col("audience") == audience) & source.is_in(list(sources)))
    return source.is_null() | ~allowed.fill_null(False)


def _borrower_unreachable(prm: p.BorrowerUnreachable, f: _Frames) -> pl.Expr:
    since = pl.col("unreachable_since")
    return since.is_null() | (since > pl.col("at") - prm.min_days * _DAY_US)


def _contact_refused(prm: p.NoParams, f: _Frames) -> pl.Expr:
    h = f.contact_history.filter(
        (pl.col("contact_id") == pl.col("a_contact_id")) & (pl.col("outcome") == "refused")
        & (pl.col("at") < pl.col("a_at"))
    )
    return pl.lit(f.contact["refused"]) | pl.lit(f.mark(h["row"]))


def _third_party_purpose(prm: p.ThirdPartyPurpose, f: _Frames) -> pl.Expr:
    return ~pl.col("purpose").is_in(list(prm.allowed_purposes))


def _once_only(prm: p.OnceOnly, f: _Frames) -> pl.Expr:
    h = f.contact_history.filter(
        (pl.col("contact_id") == pl.col("a_contact_id"))
        & pl.col("outcome").is_in(list(prm.outcomes)) & (pl.col("at") < pl.col("a_at"))
    )
    return pl.lit(f.mark(h["row"]))


def _prior_notice(prm: p.PriorNotice, f: _Frames) -> pl.Expr:
    nt = f.attach(f.b.notices.with_columns(pl.col("at").dt.epoch("us")), "at")
    ok = nt.filter(pl.col("kind").is_in(list(prm.kinds))
                   & (pl.col("at") <= pl.col("a_at") - prm.min_days * _DAY_US))
    return ~pl.lit(f.mark(ok["row"]))


def _flag_rows(f: _Frames, keep: pl.Expr) -> pl.Series:
    return f.mark(f.b.flags.filter(keep)["row"])


def _hold_flags(prm: p.HoldFlags, f: _Frames) -> pl.Expr:
    return pl.lit(_flag_rows(f, pl.col("flag").is_in(list(prm.flags))))


def _unknown_flags(prm: p.NoParams, f: _Frames) -> pl.Expr:
    return pl.lit(_flag_rows(f, ~pl.col("flag").is_in(list(KNOWN_FLAGS))))


def _cease(prm: p.Cease, f: _Frames) -> pl.Expr:
    fails = pl.lit(_flag_rows(f, pl.col("flag") == prm.flag))
    if prm.channel_opt_out:
        o = f.attach(f.b.opted_out, "channel").filter(pl.col("channel") == pl.col("a_channel"))
        fails = fails | ((pl.col("audience") == "borrower") & pl.lit(f.mark(o["row"])))
    return fails


def _template_approval(prm: p.TemplateApproval, f: _Frames) -> pl.Expr:
    missing = pl.col("template_id").is_null() & pl.col("channel").is_in(list(prm.required_for))
    return missing | (pl.col("template_id").is_not_null() & ~pl.col("template_approved"))


def _content(prm: p.Content, f: _Frames) -> pl.Expr:
    return f.lint_hits(lambda found, ch: bool(blocking_findings(prm, found, ch)))


def _disclosure(prm: p.Disclosure, f: _Frames) -> pl.Expr:
    said = f.lint_hits(lambda found, ch: "THIRD_PARTY_DISCLOSURE" in found)
    return pl.col("purpose").is_in(list(prm.disclosing_purposes)) | said


_KINDS: dict[str, Callable[[object, _Frames], pl.Expr]] = {
    "contact_hours": _contact_hours,  # type: ignore[dict-item]
    "counted_cap": _counted_cap,  # type: ignore[dict-item]
    "consent_required": _consent_required,  # type: ignore[dict-item]
    "contact_source": _contact_source,  # type: ignore[dict-item]
    "borrower_unreachable": _borrower_unreachable,  # type: ignore[dict-item]
    "contact_refused": _contact_refused,  # type: ignore[dict-item]
    "third_party_purpose": _third_party_purpose,  # type: ignore[dict-item]
    "once_only": _once_only,  # type: ignore[dict-item]
    "prior_notice": _prior_notice,  # type: ignore[dict-item]
    "hold_flags": _hold_flags,  # type: ignore[dict-item]
    "unknown_flags": _unknown_flags,  # type: ignore[dict-item]
    "cease": _cease,  # type: ignore[dict-item]
    "template_approval": _template_approval,  # type: ignore[dict-item]
    "content": _content,  # type: ignore[dict-item]
    "disclosure": _disclosure,  # type: ignore[dict-item]
}


def decide_frame(batch: RequestBatch, pack: Pack, *, linter: Linter = content_lint,
                 lists: bool = True) -> pl.DataFrame:
    """Decide every request of `batch` under `pack`.

    Returns `row, allowed, rule_mask` and, with `lists`, `rules` and `categories` (failing rule
    ids in pack order, and their distinct categories), empty lists for allowed rows.
    """
    if not pack.rules:
        raise ValueError("an empty rule set never allows")
    if len(pack.rules) > _MAX_RULES:
        raise InputError(f"pack {pack.id} has more than {_MAX_RULES} rules to vectorise")
    checked = batch.checked()
    if not checked.requests.height:
        empty = pl.DataFrame(schema={"row": pl.UInt32, "allowed": pl.Boolean,
                                     "rule_mask": pl.UInt64})
        return expand_masks(empty, pack) if lists else empty
    f = _Frames(checked, linter)
    f.prepare_caps([r.params for r in pack.rules if isinstance(r.params, p.CountedCap)])
    fails = [
        (pl.when(_applies(r)).then(_KINDS[r.kind](r.params, f)).otherwise(False)
         .fill_null(True)  # a rule that cannot be evaluated fails closed
         .cast(pl.UInt64) * (1 << i))
        for i, r in enumerate(pack.rules)
    ]
    out = f.r.select(
        "row", pl.sum_horizontal(fails).cast(pl.UInt64).alias("rule_mask")
    ).with_columns((pl.col("rule_mask") == 0).alias("allowed"))
    out = out.select("row", "allowed", "rule_mask")
    return expand_masks(out, pack) if lists else out


def expand_masks(frame: pl.DataFrame, pack: Pack) -> pl.DataFrame:
    """Add `rules` and `categories` list columns from `rule_mask` (done once per distinct mask)."""
    masks = frame["rule_mask"].unique().to_list()
    rules = [[r.id for i, r in enumerate(pack.rules) if m >> i & 1] for m in masks]
    cats = [
        sorted({r.category for i, r in enumerate(pack.rules) if m >> i & 1}) for m in masks
    ]
    table = pl.DataFrame(
        {"rule_mask": masks, "rules": rules, "categories": cats},
        schema={"rule_mask": pl.UInt64, "rules": pl.List(pl.String),
                "categories": pl.List(pl.String)},
    )
    return frame.join(table, on="rule_mask", how="left", maintain_order="left")
