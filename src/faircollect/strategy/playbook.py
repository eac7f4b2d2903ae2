"""Playbooks: a collection strategy as a versioned YAML file, per jurisdiction and risk segment.

A playbook divides the days past due into stages (pre-due, early, mid, late, recovery). Each
stage lists steps: a channel, a template, an audience, preferred local hours, the spacing
between attempts and how many attempts at most. A step may be an escalation (a contact
person, a field visit, agency placement, legal action); every stage after the first and every
escalation is a new round that the borrower is told about `notice_days` before it starts,
using the playbook's notice template. Stop conditions end all contact while they hold.

This module only reads and shapes the file; `validation` checks it against the packs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from faircollect.errors import ConfigError
from faircollect.policy.request import clock_seconds

STAGES: Final[tuple[str, ...]] = ("pre_due", "early", "mid", "late", "recovery")
STOP_CONDITIONS: Final[tuple[str, ...]] = ("paid", "promise_pending", "plan_active", "hold")
ESCALATIONS: Final[tuple[str, ...]] = ("contact_person", "field_visit", "agency", "legal")
DEFAULT_NOTICE_DAYS: Final = 3
_ID = re.compile(r"^[a-z][a-z0-9_]*(-[a-z0-9_]+)*-\d{4}\.\d+$")
MAX_VALID_DAYS = 7
_STEP_ID = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
_TOP_KEYS = {"id", "jurisdiction", "segment", "title", "notice_days", "notice", "stop_when",
             "stages", "experiment"}
_STAGE_KEYS = {"name", "dpd", "announce", "steps"}
_STEP_KEYS = {"id", "channel", "template", "audience", "purpose", "hours", "every_days",
              "max_attempts", "after_days", "escalation", "announce", "sources", "valid_days"}


@dataclass(frozen=True, slots=True)
class Window:
    """Preferred local hours [start, end), seconds after local midnight."""

    start: int
    end: int

    @property
    def text(self) -> str:
        return f"{self.start // 3600:02d}:{self.start % 3600 // 60:02d}-" \
               f"{self.end // 3600:02d}:{self.end % 3600 // 60:02d}"


@dataclass(frozen=True, slots=True)
class Step:
    """One kind of attempt within a stage."""

    id: str
    channel: str
    template: str
    audience: str
    purpose: str | None
    hours: Window
    every_days: int
    max_attempts: int
    after_days: int
    escalation: str | None
    announce: str | None
    sources: tuple[str, ...]
    # How many borrower-local days a planned message stays sendable: 1 (the default) ends
    # its validity with its planned local day; 3 lets a letter go out up to two days late.
    valid_days: int = 1
    # `template: {zh-CN: id, en: id}`: one template per locale, in the file's order (then
    # `template` is the first of them). Empty when `template` names one template, whose own
    # locale is then the only one the step has.
    templates: tuple[tuple[str, str], ...] = ()
    # `announce: {zh-CN: text, en: text}`: the announcement per locale (then `announce` is
    # the first); empty when `announce` is one text, which only a one-locale pack can use.
    announces: tuple[tuple[str, str], ...] = ()

    @property
    def template_ids(self) -> tuple[str, ...]:
        """Every template the step names."""
        return tuple(t for _, t in self.templates) or (self.template,)


@dataclass(frozen=True, slots=True)
class Stage:
    """A band of days past due [dpd_from, dpd_to] and its steps, in priority order."""

    name: str
    dpd_from: int
    dpd_to: int
    announce: str | None
    steps: tuple[Step, ...]
    announces: tuple[tuple[str, str], ...] = ()  # per locale, as for a Step


@dataclass(frozen=True, slots=True)
class NoticeSpec:
    """How rounds are announced: template, channel and preferred hours of the notice."""

    template: str
    channel: str
    hours: Window
    templates: tuple[tuple[str, str], ...] = ()  # per locale, as for a Step

    @property
    def template_ids(self) -> tuple[str, ...]:
        """Every template the notice names."""
        return tuple(t for _, t in self.templates) or (self.template,)


@dataclass(frozen=True, slots=True)
class Experiment:
    """This playbook is the challenger of `champion` for a stable `share` of accounts."""

    name: str
    champion: str
    share: float


@dataclass(frozen=True, slots=True)
class Playbook:
    """A validated-in-shape playbook (see `validation.validate` for the pack checks)."""

    id: str
    jurisdiction: str
    segment: str
    title: str
    notice_days: int
    notice: NoticeSpec
    stop_when: tuple[str, ...]
    stages: tuple[Stage, ...]
    experiment: Experiment | None
    source: str

    def steps(self) -> list[tuple[Stage, Step]]:
        """Every (stage, step) pair in file order."""
        return [(s, st) for s in self.stages for st in s.steps]


def _fail(where: str, reason: str) -> ConfigError:
    return ConfigError(f"playbook {where}: {reason}", file=where)


def _int(raw: Any, where: str, name: str, default: int, low: int) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _fail(where, f"{name} must be an integer of at least {low}")
    return value


def _window(raw: Any, where: str, what: str) -> Window:
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, str) for x in raw)):
        raise _fail(where, f"{what}: hours must be [\"HH:MM\", \"HH:MM\"]")
    try:
        start, end = clock_seconds(raw[0]), clock_seconds(raw[1])
    except ValueError as exc:
        raise _fail(where, f"{what}: {exc}") from None
    if start >= end:
        raise _fail(where, f"{what}: hours need start before end within one day")
    return Window(start, end)


def _step(raw: Any, where: str, stage: str) -> Step:
    if not isinstance(raw, dict):
        raise _fail(where, f"stage {stage}: each step must be a mapping")
    sid = raw.get("id")
    if not isinstance(sid, str) or not _STEP_ID.match(sid):
        raise _fail(where, f"stage {stage}: step id {sid!r} must be lower-case letters, digits, -")
    what = f"step {sid}"
    extra = set(raw) - _STEP_KEYS
    if extra:
        raise _fail(where, f"{what}: unknown keys {sorted(extra)}")
    if not isinstance(raw.get("channel"), str) or not raw["channel"]:
        raise _fail(where, f"{what}: channel is required")
    template, by_locale = _templates(raw.get("template"), where, what)
    escalation = raw.get("escalation")
    if escalation is not None and escalation not in ESCALATIONS:
        raise _fail(where, f"{what}: escalation must be one of {list(ESCALATIONS)}")
    sources = raw.get("sources", ["borrower_designated"])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise _fail(where, f"{what}: sources must be a list")
    announce, announces = _announce(raw.get("announce"), where, what)
    valid_days = _int(raw, where, "valid_days", 1, 1)
    if valid_days > MAX_VALID_DAYS:
        raise _fail(where, f"{what}: valid_days must be at most {MAX_VALID_DAYS}: a message "
                    "sent days after it was planned no longer says what is true")
    return Step(
        id=sid,
        channel=raw["channel"],
        template=template,
        audience=str(raw.get("audience", "borrower")),
        purpose=str(raw["purpose"]) if raw.get("purpose") is not None else None,
        hours=_window(raw.get("hours"), where, what),
        every_days=_int(raw, where, "every_days", 1, 1),
        max_attempts=_int(raw, where, "max_attempts", 1, 1),
        after_days=_int(raw, where, "after_days", 0, 0),
        escalation=escalation,
        announce=announce,
        sources=tuple(sources),
        valid_days=valid_days,
        templates=by_locale,
        announces=announces,
    )


def _announce(raw: Any, where: str, what: str) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """`announce: text` or `announce: {locale: text, ...}` as (first text, per-locale pairs)."""
    if isinstance(raw, dict):
        pairs = tuple((str(k), str(v).strip()) for k, v in raw.items() if v)
        if not pairs or len(pairs) != len(raw):
            raise _fail(where, f"{what}: announce needs a text for each locale it lists")
        return pairs[0][1], pairs
    return (str(raw).strip() if raw else None), ()


def _templates(raw: Any, where: str, what: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """`template: id` or `template: {locale: id, ...}` as (first id, per-locale pairs)."""
    if isinstance(raw, str) and raw:
        return raw, ()
    if isinstance(raw, dict) and raw and all(
            isinstance(k, str) and k and isinstance(v, str) and v for k, v in raw.items()):
        pairs = tuple((str(k), str(v)) for k, v in raw.items())
        return pairs[0][1], pairs
    raise _fail(where, f"{what}: template is required: a template id, or a mapping of "
                "locale to template id (e.g. {zh-CN: cn-early-sms})")


def _stage(raw: Any, where: str) -> Stage:
    if not isinstance(raw, dict):
        raise _fail(where, "each stage must be a mapping")
    name = raw.get("name")
    if name not in STAGES:
        raise _fail(where, f"stage name {name!r} must be one of {list(STAGES)}")
    extra = set(raw) - _STAGE_KEYS
    if extra:
        raise _fail(where, f"stage {name}: unknown keys {sorted(extra)}")
    dpd = raw.get("dpd")
    if not (isinstance(dpd, list) and len(dpd) == 2 and all(type(x) is int for x in dpd)
            and dpd[0] <= dpd[1]):
        raise _fail(where, f"stage {name}: dpd must be [from, to] with from <= to")
    steps = raw.get("steps")
    if not isinstance(steps, list) or not steps:
        raise _fail(where, f"stage {name}: needs a non-empty list of steps")
    announce, announces = _announce(raw.get("announce"), where, f"stage {name}")
    return Stage(name, dpd[0], dpd[1], announce,
                 tuple(_step(s, where, name) for s in steps), announces)


def parse_playbook(text: str, where: str) -> Playbook:
    """Read a playbook's YAML into its shape; ConfigError names the file and the part."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _fail(where, f"not valid YAML ({type(exc).__name__})") from None
    if not isinstance(doc, dict):
        raise _fail(where, "a playbook must be a mapping")
    extra = set(doc) - _TOP_KEYS
    if extra:
        raise _fail(where, f"unknown keys {sorted(extra)}")
    pid = doc.get("id")
    if not isinstance(pid, str) or not _ID.match(pid):
        raise _fail(where, f"id {pid!r} must look like name-YYYY.N (e.g. cn-standard-2026.1)")
    jurisdiction = doc.get("jurisdiction")
    if not isinstance(jurisdiction, str) or not re.fullmatch(r"[A-Z]{2}", jurisdiction):
        raise _fail(where, f"jurisdiction {jurisdiction!r} must be two capital letters")
    stop = doc.get("stop_when", list(STOP_CONDITIONS))
    if not isinstance(stop, list) or set(stop) - set(STOP_CONDITIONS):
        raise _fail(where, f"stop_when must list only {list(STOP_CONDITIONS)}")
    notice = doc.get("notice")
    if not isinstance(notice, dict) or not {"template", "channel"} <= set(notice):
        raise _fail(where, "notice needs a template, a channel and hours")
    stages = doc.get("stages")
    if not isinstance(stages, list) or not stages:
        raise _fail(where, "needs a non-empty list of stages")
    experiment = doc.get("experiment")
    exp: Experiment | None = None
    if experiment is not None:
        share = experiment.get("share") if isinstance(experiment, dict) else None
        if (not isinstance(experiment, dict) or not isinstance(experiment.get("name"), str)
                or not isinstance(experiment.get("champion"), str)
                or not isinstance(share, int | float) or not 0 < share < 1):
            raise _fail(where, "experiment needs a name, a champion id and 0 < share < 1")
        exp = Experiment(experiment["name"], experiment["champion"], float(share))
    return Playbook(
        id=pid,
        jurisdiction=jurisdiction,
        segment=str(doc.get("segment", "standard")),
        title=str(doc.get("title") or pid),
        notice_days=_int(doc, where, "notice_days", DEFAULT_NOTICE_DAYS, 1),
        notice=_notice(notice, where),
        stop_when=tuple(stop),
        stages=tuple(_stage(s, where) for s in stages),
        experiment=exp,
        source=where,
    )


def _notice(raw: dict[str, Any], where: str) -> NoticeSpec:
    template, by_locale = _templates(raw.get("template"), where, "notice")
    return NoticeSpec(template, str(raw["channel"]), _window(raw.get("hours"), where, "notice"),
                      by_locale)


def read_playbook(path: Path) -> Playbook:
    """Parse a playbook file (shape only)."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"playbook {path.name}: cannot read ({exc.strerror})",
                          file=path.name) from None
    return parse_playbook(text, path.name)
