"""`faircollect share ...`: private set intersection with another lender, consent-gated sets,
and differentially private aggregate reports (docs/sharing.md)."""

from __future__ import annotations

import base64
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from faircollect.cli._context import app_for
from faircollect.cli._output import JsonOption, QuietOption, emit, progress
from faircollect.cli._values import parse_instant
from faircollect.errors import InputError

SetFile = Annotated[Path | None, typer.Option("--set", help="Set file: one identifier a line (phone,<number>[,<region>] / nid,<id>,<country> / a bare phone).")]
FromStore = Annotated[str | None, typer.Option("--from-store", help="Build the set from the store instead: phone or nid, consented borrowers only.")]
Peers = Annotated[Path, typer.Option("--peers", help="Peer allow-list (YAML: peers: [{name, public_key}]).")]
Region = Annotated[str, typer.Option("--region", help="Default region of phones written without a country code.")]
Workers = Annotated[int | None, typer.Option("--workers", help="Processes for the group arithmetic (default: every core).")]
At = Annotated[str | None, typer.Option("--at", help="Consent validity instant for --from-store (ISO; default now).")]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Industry sharing: private set intersection, DP reports.",
                        no_args_is_help=True)
    group.command("key")(key)
    group.command("export-set")(export_set)
    group.command("serve")(serve)
    group.command("query")(query)
    group.command("dp-budget")(dp_budget)
    group.command("dp-report")(dp_report)
    app.add_typer(group, name="share")


def _clock() -> int:
    return int(time.time())


def _items(ctx: typer.Context, set_file: Path | None, from_store: str | None, region: str,
           at: str | None) -> list[str]:
    from faircollect.sharing.identifiers import parse_set_lines, unique

    if (set_file is None) == (from_store is None):
        raise InputError("give exactly one of --set FILE and --from-store KIND", field="--set")
    if from_store is not None:
        from faircollect.sharing.gate import consented_set

        fc = app_for(ctx)
        when = parse_instant(at, "--at") if at else datetime.now(UTC)
        return consented_set(fc.app, kind=from_store, at=when, actor=fc.actor).items
    if set_file is None:  # unreachable after the check above; keeps the types narrow
        raise InputError("give --set FILE", field="--set")
    try:
        text = set_file.read_text(encoding="utf-8")
    except OSError:
        raise InputError(f"cannot read set file {set_file}", field="--set") from None
    return unique(parse_set_lines(text.splitlines(), file=set_file.name, default_region=region))


def key(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="The name peers list this lender under.")] = "me",
    as_json: JsonOption = False,
) -> None:
    """Print this lender's public key as an allow-list entry for peers."""
    from faircollect.sharing.framing import key_id
    from faircollect.sharing.service import lender_key

    raw = lender_key(app_for(ctx).app).public_key().public_bytes_raw()
    public = base64.b64encode(raw).decode()
    if as_json:
        emit({"name": name, "public_key": public, "key_id": key_id(raw)})
        return
    sys.stdout.write(f"peers:\n  - name: {name}\n    public_key: "
                     f"{public}  # key id {key_id(raw)}\n")


def export_set(
    ctx: typer.Context,
    kind: Annotated[str, typer.Option("--kind", help="phone or nid.")] = "phone",
    out: Annotated[Path, typer.Option("--out", help="Set file to write (0600).")] = Path("set.txt"),
    at: At = None,
    as_json: JsonOption = False,
) -> None:
    """Write the identifiers of consented borrowers (industry_data_sharing) to a set file."""
    from faircollect.private import write_private
    from faircollect.sharing.gate import consented_set

    fc = app_for(ctx)
    when = parse_instant(at, "--at") if at else datetime.now(UTC)
    gated = consented_set(fc.app, kind=kind, at=when, actor=fc.actor)
    write_private(out, "".join(f"{_line(i)}\n" for i in gated.items).encode())
    counts = {**gated.counts(), "path": str(out)}
    if as_json:
        emit(counts)
    else:
        sys.stdout.write(f"{counts['size']:,} identifiers written to {out}; left out: "
                         f"{counts['without_consent']:,} without consent, "
                         f"{counts['without_value']:,} without a usable value\n")


def _line(canonical: str) -> str:
    """A canonical identifier as a set-file line (it reads back to itself)."""
    if canonical.startswith("phone:"):
        return "phone," + canonical[6:]
    _, country, value = canonical.split(":", 2)
    return f"nid,{value},{country}"


def serve(
    ctx: typer.Context,
    peers: Peers,
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8470,
    host: Annotated[str, typer.Option("--host", help="Loopback address to listen on.")] = "127.0.0.1",
    set_file: SetFile = None,
    from_store: FromStore = None,
    region: Region = "CN",
    at: At = None,
    workers: Workers = None,
    chunk: Annotated[int, typer.Option("--chunk", help="Points per request (at most 8192).")] = 8192,
) -> None:
    """Answer PSI queries from allow-listed peers over this lender's set."""
    import uvicorn

    from faircollect.cli.serve import LOG_CONFIG
    from faircollect.sharing.framing import load_allow_list
    from faircollect.sharing.parallel import GroupEngine
    from faircollect.sharing.peer_client import check_loopback
    from faircollect.sharing.peer_server import PeerServer
    from faircollect.sharing.service import audit_session, lender_key

    check_loopback(f"http://{host}:{port}")
    allow = load_allow_list(peers)
    items = _items(ctx, set_file, from_store, region, at)
    fc = app_for(ctx)

    def on_end(record):  # type: ignore[no-untyped-def]
        audit_session(fc.app, fc.actor, record)
        sys.stderr.write(f"session {record.session_id[:8]} with {record.peer}: {record.mode}, "
                         f"{record.querier_size:,} x {record.server_size:,}, "
                         f"{record.outcome}\n")

    import signal

    def stop(signum: int, frame: object) -> None:
        # uvicorn stops gracefully on SIGTERM, then raises it again once it has: end with an
        # exception here (not the default handler's abrupt exit) so the worker pool is shut.
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    with GroupEngine(workers) as engine:
        server = PeerServer(items, lender_key(fc.app), allow, engine, _clock, on_end, chunk)
        sys.stderr.write(f"serving {len(server.items):,} identifiers to {len(allow.peers)} "
                         f"peer(s) on http://{host}:{port}\n")
        sys.stderr.flush()
        uvicorn.run(server.app(), host=host, port=port, access_log=False,
                    log_config=LOG_CONFIG, log_level="warning")


def query(
    ctx: typer.Context,
    peer: Annotated[str, typer.Option("--peer", help="The peer's URL (http://127.0.0.1:PORT).")],
    peers: Peers,
    set_file: SetFile = None,
    from_store: FromStore = None,
    cardinality: Annotated[bool, typer.Option("--cardinality", help="Learn only how many are shared, not which.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the shared identifiers here (0600; intersection mode).")] = None,
    region: Region = "CN",
    at: At = None,
    workers: Workers = None,
    suite: Annotated[str, typer.Option("--suite", help="Group: ristretto255 (default) or x25519 (faster).")] = "ristretto255",
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Ask a peer which (or, with --cardinality, how many) of this set it also holds."""
    from faircollect.private import write_private
    from faircollect.sharing.framing import load_allow_list
    from faircollect.sharing.parallel import GroupEngine
    from faircollect.sharing.peer_client import PeerClient, run_query
    from faircollect.sharing.psi import Querier
    from faircollect.sharing.service import audit_session, lender_key

    if cardinality and out is not None:
        raise InputError("--out needs intersection mode: --cardinality learns no element",
                         field="--out")
    allow = load_allow_list(peers)
    items = _items(ctx, set_file, from_store, region, at)
    fc = app_for(ctx)
    client = PeerClient(peer, lender_key(fc.app), allow, _clock)
    querier = Querier(items, "cardinality" if cardinality else "intersection", suite=suite)
    try:
        with GroupEngine(workers) as engine, progress("private set intersection", quiet=quiet or as_json,
                                                      unit="items") as bar:
            result, record = run_query(client, querier, engine, bar)
    finally:
        client.close()
    audit_session(fc.app, fc.actor, record)
    if out is not None:
        write_private(out, "".join(f"{_line(m)}\n" for m in result.members).encode())
    summary = {"session": record.session_id, "peer": record.peer, "mode": result.mode,
               "suite": querier.suite,
               "querier_size": result.querier_size, "server_size": result.server_size,
               "count": result.count}
    if as_json:
        emit(summary)
    else:
        sys.stdout.write(f"{result.count:,} of {result.querier_size:,} identifiers are also held "
                         f"by {record.peer} (its set: {result.server_size:,}; mode "
                         f"{result.mode})\n")


def dp_budget(
    ctx: typer.Context,
    scope: Annotated[str, typer.Option("--scope", help="The data set the budget covers.")] = "industry",
    total: Annotated[float | None, typer.Option("--total", help="Set the total epsilon (omit to show).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Show or set a scope's differential-privacy budget (total epsilon)."""
    from faircollect.sharing.budget import BudgetLedger

    fc = app_for(ctx)
    ledger = BudgetLedger(fc.app.store)
    b = ledger.get(scope) if total is None else ledger.set_total(actor=fc.actor, scope=scope,
                                                                   total=total)
    doc = {"scope": b.scope, "total_epsilon": b.total, "spent": b.spent,
           "remaining": b.remaining, "releases": b.releases}
    if as_json:
        emit(doc)
    else:
        sys.stdout.write(f"scope {b.scope}: epsilon {b.spent:g} of {b.total:g} spent in "
                         f"{b.releases} release(s); {b.remaining:g} left\n")


def dp_report(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="region, product or bucket.")] = "region",
    epsilon: Annotated[float, typer.Option("--epsilon", help="Privacy loss of this release.")] = 0.5,
    scope: Annotated[str, typer.Option("--scope", help="Budget to spend from.")] = "industry",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Report date (YYYY-MM-DD; default today).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Release delinquency and complaint rates by one dimension, with DP noise (spends budget)."""
    from rich.console import Console
    from rich.table import Table

    from faircollect.cli._values import parse_day
    from faircollect.sharing.reports import release_report

    fc = app_for(ctx)
    day = parse_day(as_of, "--as-of") if as_of else datetime.now(UTC).date()
    report = release_report(fc.app.store, actor=fc.actor, scope=scope, dimension=by,
                            epsilon=epsilon, as_of=day)
    r = report.release
    head = {"dimension": r.dimension, "epsilon": r.epsilon, "noise_scale": r.noise_scale,
            "sensitivity": r.sensitivity, "mechanism": r.mechanism,
            "as_of": day.isoformat(), "scope": scope, "remaining": report.budget.remaining}
    rows = [{"key": x.key, "borrowers": x.borrowers, "delinquent": x.delinquent,
             "complained": x.complained, "delinquency_rate": x.delinquency_rate,
             "complaint_rate": x.complaint_rate} for x in r.rows]
    if as_json:
        emit({**head, "rows": rows})
        return
    console = Console()
    console.print(f"Rates by {r.dimension} as of {day}: epsilon {r.epsilon:g}, discrete Laplace "
                  f"noise of scale {r.noise_scale:g} on every count (sensitivity "
                  f"{r.sensitivity}); budget {scope}: {report.budget.remaining:g} left",
                  highlight=False)
    table = Table(r.dimension, "borrowers", "delinquent", "complained", "delinquency rate",
                  "complaint rate")
    for x in rows:
        table.add_row(str(x["key"]), f"{x['borrowers']:,}", f"{x['delinquent']:,}",
                      f"{x['complained']:,}", _pct(x["delinquency_rate"]),
                      _pct(x["complaint_rate"]))
    console.print(table)


def _pct(value: object) -> str:
    return "-" if value is None else f"{float(value):.1%}"  # type: ignore[arg-type]
