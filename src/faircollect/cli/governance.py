"""`faircollect training|review|regulator|pia ...`: compliance governance (issue #19).

Thin: each command calls a governance service and prints JSON. Reviewer roles come from
FAIRCOLLECT_ROLES (e.g. `compliance` or `legal`), as for `faircollect templates`.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from faircollect.cli._output import JsonOption, emit, emit_lines
from faircollect.errors import InputError


def register(app: typer.Typer) -> None:
    """Add the `training`, `review` and `regulator` command groups."""
    training = typer.Typer(help="Training courses and completions (gate collectors).",
                           no_args_is_help=True)
    training.command("add-course")(add_course_command)
    training.command("record")(record_command)
    training.command("import")(import_command)
    training.command("status")(status_command)
    training.command("expiring")(expiring_command)
    app.add_typer(training, name="training")
    review = typer.Typer(help="Strategy review: playbooks and pack overrides, maker-checker.",
                         no_args_is_help=True)
    review.command("add")(review_add_command)
    review.command("submit")(review_submit_command)
    review.command("show")(review_show_command)
    review.command("approve")(review_approve_command)
    review.command("send-back")(review_send_back_command)
    app.add_typer(review, name="review")
    regulator = typer.Typer(help="Regulator reports (CSV and PDF).", no_args_is_help=True)
    regulator.command("report")(regulator_command)
    app.add_typer(regulator, name="regulator")
    pia = typer.Typer(help="Personal-information impact assessment (PIPL Art. 55-56).",
                      no_args_is_help=True)
    pia.command("generate")(pia_generate_command)
    pia.command("list")(pia_list_command)
    pia.command("export")(pia_export_command)
    pia.command("prune")(pia_prune_command)
    app.add_typer(pia, name="pia")


def _cc(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from faircollect.cli._context import app_for

    return app_for(ctx)


def add_course_command(
    ctx: typer.Context,
    course_id: Annotated[str, typer.Option("--id", help="Course id.")],
    title: Annotated[str, typer.Option(help="Title.")],
    jurisdiction: Annotated[str, typer.Option(help="CN | US | UK | ...")],
    validity_days: Annotated[int, typer.Option(help="Days a pass stays valid.")],
    pass_mark: Annotated[int, typer.Option(help="Pass mark, percent.")],
    topic: Annotated[list[str] | None, typer.Option(help="A topic (repeat).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Register a training course."""
    from faircollect.governance.training import Course
    from faircollect.governance.training_service import TrainingService

    cc = _cc(ctx)
    c = TrainingService(cc.app.store).add_course(cc.actor, Course(
        course_id, title, jurisdiction, tuple(topic or ()), validity_days, pass_mark))
    emit({"course_id": c.course_id, "jurisdiction": c.jurisdiction})


def record_command(
    ctx: typer.Context,
    course_id: Annotated[str, typer.Option("--course", help="Course id.")],
    person_id: Annotated[str, typer.Option("--person", help="Collector or agency id.")],
    score: Annotated[int, typer.Option(help="Score, percent.")],
    kind: Annotated[str, typer.Option(help="collector | agency")] = "collector",
    completed_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record one completion."""
    from faircollect.governance.training_service import TrainingService

    cc = _cc(ctx)
    try:
        when = (datetime.combine(date.fromisoformat(completed_on), datetime.min.time(),
                                 tzinfo=UTC) if completed_on else cc.app.store.clock())
    except ValueError:
        raise InputError("--completed-on: YYYY-MM-DD", field="completed_on") from None
    c = TrainingService(cc.app.store).record(cc.actor, course_id=course_id, person_id=person_id,
                                             person_kind=kind, score=score, completed_at=when)
    emit({"person_id": c.person_id, "course_id": c.course_id, "passed": c.passed,
          "expires_at": c.expires_at.isoformat()})


def import_command(ctx: typer.Context, file: Annotated[Path, typer.Argument()],
                   as_json: JsonOption = False) -> None:
    """Import completions from CSV (course_id,person_id,person_kind,score,completed_on)."""
    from faircollect.governance.training_service import TrainingService

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {file.name}: {type(exc).__name__}") from None
    cc = _cc(ctx)
    done = TrainingService(cc.app.store).import_csv(cc.actor, text, file.name)
    emit({"imported": len(done), "passed": sum(c.passed for c in done)})


def status_command(ctx: typer.Context,
                   person_id: Annotated[str, typer.Argument(help="Collector or agency id.")],
                   jurisdiction: Annotated[str, typer.Option(help="CN | US | ...")],
                   as_json: JsonOption = False) -> None:
    """Whether a person may work cases of a jurisdiction now."""
    from faircollect.governance.training_service import TrainingService

    emit(TrainingService(_cc(ctx).app.store).status(person_id, jurisdiction).to_json())


def expiring_command(ctx: typer.Context, days: Annotated[int, typer.Option()] = 30,
                     as_json: JsonOption = False) -> None:
    """Certificates expiring within DAYS (not renewed)."""
    from faircollect.governance.training_service import TrainingService

    emit_lines(TrainingService(_cc(ctx).app.store).expiring(days))


def _review(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from faircollect.content.template import Actor
    from faircollect.governance.strategy_service import StrategyReview
    from faircollect.strategy.registry_source import RegistrySource

    cc = _cc(ctx)
    roles = frozenset(r.strip() for r in os.environ.get("FAIRCOLLECT_ROLES", "").split(",")
                      if r.strip())
    return StrategyReview(cc.app.store, RegistrySource.load(cc.app.store)), Actor(cc.actor, roles)


_KIND = typer.Option("--kind", help="playbook | override")


def review_add_command(ctx: typer.Context, file: Annotated[Path, typer.Argument()],
                       kind: Annotated[str, _KIND] = "playbook",
                       as_json: JsonOption = False) -> None:
    """Add a draft (or revise your open draft) from a YAML file."""
    review, actor = _review(ctx)
    emit(review.add(actor, kind, file.read_text(encoding="utf-8")).to_json())


def review_submit_command(ctx: typer.Context, subject_id: Annotated[str, typer.Argument()],
                          kind: Annotated[str, _KIND] = "playbook",
                          as_json: JsonOption = False) -> None:
    """Submit a draft: validated, and replayed over the last 30 days of cycles."""
    review, actor = _review(ctx)
    v = review.submit(actor, kind, subject_id)
    emit({**v.to_json(), "replay": v.replay})


def review_show_command(ctx: typer.Context, subject_id: Annotated[str, typer.Argument()],
                        kind: Annotated[str, _KIND] = "playbook",
                        as_json: JsonOption = False) -> None:
    """What the approver sees: diff against what runs now, and the replay."""
    review, _ = _review(ctx)
    emit(review.review(kind, subject_id))


def review_approve_command(ctx: typer.Context, subject_id: Annotated[str, typer.Argument()],
                           kind: Annotated[str, _KIND] = "playbook",
                           as_json: JsonOption = False) -> None:
    """Approve (compliance or legal role; never the author)."""
    review, actor = _review(ctx)
    emit(review.approve(actor, kind, subject_id).to_json())


def review_send_back_command(ctx: typer.Context, subject_id: Annotated[str, typer.Argument()],
                             kind: Annotated[str, _KIND] = "playbook",
                             as_json: JsonOption = False) -> None:
    """Return a version in review to its author."""
    review, actor = _review(ctx)
    emit(review.send_back(actor, kind, subject_id).to_json())


def regulator_command(
    ctx: typer.Context,
    jurisdiction: Annotated[str, typer.Option(help="CN | US | UK | ...")],
    start: Annotated[str, typer.Option("--from", help="YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="YYYY-MM-DD")],
    out: Annotated[Path, typer.Option(help="Folder for regulator-<J>-<from>-<to>.csv/.pdf")],
    as_json: JsonOption = False,
) -> None:
    """Write the regulator report as CSV and PDF, stamped with the audit checkpoint."""
    from faircollect.governance.regulator import as_json as report_json
    from faircollect.governance.regulator import to_csv, to_html, to_pdf
    from faircollect.governance.regulator_service import regulator_report
    from faircollect.private import ensure_private_dir, write_private

    try:
        lo, hi = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise InputError("--from/--to: YYYY-MM-DD", field="from") from None
    report = regulator_report(_cc(ctx).app, jurisdiction, lo, hi)
    ensure_private_dir(out)
    stem = f"regulator-{jurisdiction}-{lo}-{hi}"
    write_private(out / f"{stem}.csv", to_csv(report).encode("utf-8"))
    write_private(out / f"{stem}.pdf", to_pdf(to_html(report)))
    emit({**report_json(report), "csv": str(out / f"{stem}.csv"),
          "pdf": str(out / f"{stem}.pdf")})


def pia_generate_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Assess the data map now; a new version is kept when the assessment changed."""
    from faircollect.governance.pia_service import PiaService

    cc = _cc(ctx)
    emit(PiaService(cc.app.store).generate(cc.actor).to_json())


def pia_list_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every kept PIA version."""
    from faircollect.governance.pia_service import PiaService

    emit_lines(v.to_json() for v in PiaService(_cc(ctx).app.store).list())


def pia_export_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Folder for pia-v<N>.html and pia-v<N>.pdf")],
    version: Annotated[int | None, typer.Option(help="Default: the newest.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Write a PIA version as HTML and PDF."""
    from faircollect.governance.pia_service import PiaService
    from faircollect.private import ensure_private_dir, write_private

    v = PiaService(_cc(ctx).app.store).get(version)
    ensure_private_dir(out)
    html, pdf = out / f"pia-v{v.version}.html", out / f"pia-v{v.version}.pdf"
    write_private(html, v.html().encode("utf-8"))
    write_private(pdf, v.pdf())
    emit({**v.to_json(), "html": str(html), "pdf": str(pdf)})


def pia_prune_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Delete PIA versions whose three years are over (never younger ones)."""
    from faircollect.governance.pia_service import PiaService

    cc = _cc(ctx)
    emit({"deleted": PiaService(cc.app.store).prune(cc.actor)})
