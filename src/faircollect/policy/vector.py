"""The vectorised decide: the same packs over a RequestBatch of millions of requests.

Each rule kind is a Polars computation giving a boolean "fails" column over all rows; it mirrors
`kinds.py` rule for rule, and a Hypothesis test holds the two equal. The result has one row per
request: `allowed`, `rule_mask` (bit i set when the pack's rule i failed), and the failing rule
ids and categories as lists. `next_allowed_at` stays with the scalar `decide`: callers re-decide
the few denied attempts they want to re-plan. The shared columns live in `frames.Frames`.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from faircollect.errors import InputError
from faircollect.policy import params as p
from faircollect.policy.batch import RequestBatch
from faircollect.policy.content_check import LINT_ERROR, Linter, content_lint
from faircollect.policy.frames import DAY_US, Frames, among, code, findings_bits
from faircollect.policy.holidays import calendar
from faircollect.policy.pack import Pack, Rule
from faircollect.policy.params import THIRD_PARTY_KINDS
from faircollect.policy.request import (
    AUDIENCES,
    CHANNELS,
    KNOWN_FLAGS,
    OUTCOMES,
    PURPOSES,
    SOURCES,
    clock_seconds,
)
from faircollect.vocabulary import LIABLE_AUDIENCES

_MAX_RULES = 63  # the rule mask is one UInt64
_BORROWER = AUDIENCES.index("borrower")


def _applies(rule: Rule, f: Frames) -> pl.Expr | None:
    """Which rows the rule looks at (None: every row)."""
    a = rule.applies_to
    audiences = a.audiences
    if rule.kind in THIRD_PARTY_KINDS:
        audiences = tuple(x for x in (audiences or ("designated_contact", "third_party"))
                          if x != "borrower")
    parts = []
    if a.channels is not None:
        parts.append(among("ch", a.channels, CHANNELS))
    if audiences is not None:
        parts.append(among("aud", audiences, AUDIENCES))
    if a.purposes is not None:
        parts.append(among("pur", a.purposes, PURPOSES))
    if a.relations is not None or a.except_relations is not None:
        relation = pl.lit(f.contact["relation"])
        if a.relations is not None:
            parts.append(relation.is_in(list(a.relations)).fill_null(False))
        else:
            parts.append(~relation.is_in(list(a.except_relations or ())).fill_null(False))
    if not parts:
        return None
    expr = parts[0]
    for x in parts[1:]:
        expr = expr & x
    return expr


def _contact_hours(prm: p.ContactHours, f: Frames) -> pl.Expr:
    start, end = clock_seconds(prm.start), clock_seconds(prm.end)
    sod = pl.col("sod")
    inside = (sod >= start) & (sod < end)
    if prm.honour_agreed_windows and f.b.windows.height:
        w = f.attach(f.b.windows, "sod", "aud").filter(pl.col("a_aud") == _BORROWER)
        s, a, e = pl.col("a_sod"), pl.col("start_s"), pl.col("end_s")
        w = w.filter(pl.when(a < e).then((s >= a) & (s < e)).otherwise((s >= a) | (s < e)))
        inside = inside | pl.lit(f.mark(w["row"]))
    if prm.waived_over_days_past_due is not None:
        inside = inside | (pl.col("dpd") > prm.waived_over_days_past_due).fill_null(False)
    return ~inside


def _contact_days(prm: p.ContactDays, f: Frames) -> pl.Expr:
    day = f.local_day
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0 as in date.weekday()
    bad = ~weekday.is_in([p.WEEKDAYS.index(w) for w in prm.weekdays])
    if prm.calendar is not None:
        cal = calendar(prm.calendar)
        covered = pl.repeat(False, f.n, eager=True, dtype=pl.Boolean)
        for lo, hi in cal.covered_epoch_ranges():
            covered = covered | ((day >= lo) & (day < hi))
        bad = bad | ~covered | day.is_in(cal.epoch_days(prm.holiday_kinds))
    return pl.lit(bad)


def _liable_party(prm: p.LiableParty, f: Frames) -> pl.Expr:
    relation = pl.lit(f.contact["relation"])
    source = pl.lit(f.contact["source"]).to_physical()
    ok = pl.lit(False)
    for audience in prm.served:
        ok = ok | ((pl.col("aud") == AUDIENCES.index(audience)) & (relation == audience))
    ok = ok.fill_null(False) & source.is_in(code(prm.sources, SOURCES)).fill_null(False)
    return among("aud", LIABLE_AUDIENCES, AUDIENCES) & ~ok


def _counted_cap(prm: p.CountedCap, f: Frames) -> pl.Expr:
    return pl.lit(f.cap_counts[id(prm)]) >= prm.limit


def _consent_required(prm: p.ConsentRequired, f: Frames) -> pl.Expr:
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
    person = (pl.col("aud") == AUDIENCES.index("designated_contact")) | pl.lit(
        f.contact["source"]).to_physical().is_in(code(prm.sources, SOURCES)).fill_null(False)
    return person & ~pl.lit(f.mark(ok["row"]))


def _contact_source(prm: p.ContactSourceRule, f: Frames) -> pl.Expr:
    source = pl.lit(f.contact["source"]).to_physical()
    allowed = pl.lit(False)
    for audience, sources in prm.allowed.items():
        allowed = allowed | ((pl.col("aud") == AUDIENCES.index(audience))
                             & source.is_in(code(sources, SOURCES)))
    return source.is_null() | ~allowed.fill_null(False)


def _borrower_unreachable(prm: p.BorrowerUnreachable, f: Frames) -> pl.Expr:
    since = pl.col("unreachable_since")
    return since.is_null() | (since > pl.col("at") - prm.min_days * DAY_US)


def _contact_refused(prm: p.NoParams, f: Frames) -> pl.Expr:
    h = f.contact_history.filter(
        (pl.col("contact_id") == pl.col("a_contact_id")) & (pl.col("outcome") == "refused")
        & (pl.col("at") < pl.col("a_at"))
    )
    return pl.lit(f.contact["refused"]) | pl.lit(f.mark(h["row"]))


def _third_party_purpose(prm: p.ThirdPartyPurpose, f: Frames) -> pl.Expr:
    return ~among("pur", prm.allowed_purposes, PURPOSES)


def _once_only(prm: p.OnceOnly, f: Frames) -> pl.Expr:
    h = f.contact_history.filter(
        (pl.col("contact_id") == pl.col("a_contact_id"))
        & pl.col("outcome").to_physical().is_in(code(prm.outcomes, OUTCOMES))
        & (pl.col("at") < pl.col("a_at"))
    )
    return pl.lit(f.mark(h["row"]))


def _prior_notice(prm: p.PriorNotice, f: Frames) -> pl.Expr:
    nt = f.attach(f.b.notices.with_columns(pl.col("at").dt.epoch("us")), "at")
    ok = nt.filter(pl.col("kind").is_in(list(prm.kinds))
                   & (pl.col("at") <= pl.col("a_at") - prm.min_days * DAY_US))
    return ~pl.lit(f.mark(ok["row"]))


def _flag_rows(f: Frames, keep: pl.Expr) -> pl.Series:
    return f.mark(f.b.flags.filter(keep)["row"])


def _hold_flags(prm: p.HoldFlags, f: Frames) -> pl.Expr:
    return pl.lit(_flag_rows(f, pl.col("flag").is_in(list(prm.flags))))


def _unknown_flags(prm: p.NoParams, f: Frames) -> pl.Expr:
    return pl.lit(_flag_rows(f, ~pl.col("flag").is_in(list(KNOWN_FLAGS))))


def _cease(prm: p.Cease, f: Frames) -> pl.Expr:
    fails = (pl.lit(_flag_rows(f, pl.col("flag") == prm.flag)) if prm.cease_request
             else pl.lit(False))
    if prm.channel_opt_out and f.b.opted_out.height:
        o = f.attach(f.b.opted_out, "ch").filter(
            pl.col("channel").to_physical() == pl.col("a_ch"))
        fails = fails | ((pl.col("aud") == _BORROWER) & pl.lit(f.mark(o["row"])))
    return fails


def _template_approval(prm: p.TemplateApproval, f: Frames) -> pl.Expr:
    missing = pl.col("template_id").is_null() & pl.col("ch").is_in(
        code(prm.required_for, CHANNELS))
    return missing | (pl.col("template_id").is_not_null() & ~pl.col("template_approved"))


def _content(prm: p.Content, f: Frames) -> pl.Expr:
    found = pl.lit(f.findings)
    always = findings_bits([c for c in prm.blocking if c != "OPT_OUT_MISSING"] + [LINT_ERROR])
    fails = (found & always) != 0
    if "OPT_OUT_MISSING" in prm.blocking and prm.require_opt_out:
        fails = fails | (((found & findings_bits(["OPT_OUT_MISSING"])) != 0)
                         & among("ch", prm.require_opt_out, CHANNELS))
    return fails


def _disclosure(prm: p.Disclosure, f: Frames) -> pl.Expr:
    said = (pl.lit(f.findings) & findings_bits(["THIRD_PARTY_DISCLOSURE"])) != 0
    return among("pur", prm.disclosing_purposes, PURPOSES) | said


def _actor_training(prm: p.ActorTraining, f: Frames) -> pl.Expr:
    req = f.b.requests
    kind = req["actor_kind"].is_in(list(prm.actors)).fill_null(False)
    trained = req["actor_training_valid"].fill_null(False)
    return pl.lit(kind & ~trained)


_KINDS: dict[str, Callable[[object, Frames], pl.Expr]] = {
    "contact_hours": _contact_hours,  # type: ignore[dict-item]
    "contact_days": _contact_days,  # type: ignore[dict-item]
    "liable_party": _liable_party,  # type: ignore[dict-item]
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
    "actor_training": _actor_training,  # type: ignore[dict-item]
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
    caps = [r.params for r in pack.rules if isinstance(r.params, p.CountedCap)]
    periods = tuple(sorted({c.days for c in caps if c.window == "local_days" and c.days}))
    f = Frames(checked, linter, day_start=any(c.window == "local_day" for c in caps)
               or bool(periods), period_days=periods)
    f.prepare_caps(caps)
    bits: list[pl.Expr] = []
    for r in pack.rules:
        fails = _KINDS[r.kind](r.params, f).fill_null(True)  # cannot evaluate: fail closed
        applies = _applies(r, f)
        bits.append(fails if applies is None else applies & fails)
    out = f.r.select("row", rule_mask=_mask(bits)).with_columns(allowed=pl.col("rule_mask") == 0)
    out = out.select("row", "allowed", "rule_mask")
    return expand_masks(out, pack) if lists else out


def _mask(fails: list[pl.Expr]) -> pl.Expr:
    """Bit i set where fails[i]: summed a byte at a time (8x less memory than UInt64 sums)."""
    groups = []
    for g in range(0, len(fails), 8):
        byte = pl.sum_horizontal(
            e.cast(pl.UInt8) * (1 << (i - g)) for i, e in enumerate(fails[g:g + 8], start=g))
        groups.append(byte.cast(pl.UInt64) * (1 << g))
    return pl.sum_horizontal(groups).cast(pl.UInt64)


def expand_masks(frame: pl.DataFrame, pack: Pack) -> pl.DataFrame:
    """Add `rules` and `categories` list columns from `rule_mask`.

    The lists are built once per distinct mask (a batch has a few dozen) and gathered by a
    small index, so no rule id is formatted per row.
    """
    masks = frame["rule_mask"].unique()
    values = masks.to_list()
    rules = pl.Series([[r.id for i, r in enumerate(pack.rules) if m >> i & 1] for m in values],
                      dtype=pl.List(pl.String))
    cats = pl.Series(
        [sorted({r.category for i, r in enumerate(pack.rules) if m >> i & 1}) for m in values],
        dtype=pl.List(pl.String))
    idx = frame["rule_mask"].replace_strict(
        masks, pl.int_range(masks.len(), eager=True, dtype=pl.UInt32), return_dtype=pl.UInt32)
    return frame.with_columns(rules=rules.gather(idx), categories=cats.gather(idx))
