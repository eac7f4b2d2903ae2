"""The planner: which attempts each account gets on a business date, and when.

Pure: frames in, frames out, no database or clock. For each account it picks the playbook
(champion, or challenger by a stable hash), applies the stop conditions, finds the stage by
days past due and plans, at most, for the day:

- one round notice (the stage about to start, or an escalation about to happen), sent
  `notice_days` before the round; a round's steps only run once its notice is that old;
- one borrower step, the first due in the stage's priority order (spacing and max attempts
  counted over the current delinquency episode);
- one contact-person step, only when the borrower has been unreachable for 3 days, only to a
  designated contact with a valid consent who has not refused, purpose locate, once.

Each attempt gets a time inside its preferred local hours, spread by a hash so a portfolio's
attempts do not all land on the same minute. `decisions.decide_plan` then asks the policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import polars as pl

from faircollect.strategy.experiments import CHALLENGER, CHAMPION, buckets
from faircollect.strategy.inputs import PlanInputs
from faircollect.strategy.library import PlaybookSet
from faircollect.strategy.steps import (
    announce_frame,
    notice_frame,
    notice_template_frame,
    stage_frame,
    step_frame,
    step_template_frame,
)
from faircollect.vocabulary import HOLD_FLAGS

UNREACHABLE_DAYS = 3  # HOUSE-BORROWER-FIRST: contact persons only after this long
NOTICE_PREFIX = "notice-"
ATTEMPT_COLUMNS = (
    "borrower_id", "jurisdiction", "playbook_id", "arm", "stage", "step_id", "kind",
    "channel", "audience", "contact_id", "purpose", "template_id", "next_step", "planned_at",
    "timezone", "locale", "dpd", "overdue_minor", "currency", "due_date", "hours_end",
    "expires_at",
)


@dataclass(frozen=True, slots=True)
class Plan:
    """Attempts to decide (ATTEMPT_COLUMNS) and why the other accounts got none."""

    attempts: pl.DataFrame
    stopped: dict[str, int]


def assign_playbooks(accounts: pl.DataFrame, books: PlaybookSet) -> pl.DataFrame:
    """accounts with playbook_id and arm (null playbook: no playbook for the jurisdiction)."""
    keys = accounts.select("jurisdiction", "segment").unique()
    rows = []
    for jur, seg in keys.iter_rows():
        champ = books.champion(jur, seg)
        rows.append((jur, seg, champ.id if champ else None))
    table = pl.DataFrame(rows, schema={"jurisdiction": pl.String, "segment": pl.String,
                                       "playbook_id": pl.String}, orient="row")
    out = accounts.join(table, on=["jurisdiction", "segment"], how="left")
    out = out.with_columns(arm=pl.when(pl.col("playbook_id").is_not_null())
                           .then(pl.lit(CHAMPION)).otherwise(None))
    for champ_id in out["playbook_id"].drop_nulls().unique().to_list():
        challengers = books.challengers(champ_id)
        if not challengers:
            continue
        idx = pl.arg_where(out["playbook_id"] == champ_id, eager=True)
        ids = out["borrower_id"].gather(idx)
        chosen: pl.Expr = pl.lit(champ_id)
        frame = pl.DataFrame({"i": idx})
        # Challengers take consecutive slices of [0, 1): each keeps its share exactly.
        low = 0.0
        for k, ch in enumerate(challengers):
            assert ch.experiment is not None  # challengers() only returns experiments
            high = low + ch.experiment.share
            frame = frame.with_columns(buckets(ch.experiment.name, ids).alias(f"b{k}"))
            chosen = pl.when(pl.col(f"b{k}").is_between(low, high, closed="left")).then(
                pl.lit(ch.id)).otherwise(chosen)
            low = high
        picked = frame.select(chosen.alias("p"))["p"]
        arm = pl.Series(picked == champ_id).replace_strict(
            {True: CHAMPION, False: CHALLENGER}, return_dtype=pl.String)
        out = out.with_columns(playbook_id=out["playbook_id"].scatter(idx, picked),
                               arm=out["arm"].scatter(idx, arm))
    return out


def _stop_reason() -> pl.Expr:
    hold = pl.col("flags").list.eval(pl.element().is_in(list(HOLD_FLAGS))).list.any()

    def on(name: str, cond: pl.Expr) -> pl.Expr:
        return pl.col("stop_when").list.contains(name) & cond

    return (
        pl.when(on("hold", hold)).then(pl.lit("hold"))
        .when(on("plan_active", pl.col("plan_active"))).then(pl.lit("plan_active"))
        .when(on("promise_pending", pl.col("promise_pending"))).then(pl.lit("promise_pending"))
        .when(on("paid", (pl.col("overdue_minor") <= 0) & (pl.col("dpd") > 0)))
        .then(pl.lit("paid"))
        .otherwise(None)
    )


# Account columns the stop reason reads and nothing after it.
_STOP_ONLY = ("segment", "flags", "opted_out", "promise_pending", "plan_active", "stop_when",
              "stop")


# What a due step needs of its account: the stage and timing, and the attempt's own columns.
_STEP_INPUTS = ("borrower_id", "jurisdiction", "playbook_id", "arm", "stage", "dpd", "dpd_from",
                "ready_by", "timezone", "locale", "overdue_minor", "currency", "due_date")


def plan_day(inputs: PlanInputs, books: PlaybookSet, day: date) -> Plan:
    """Plan every account's attempts for `day` (see the module docstring)."""
    inp = inputs.checked()
    stops = pl.DataFrame({"playbook_id": list(books.playbooks),
                          "stop_when": [list(b.stop_when) for b in books.playbooks.values()]},
                         schema={"playbook_id": pl.String, "stop_when": pl.List(pl.String)})
    acc = assign_playbooks(inp.accounts, books).join(stops, on="playbook_id", how="left")
    acc = acc.with_columns(stop=pl.when(pl.col("playbook_id").is_null())
                           .then(pl.lit("no_playbook")).otherwise(_stop_reason()))
    stages = stage_frame(books)
    stopped = dict(acc.filter(pl.col("stop").is_not_null())["stop"].value_counts().iter_rows())
    # Only what planning reads goes on: the list columns (flags, opt-outs, stop rules) were
    # for the stop reason, and every join below would copy them for nothing.
    going = acc.filter(pl.col("stop").is_null()).drop(_STOP_ONLY)
    cur = going.join(stages, on="playbook_id").filter(
        pl.col("dpd").is_between(pl.col("dpd_from"), pl.col("dpd_to")))
    stopped["no_stage"] = going.height - cur.height
    d = pl.lit(day)
    cur = cur.with_columns(
        episode_start=d - pl.duration(days=pl.col("dpd").clip(lower_bound=0)
                                      + pl.col("notice_days") + 4),
        ready_by=d - pl.duration(days=pl.col("notice_days")),
    )
    done = inp.done.join(cur.select("borrower_id", "episode_start"), on="borrower_id").filter(
        (pl.col("business_date") >= pl.col("episode_start")) & (pl.col("business_date") < d))
    announced = (
        done.filter(pl.col("allowed") & pl.col("step_id").str.starts_with(NOTICE_PREFIX))
        .group_by("borrower_id", round=pl.col("step_id").str.strip_prefix(NOTICE_PREFIX))
        .agg(announced_on=pl.col("business_date").min())
    )
    cur = cur.join(announced.rename({"round": "stage", "announced_on": "stage_announced"}),
                   on=["borrower_id", "stage"], how="left").with_columns(
        stage_ready=(pl.col("stage_index") == 0)
        | (pl.col("stage_announced") <= pl.col("ready_by")).fill_null(False))
    contacts = _eligible_contacts(inp, cur, day)
    steps = _localised(_due_steps(cur, step_frame(books), done, announced, contacts, day),
                       books)
    notices = _notices(cur, steps, announced, books)
    attempts = pl.concat([_cols(steps), _cols(notices)], how="vertical_relaxed")
    attempts = _timed(attempts, day)
    return Plan(attempts.select(ATTEMPT_COLUMNS), {k: int(v) for k, v in stopped.items()})


def _cols(frame: pl.DataFrame) -> pl.DataFrame:
    have = set(frame.columns)
    return frame.select([c if c in have else pl.lit(None).alias(c)
                         for c in ATTEMPT_COLUMNS
                         if c not in ("planned_at", "hours_end", "expires_at")]
                        + ["hours_start", "hours_end",
                           (pl.col("valid_days") if "valid_days" in have
                            else pl.lit(1)).cast(pl.Int32).alias("valid_days")])


def _eligible_contacts(inp: PlanInputs, cur: pl.DataFrame, day: date) -> pl.DataFrame:
    """Designated, consented, not refused contacts of unreachable borrowers."""
    cutoff = datetime.combine(day - timedelta(days=UNREACHABLE_DAYS), time(0), tzinfo=None)
    unreachable = cur.filter(pl.col("unreachable_since").is_not_null()
                             & (pl.col("unreachable_since").dt.replace_time_zone(None) <= cutoff))
    at = datetime.combine(day, time(0))
    end = at + timedelta(days=1)
    consented = inp.consents.with_columns(
        pl.col("granted_at", "expires_at", "withdrawn_at").dt.replace_time_zone(None)
    ).filter(  # valid for the whole local day, wherever the borrower lives
        (pl.col("granted_at") <= at - timedelta(days=1))
        & (pl.col("expires_at").is_null() | (pl.col("expires_at") > end + timedelta(days=1)))
        & (pl.col("withdrawn_at").is_null() | (pl.col("withdrawn_at") > end + timedelta(days=1)))
    ).select("borrower_id", "contact_id").unique()
    refused_before = inp.history.filter(pl.col("outcome") == "refused").select(
        "borrower_id", "contact_id").unique()
    return (
        inp.contacts.filter((pl.col("source") == "borrower_designated") & ~pl.col("refused"))
        .join(unreachable.select("borrower_id"), on="borrower_id", how="semi")
        .join(consented, on=["borrower_id", "contact_id"], how="semi")
        .join(refused_before, on=["borrower_id", "contact_id"], how="anti")
        .select("borrower_id", "contact_id")
    )


def _due_steps(cur: pl.DataFrame, steps: pl.DataFrame, done: pl.DataFrame,
               announced: pl.DataFrame, contacts: pl.DataFrame, day: date) -> pl.DataFrame:
    d = pl.lit(day)
    ready = cur.filter(pl.col("stage_ready")).select(_STEP_INPUTS)
    cand = ready.join(steps.drop("announce"), on=["playbook_id", "stage"]).filter(
        pl.col("dpd") - pl.col("dpd_from") >= pl.col("after_days"))
    # An escalation runs only once its own round was announced long enough ago.
    esc = announced.rename({"round": "step_id", "announced_on": "step_announced"})
    cand = cand.join(esc, on=["borrower_id", "step_id"], how="left").filter(
        pl.col("escalation").is_null()
        | (pl.col("step_announced") <= pl.col("ready_by")).fill_null(False))
    borrower = cand.filter(pl.col("audience") == "borrower").with_columns(
        contact_id=pl.lit(None, pl.String))
    person = cand.filter(pl.col("audience") != "borrower").join(contacts, on="borrower_id")
    both = pl.concat([borrower, person.select(borrower.columns)])
    counts = done.group_by("borrower_id", "step_id", "contact_id").agg(
        n_allowed=pl.col("allowed").sum(), last_on=pl.col("business_date").max())
    both = both.join(counts, on=["borrower_id", "step_id", "contact_id"], how="left",
                     nulls_equal=True).filter(
        (pl.col("n_allowed").fill_null(0) < pl.col("max_attempts"))
        & (pl.col("last_on").is_null()
           | (pl.col("last_on") <= d - pl.duration(days=pl.col("every_days")))))
    # One borrower step and one contact-person step a day, the first by priority.
    key = ["borrower_id", "audience"]
    first = both.filter(pl.col("priority") == pl.col("priority").min().over(key))
    first = first.filter(pl.col("contact_id").is_null()
                         | (pl.col("contact_id") == pl.col("contact_id").min().over(key)))
    return first.unique(key, keep="any").with_columns(
        kind=pl.lit("message"), next_step=pl.lit(None, pl.String))


def _notices(cur: pl.DataFrame, steps: pl.DataFrame, announced: pl.DataFrame,
             books: PlaybookSet) -> pl.DataFrame:
    """At most one round notice per account: this stage, an escalation, or the next stage."""
    this_stage = cur.filter(~pl.col("stage_ready") & pl.col("stage_announced").is_null()).select(
        "borrower_id", round=pl.col("stage"), next_step=pl.col("announce"), rank=pl.lit(0))
    esc_steps = step_frame(books).filter(pl.col("escalation").is_not_null())
    esc = cur.filter(pl.col("stage_ready")).join(esc_steps, on=["playbook_id", "stage"]).filter(
        pl.col("dpd") - pl.col("dpd_from") >= pl.col("after_days"))
    unreach = cur.filter(pl.col("unreachable_since").is_not_null()).select("borrower_id")
    esc = esc.filter((pl.col("escalation") != "contact_person")
                     | pl.col("borrower_id").is_in(unreach["borrower_id"].implode()))
    esc = esc.select("borrower_id", round=pl.col("step_id"), next_step=pl.col("announce"),
                     rank=pl.lit(1))
    nxt = cur.filter(pl.col("next_stage").is_not_null()
                     & (pl.col("dpd") >= pl.col("next_from") - pl.col("notice_days"))).select(
        "borrower_id", round=pl.col("next_stage"), next_step=pl.col("next_announce"),
        rank=pl.lit(2))
    cand = pl.concat([this_stage, esc, nxt]).join(announced, on=["borrower_id", "round"],
                                                   how="anti")
    picked = cand.sort("borrower_id", "rank").unique("borrower_id", keep="first",
                                                     maintain_order=True)
    base = cur.select("borrower_id", "jurisdiction", "playbook_id", "arm", "stage", "timezone",
                      "locale", "dpd", "overdue_minor", "currency", "due_date")
    nf = notice_frame(books).drop("template_id")
    # The notice and its words about the next round, both in the borrower's locale; with
    # either missing there is no template (null), and nothing in another language is sent.
    words = announce_frame(books).unique(["playbook_id", "round", "locale"], keep="first",
                                         maintain_order=True)
    return (
        picked.drop("next_step").join(base, on="borrower_id").join(nf, on="playbook_id")
        .join(notice_template_frame(books), on=["playbook_id", "locale"], how="left")
        .join(words, on=["playbook_id", "round", "locale"], how="left")
        .with_columns(template_id=pl.when(pl.col("next_step").is_not_null())
                      .then(pl.col("template_id")),
                      step_id=pl.lit(NOTICE_PREFIX) + pl.col("round"), kind=pl.lit("notice"),
                      audience=pl.lit("borrower"), contact_id=pl.lit(None, pl.String),
                      purpose=pl.lit("reminder"))
    )


def _localised(steps: pl.DataFrame, books: PlaybookSet) -> pl.DataFrame:
    """Each due step with the template of the borrower's locale (null when it has none)."""
    return steps.drop("template_id").join(step_template_frame(books),
                                          on=["playbook_id", "step_id", "locale"], how="left")


def _timed(attempts: pl.DataFrame, day: date) -> pl.DataFrame:
    """Give each attempt a minute inside its hours, as a UTC instant of its local day, and
    the end of its validity: the local midnight `valid_days` after the start of that day."""
    span = ((pl.col("hours_end") - pl.col("hours_start")) // 60 - 1).clip(lower_bound=1)
    mix = (pl.col("borrower_id").hash(seed=day.toordinal())
           ^ pl.col("step_id").hash(seed=1) ^ pl.col("contact_id").fill_null("").hash(seed=2))
    spread = (mix % span.cast(pl.UInt64)).cast(pl.Int32)
    frame = attempts.with_columns(
        local=pl.lit(datetime.combine(day, time(0)))
        + pl.duration(seconds=pl.col("hours_start") + spread * 60),
        local_end=pl.lit(datetime.combine(day, time(0)))
        + pl.duration(days=pl.col("valid_days")))
    parts = []
    for (tz,), part in frame.partition_by("timezone", as_dict=True).items():
        parts.append(part.with_columns(
            planned_at=pl.col("local").dt.replace_time_zone(
                str(tz), ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC"),
            # Midnight exists in every zone the planner serves; "latest" keeps a day whole.
            expires_at=pl.col("local_end").dt.replace_time_zone(
                str(tz), ambiguous="latest", non_existent="null")
            .dt.convert_time_zone("UTC")))
    if not parts:
        return frame.with_columns(planned_at=pl.lit(None, pl.Datetime("us", "UTC")),
                                  expires_at=pl.lit(None, pl.Datetime("us", "UTC")))
    # Local times inside preferred daytime hours always exist; a null would mean a zone
    # skipping that hour, and such an attempt is left to tomorrow rather than guessed.
    return pl.concat(parts).filter(pl.col("planned_at").is_not_null())
