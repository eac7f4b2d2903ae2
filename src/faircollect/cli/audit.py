"""`faircollect audit ...`: checkpoints, proofs, verification and export of the audit log."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from faircollect.cli._context import settings
from faircollect.cli._output import JsonOption, emit
from faircollect.errors import InputError, IntegrityError

if TYPE_CHECKING:
    from faircollect.audit.service import AuditService


@contextmanager
def _service(ctx: typer.Context) -> Iterator[AuditService]:
    from faircollect.audit.service import AuditService
    from faircollect.bootstrap import build_app

    app = build_app(settings(ctx))
    try:
        yield AuditService(app.store, app.keys.signing_key("audit"))
    finally:
        app.store.dispose()


def _print_json(value: Any, one_line: bool = False) -> None:
    if one_line:
        emit(value)
    else:
        typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {what} {path}: {exc}", file=str(path)) from None


def checkpoint(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="File to write the signed checkpoint to.")],
    as_json: JsonOption = False,
) -> None:
    """Sign the current tree head and write it as a checkpoint file a witness can keep."""
    with _service(ctx) as service:
        note = service.checkpoint()
        fingerprint = service.fingerprint
    out.write_text(note, encoding="utf-8")
    first = note.split("\n", 2)
    if as_json:
        root = base64.b64decode(first[2].split("\n", 1)[0]).hex()
        emit({"entries": int(first[1]), "root": root, "path": str(out),
              "fingerprint": fingerprint})
        return
    typer.echo(f"checkpoint of {first[1]} entries written to {out}")
    typer.echo(f"signed by the audit key with fingerprint {fingerprint}")


def key(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Also write the verifier key to this file (for `--key FILE`).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the audit public key and its fingerprint, to publish for regulators."""
    with _service(ctx) as service:
        verifier_key, fingerprint = service.verifier_key, service.fingerprint
    if out is not None:
        out.write_text(verifier_key + "\n", encoding="utf-8")
    if as_json:
        emit({"verifier_key": verifier_key, "fingerprint": fingerprint})
        return
    typer.echo(f"verifier key: {verifier_key}")
    typer.echo(f"fingerprint:  {fingerprint}")


def prove(
    ctx: typer.Context,
    entry: Annotated[int, typer.Argument(help="Sequence number of the entry.")],
    size: Annotated[int | None, typer.Option(help="Tree size to prove against.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Print an entry with its RFC 9162 inclusion proof (JSON; --json: on one line)."""
    with _service(ctx) as service:
        _print_json(service.prove(entry, size), as_json)


def consistency(
    ctx: typer.Context,
    old: Annotated[int, typer.Argument(help="The older tree size.")],
    new: Annotated[int, typer.Argument(help="The newer tree size.")],
    as_json: JsonOption = False,
) -> None:
    """Print the RFC 9162 consistency proof between two tree sizes (JSON; --json: on one
    line)."""
    with _service(ctx) as service:
        _print_json(service.consistency(old, new), as_json)


def verify(
    ctx: typer.Context,
    checkpoint_file: Annotated[
        Path | None, typer.Option("--checkpoint", help="A checkpoint kept outside the database.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute the whole log and check every checkpoint; exit 1 naming the first bad entry."""
    kept = _read_text(checkpoint_file, "checkpoint") if checkpoint_file else None
    with _service(ctx) as service:
        report = service.verify(kept)
    for problem in report.problems:
        typer.echo(f"problem: {problem.message}", err=True)
    if as_json:
        emit({"ok": report.ok, "entries": report.size, "root": report.root.hex(),
              "checkpoints": report.checkpoints, "first_bad": report.first_bad,
              "problems": [p.message for p in report.problems]})
    if not report.ok:
        where = report.first_bad
        raise IntegrityError(
            "audit log verification failed"
            + (f": first bad sequence number {where}" if where is not None else ""),
            seq=where,
        )
    if as_json:
        return
    typer.echo(f"audit log OK: {report.size} entries, root {report.root.hex()}, "
               f"{report.checkpoints} checkpoint(s) extended")


def export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="Bundle file to write (JSON).")],
    first: Annotated[int, typer.Option("--from", help="First sequence number.")] = 0,
    last: Annotated[int | None, typer.Option("--to", help="Last sequence number "
                                             "(inclusive; default: the newest entry).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Write a bundle a regulator can check with `python -m faircollect.audit.verify`."""
    with _service(ctx) as service:
        bundle = service.export(first, last)
        fingerprint = service.fingerprint
    from faircollect.private import write_private, wrote

    typer.echo(wrote(write_private(out, orjson.dumps(bundle))), err=True)
    if as_json:
        emit({"entries": len(bundle["entries"]), "path": str(out), "fingerprint": fingerprint})
        return
    typer.echo(f"{len(bundle['entries'])} entries written to {out}; check with "
               f"`python -m faircollect.audit.verify --key {fingerprint} {out}`")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
    group.command("checkpoint")(checkpoint)
    group.command("key")(key)
    group.command("prove")(prove)
    group.command("consistency")(consistency)
    group.command("verify")(verify)
    group.command("export")(export)
    app.add_typer(group, name="audit")
