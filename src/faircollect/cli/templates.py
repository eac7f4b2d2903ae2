"""`faircollect templates ...`: lint message templates and run the maker-checker registry."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer

from faircollect.cli._output import JsonOption, QuietOption, emit, progress
from faircollect.errors import InputError

if TYPE_CHECKING:
    from faircollect.content.registry import TemplateRegistry
    from faircollect.content.template import Actor, Template

_VERSION = typer.Option("--version", "-v", help="Version (default: the newest that fits).")


def register(app: typer.Typer) -> None:
    """Add the `templates` command group."""
    templates = typer.Typer(help="Message templates: lint, author, review, approve.",
                            no_args_is_help=True)
    templates.command("lint")(lint_command)
    templates.command("add")(add_command)
    templates.command("submit")(submit_command)
    templates.command("approve")(approve_command)
    templates.command("send-back")(send_back_command)
    templates.command("retire")(retire_command)
    templates.command("list")(list_command)
    templates.command("show")(show_command)
    app.add_typer(templates, name="templates")


def lint_command(
    file: Annotated[str, typer.Argument(help="JSON Lines of templates; '-' reads standard input.")],
    strict: Annotated[bool, typer.Option(
        "--strict/--exit-zero",
        help="--strict: exit 1 when any template is non-compliant. --exit-zero (the default, "
             "as spec/template-lint.md states): exit 0 whatever the findings.")] = False,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Lint each template line; print one JSON result per line, in order (spec/template-lint.md).

    Exit 0 whatever the findings (or, with --strict, 1 if any template is non-compliant);
    2 on malformed input, with the line named. The output is the same either way, and with
    --json (it is JSON Lines already).
    """
    from faircollect.content.batch import parse_lines, results

    source = "<stdin>" if file == "-" else file
    if file == "-":
        lines = sys.stdin.read().splitlines()
    else:
        try:
            lines = Path(file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {file}: {type(exc).__name__}", file=file) from None
    requests = parse_lines(lines, source=source)
    non_compliant = 0
    with progress("linting", quiet=quiet, unit="templates") as bar:
        out = sys.stdout  # inside: on a terminal the bar puts these lines above itself
        bar(0, len(requests))
        for done, result in enumerate(results(requests), 1):
            out.write(orjson.dumps(result).decode("utf-8"))
            out.write("\n")
            if result.get("compliant") is False:
                non_compliant += 1
            bar(done, len(requests))
    out.flush()
    if strict and non_compliant:
        raise typer.Exit(1)


def _registry(ctx: typer.Context) -> tuple[TemplateRegistry, Actor]:
    from faircollect.cli._context import app_for
    from faircollect.content.registry import TemplateRegistry
    from faircollect.content.template import Actor

    cc = app_for(ctx)
    # Until `access` owns roles, the caller states them (FAIRCOLLECT_ROLES=compliance,...).
    roles = frozenset(r.strip() for r in os.environ.get("FAIRCOLLECT_ROLES", "").split(",")
                      if r.strip())
    return TemplateRegistry(cc.app.store), Actor(cc.actor, roles)


def _print(t: Template) -> None:
    # Already one JSON object a line; --json on these commands gives the same.
    emit(t.to_dict())


def add_command(
    ctx: typer.Context,
    template_id: Annotated[str, typer.Option("--id", help="Template id.")] = "",
    locale: Annotated[str, typer.Option(help="zh-CN | en")] = "",
    audience: Annotated[str, typer.Option(help="borrower | designated_contact | third_party")] = "",
    purpose: Annotated[str, typer.Option(help="reminder | collection | locate")] = "",
    channel: Annotated[str | None, typer.Option(help="call | sms | email | letter | ...")] = None,
    jurisdiction: Annotated[str | None, typer.Option(help="CN | US | UK")] = None,
    body: Annotated[str | None, typer.Option(help="The body, with {name} placeholders.")] = None,
    body_file: Annotated[Path | None, typer.Option(help="Read the body from a file.")] = None,
    from_library: Annotated[bool, typer.Option(
        "--from-library", help="Add every starter-library template as a draft.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Add a template draft (or the next version of one); prints the stored version."""
    from faircollect.content.starter import starter_templates
    from faircollect.content.template import TemplateDraft

    registry, actor = _registry(ctx)
    if from_library:
        for draft in starter_templates():
            _print(registry.add(actor, draft))
        return
    if body_file is not None:
        body = body_file.read_text(encoding="utf-8")
    if body is None:
        raise InputError("give --body or --body-file", field="body")
    _print(registry.add(actor, TemplateDraft(
        template_id=template_id, locale=locale, audience=audience, purpose=purpose, body=body,
        channel=channel, jurisdiction=jurisdiction)))


_ALL = typer.Option("--all", help="Every version in the state this command acts on.")


def _targets(template_id: str | None, every: bool) -> None:
    if (template_id is None) == (not every):
        raise InputError("name one TEMPLATE_ID, or give --all", field="template_id")


def submit_command(ctx: typer.Context, template_id: Annotated[str | None, typer.Argument()] = None,
                   version: Annotated[int | None, _VERSION] = None,
                   every: Annotated[bool, _ALL] = False, as_json: JsonOption = False) -> None:
    """Send a draft (or with --all, every draft) for review; refused while lint finds anything."""
    from faircollect.content.template import State

    _targets(template_id, every)
    registry, actor = _registry(ctx)
    if template_id is not None:
        _print(registry.submit(actor, template_id, version))
        return
    for t in registry.list(State.DRAFT):
        _print(registry.submit(actor, t.template_id, t.version))


def approve_command(ctx: typer.Context, template_id: Annotated[str | None, typer.Argument()] = None,
                    version: Annotated[int | None, _VERSION] = None,
                    every: Annotated[bool, _ALL] = False,
                    as_json: JsonOption = False) -> None:
    """Approve a version in review (or with --all, every one): compliance role, not the author."""
    from faircollect.content.template import State

    _targets(template_id, every)
    registry, actor = _registry(ctx)
    if template_id is not None:
        _print(registry.approve(actor, template_id, version))
        return
    for t in registry.list(State.IN_REVIEW):
        _print(registry.approve(actor, t.template_id, t.version))


def send_back_command(ctx: typer.Context, template_id: str,
                      version: Annotated[int | None, _VERSION] = None,
                      as_json: JsonOption = False) -> None:
    """Return a version in review to its author as a draft (compliance role)."""
    registry, actor = _registry(ctx)
    _print(registry.send_back(actor, template_id, version))


def retire_command(ctx: typer.Context, template_id: str,
                   version: Annotated[int | None, _VERSION] = None,
                   as_json: JsonOption = False) -> None:
    """Withdraw an approved version (compliance role)."""
    registry, actor = _registry(ctx)
    _print(registry.retire(actor, template_id, version))


def list_command(ctx: typer.Context, state: Annotated[str | None, typer.Option(
        help="draft | in_review | approved | retired")] = None,
        as_json: JsonOption = False) -> None:
    """List template versions as JSON Lines."""
    from faircollect.content.template import State

    registry, _ = _registry(ctx)
    try:
        wanted = State(state) if state else None
    except ValueError:
        raise InputError(f"unknown state {state!r}", field="state") from None
    for t in registry.list(wanted):
        _print(t)


def show_command(ctx: typer.Context, template_id: str,
                 version: Annotated[int | None, _VERSION] = None,
                 as_json: JsonOption = False) -> None:
    """Show one version (default: the newest) as JSON."""
    registry, _ = _registry(ctx)
    _print(registry.get(template_id, version))
