"""`faircollect risk ...`: train, evaluate, score, explain and monitor risk models; approve.

`evaluate` needs no store: it reads a CSV and prints cross-validated metrics as JSON. The
other commands keep models in the registry of the store (`--db`). Roles are stated by the
caller until `access` owns them (FAIRCOLLECT_ROLES=compliance for `approve`/`reject`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from faircollect.cli._context import app_for
from faircollect.cli._output import JsonOption, emit, emit_lines
from faircollect.errors import InputError

Data = Annotated[Path, typer.Option("--data", help="CSV file with one row per applicant or account.")]
Target = Annotated[str, typer.Option("--target", help="The outcome column.")]
Bad = Annotated[str, typer.Option("--bad", help="The outcome value that means bad.")]
Kind = Annotated[str, typer.Option("--kind", help="application, behaviour or collection.")]
Catalogue = Annotated[Path | None, typer.Option("--catalogue", help="Feature catalogue YAML (default: the shipped one).")]
Consents = Annotated[Path | None, typer.Option("--consents", help="CSV of active consents: borrower_id,purpose.")]
Model = Annotated[str, typer.Option("--model", help="Model id in the registry.")]
Version = Annotated[int | None, typer.Option("--version", help="Model version (default: latest).")]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Risk scoring: scorecards, reason codes, registry, monitoring.",
                        no_args_is_help=True)
    for name, fn in (("train", train), ("evaluate", evaluate), ("score", score),
                     ("explain", explain), ("monitor", monitor), ("approve", approve),
                     ("reject", reject), ("models", models), ("table", table),
                     ("dataset", dataset), ("review-request", review_request),
                     ("reviews", reviews), ("review-decide", review_decide)):
        group.command(name)(fn)
    app.add_typer(group, name="risk")


def _prepare(data: Path, target: str, bad: str, catalogue: Path | None,
             consents: Path | None) -> tuple[Any, Any]:
    from faircollect.risk.catalogue import load_features
    from faircollect.risk.training import prepare, read_table

    cat = load_features(catalogue)
    grants = read_table(consents) if consents is not None else None
    return prepare(read_table(data), target, bad, catalogue=cat, consents=grants), cat


def evaluate(
    data: Data, target: Target, bad: Bad, kind: Kind = "application",
    folds: Annotated[int, typer.Option("--folds", help="Stratified folds.")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the fold split.")] = 0,
    model: Annotated[str, typer.Option("--model", help="scorecard, optbinning_lr, gbm or onehot_lr.")] = "scorecard",
    catalogue: Catalogue = None, consents: Consents = None,
    as_json: JsonOption = False,
) -> None:
    """Cross-validate: auc, ks and gini per fold and their mean."""
    from faircollect.risk.training import KINDS
    from faircollect.risk.training import evaluate as run

    if kind not in KINDS:
        raise InputError(f"--kind must be one of {list(KINDS)}", field="kind")
    prep, _ = _prepare(data, target, bad, catalogue, consents)
    _show(as_json, {"kind": kind, **run(prep, model=model, folds=folds, seed=seed)})


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _show(as_json: bool, value: dict[str, Any]) -> None:
    """--json: one JSON object; else one `key: value` line per field (the same facts)."""
    if as_json:
        emit(value)
        return
    for k, v in value.items():
        typer.echo(f"{k}: {_text(v)}")


def _show_lines(as_json: bool, values: Iterable[dict[str, Any]]) -> None:
    """--json: JSON Lines; else a tab-separated table with a header."""
    if as_json:
        emit_lines(values)
        return
    header: list[str] | None = None
    for v in values:
        if header is None:
            header = list(v)
            typer.echo("\t".join(header))
        typer.echo("\t".join(_text(v.get(k, "")) for k in header))


def _actor(ctx: typer.Context) -> tuple[Any, Any]:
    from faircollect.content.template import Actor

    cc = app_for(ctx)
    roles = frozenset(r.strip() for r in os.environ.get("FAIRCOLLECT_ROLES", "").split(",")
                      if r.strip())
    return cc.app, Actor(cc.actor, roles)


def train(
    ctx: typer.Context, data: Data, target: Target, bad: Bad, kind: Kind = "application",
    model_id: Annotated[str | None, typer.Option("--id", help="Model id (default: the kind).")] = None,
    base_score: Annotated[float, typer.Option("--base-score")] = 600.0,
    base_odds: Annotated[float, typer.Option("--base-odds", help="Good:bad odds at the base score.")] = 50.0,
    pdo: Annotated[float, typer.Option("--pdo", help="Points to double the odds.")] = 20.0,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Also write scorecard.csv, scorecard.html, model_card.json here.")] = None,
    catalogue: Catalogue = None, consents: Consents = None,
    as_json: JsonOption = False,
) -> None:
    """Train a scorecard and register it as a pending version (compliance approves it)."""
    import json

    from faircollect.risk import registry
    from faircollect.risk.points import Scaling
    from faircollect.risk.training import train as fit

    prep, cat = _prepare(data, target, bad, catalogue, consents)
    trained = fit(prep, kind, scaling=Scaling(base_score, base_odds, pdo), seed=seed,
                  catalogue=cat, source=data.name)
    app, actor = _actor(ctx)
    version = registry.register(app.store, actor, model_id or kind, trained)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "scorecard.csv").write_text(trained.card.table_csv(), "utf-8")
        (out / "scorecard.html").write_text(trained.card.table_html(), "utf-8")
        (out / "model_card.json").write_text(json.dumps(trained.model_card, indent=2,
                                                        ensure_ascii=False), "utf-8")
    _show(as_json, {k: v for k, v in version.view().items() if k != "card"}
         | {"cv": trained.model_card["metrics"]["cv"], "characteristics": trained.card.features})


def _frame_and_model(ctx: typer.Context, model: str, version: int | None, data: Path,
                     allow_pending: bool, catalogue: Path | None,
                     consents: Path | None) -> tuple[Any, Any, Any, Any]:
    from faircollect.risk import registry
    from faircollect.risk.catalogue import gate, load_features
    from faircollect.risk.training import read_table

    app, _ = _actor(ctx)
    m = registry.usable(app.store, model, version, allow_pending=allow_pending)
    card = m.scorecard
    cat = load_features(catalogue)
    frame = read_table(data)
    grants = read_table(consents) if consents is not None else None
    gated = gate(frame, cat, card.features, grants)
    return m, card, gated.data, cat


AllowPending = Annotated[bool, typer.Option("--allow-pending", help="Score with a model not yet approved (validation only).")]


def score(
    ctx: typer.Context, model: Model, data: Data, version: Version = None,
    allow_pending: AllowPending = False, catalogue: Catalogue = None, consents: Consents = None,
    as_json: JsonOption = False,
) -> None:
    """Score every row: row, borrower_id (if present), score and PD."""
    _, card, frame, _ = _frame_and_model(ctx, model, version, data, allow_pending, catalogue,
                                         consents)
    scores = card.score(frame)
    pd_ = card.probability_bad(frame)
    ids = frame["borrower_id"].cast(str).to_list() if "borrower_id" in frame.columns else None
    _show_lines(as_json, ({"row": i + 1, **({"borrower_id": ids[i]} if ids else {}),
                           "score": round(float(s), 1), "pd": round(float(p), 4)}
                          for i, (s, p) in enumerate(zip(scores, pd_, strict=True))))


def _decision(ctx: typer.Context, row_id: str, model: str, version: int | None, data: Path,
              allow_pending: bool, catalogue: Path | None,
              consents: Path | None) -> tuple[Any, float, list[dict[str, Any]]]:
    """(model version, score, reasons) of one row: by borrower_id, else by row number."""
    import polars as pl

    from faircollect.errors import NotFound
    from faircollect.risk.reasons import reasons

    m, card, frame, cat = _frame_and_model(ctx, model, version, data, allow_pending,
                                           catalogue, consents)
    if "borrower_id" in frame.columns:
        one = frame.filter(pl.col("borrower_id").cast(pl.String) == row_id)
    elif row_id.isdigit() and 1 <= int(row_id) <= frame.height:
        one = frame.slice(int(row_id) - 1, 1)
    else:
        one = frame.clear()
    if one.height == 0:
        raise NotFound(f"no row {row_id} in {data.name}", file=data.name)
    one = one.head(1)
    found = [r.to_dict() for r in reasons(card, one, cat.labels())[0]]
    return m, round(float(card.score(one)[0]), 1), found


def explain(
    ctx: typer.Context,
    row_id: Annotated[str, typer.Argument(help="borrower_id, or the row number (1 = first data row).")],
    model: Model, data: Data, version: Version = None, allow_pending: AllowPending = False,
    catalogue: Catalogue = None, consents: Consents = None,
    as_json: JsonOption = False,
) -> None:
    """The score and principal reasons (at most four, English and zh-CN) for one row."""
    m, score_, found = _decision(ctx, row_id, model, version, data, allow_pending, catalogue,
                                 consents)
    _show(as_json, {"model_id": m.model_id, "version": m.version, "score": score_,
                    "reasons": found})


def review_request(
    ctx: typer.Context,
    row_id: Annotated[str, typer.Argument(help="borrower_id, or the row number.")],
    model: Model, data: Data, version: Version = None,
    catalogue: Catalogue = None, consents: Consents = None,
    as_json: JsonOption = False,
) -> None:
    """Queue an automated decision for a person to review (the borrower asked for one)."""
    from faircollect.risk import reviews as rv

    m, score_, found = _decision(ctx, row_id, model, version, data, False, catalogue, consents)
    app, actor = _actor(ctx)
    _show(as_json, rv.request_review(app.store, actor, model_id=m.model_id, version=m.version,
                                     subject=row_id, score=score_, reasons=found).view())


def reviews(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option("--state", help="requested (default), upheld, overturned or all.")] = "requested",
    as_json: JsonOption = False,
) -> None:
    """The review queue, oldest first."""
    from faircollect.risk import reviews as rv

    app, _ = _actor(ctx)
    wanted = None if state == "all" else state
    _show_lines(as_json, (r.view() for r in rv.queue(app.store, wanted)))


def review_decide(
    ctx: typer.Context,
    review_id: Annotated[str, typer.Argument(help="Review id.")],
    outcome: Annotated[str, typer.Option("--outcome", help="upheld or overturned.")],
    note: Annotated[str, typer.Option("--note", help="Why (1-500 characters).")],
    as_json: JsonOption = False,
) -> None:
    """Uphold or overturn a queued decision (supervisor or compliance; not the requester)."""
    from faircollect.risk import reviews as rv

    app, actor = _actor(ctx)
    _show(as_json, rv.decide(app.store, actor, review_id, outcome, note).view())


def monitor(
    ctx: typer.Context, model: Model, data: Data, version: Version = None,
    target: Annotated[str | None, typer.Option("--target")] = None,
    bad: Annotated[str | None, typer.Option("--bad")] = None,
    cutoff: Annotated[float | None, typer.Option("--cutoff", help="Approve at or above this score (default: the 30th percentile).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Drift (PSI, CSI), AUC/KS/Gini, calibration by band and fairness on a recent sample."""
    from faircollect.risk.monitoring import monitor as run
    from faircollect.risk.monitoring_service import record
    from faircollect.risk.scorecard import target_vector

    m, card, frame, _ = _frame_and_model(ctx, model, version, data, True, None, None)
    y = target_vector(frame, target, bad) if target and bad is not None else None
    report = run(card, m.card, frame, y, cutoff=cutoff)
    app, actor = _actor(ctx)
    kept = record(app.store, actor.actor_id, m, report)  # the compliance report's alerts
    _show(as_json, {"model_id": m.model_id, "version": m.version, **report, "recorded": kept})


def approve(ctx: typer.Context, model_id: Annotated[str, typer.Argument()],
            version: Annotated[int, typer.Argument()], as_json: JsonOption = False
) -> None:
    """Approve a pending model version (compliance role, not its author)."""
    from faircollect.risk import registry

    app, actor = _actor(ctx)
    _show(as_json, {k: v for k, v in registry.approve(app.store, actor, model_id, version).view().items()
          if k != "card"})


def reject(ctx: typer.Context, model_id: Annotated[str, typer.Argument()],
           version: Annotated[int, typer.Argument()], as_json: JsonOption = False
) -> None:
    """Reject a pending model version (compliance role, not its author)."""
    from faircollect.risk import registry

    app, actor = _actor(ctx)
    _show(as_json, {k: v for k, v in registry.reject(app.store, actor, model_id, version).view().items()
          if k != "card"})


def models(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every model version: id, version, kind, state, fingerprint, author, approver."""
    from faircollect.risk import registry

    app, _ = _actor(ctx)
    _show_lines(as_json, ({k: v for k, v in m.view().items() if k != "card"}
                          for m in registry.listing(app.store)))


def table(ctx: typer.Context, model: Model, version: Version = None,
          html: Annotated[bool, typer.Option("--html", help="HTML instead of CSV.")] = False,
          as_json: JsonOption = False) -> None:
    """Print a model's scorecard table (CSV, HTML with --html, JSON Lines with --json)."""
    from faircollect.risk import registry

    app, _ = _actor(ctx)
    card = registry.get(app.store, model, version).scorecard
    if as_json:
        emit_lines(card.table())
        return
    typer.echo(card.table_html() if html else card.table_csv(), nl=False)


def dataset(
    ctx: typer.Context,
    as_of: Annotated[str, typer.Option("--as-of", help="Business date (YYYY-MM-DD) the characteristics are read at.")],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    horizon: Annotated[int, typer.Option("--horizon", help="Days after which the outcome is read.")] = 30,
    as_json: JsonOption = False,
) -> None:
    """Write collection-model training rows from the ledger (past-due borrowers, rolled or not)."""
    from datetime import date

    from faircollect.risk.portfolio import collection_dataset

    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        raise InputError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)", field="as_of") from None
    if horizon < 1:
        raise InputError("--horizon must be at least 1 day", field="horizon")
    app, _ = _actor(ctx)
    with app.store.read() as conn:
        rows = collection_dataset(conn, day, horizon)
    rows.write_csv(out)
    _show(as_json, {"rows": rows.height, "rolled": int(rows["rolled"].sum()), "out": out.name,
                    "target": "rolled", "bad": "1"})
