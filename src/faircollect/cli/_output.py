"""What every command prints for programs: `--json`, and progress bars on standard error.

`--json` prints one JSON object (a record or a summary) on one line, or JSON Lines (one object
a line) for a list, on standard output. It shows exactly what the table or text view shows
(ids, counts, dates; never a value that view masks or leaves out), so a script reads the same
facts a person does.

Long commands draw a progress bar with a total and an estimated time left on standard error,
and only when standard error is a terminal and `--quiet` was not given: piped or redirected
runs, CI logs and `--json` consumers see nothing of it, and standard output stays clean.
Services report progress through a plain `on_progress(done, total)` callback; drawing it is
this face's business, not theirs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print JSON: one object for a record or summary, one object a "
                                "line (JSON Lines) for a list."),
]
QuietOption = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No progress bar (there is none when standard error is "
                                       "not a terminal either)."),
]

OnProgress = Callable[[int, int], None]


class Bar:
    """What `progress` yields: call it as `on_progress(done, total)`; `stage(text)` renames
    the step in hand. Does nothing when no bar is drawn."""

    def __init__(self, progress: Progress | None = None, task: TaskID | None = None) -> None:
        self._progress = progress
        self._task = task

    def __call__(self, done: int, total: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done, total=max(total, done))

    @property
    def drawn(self) -> bool:
        """Whether a bar is drawn (work done only to feed it can be skipped otherwise)."""
        return self._progress is not None

    def stage(self, text: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=text)

    def print(self, console: Console, text: str) -> None:
        """Print a line of narration on `console`; while a bar is drawn on the same terminal,
        through the bar's console, so the line goes above the bar instead of through it
        (Rich consoles write past the bar's redirection of the standard streams)."""
        if self._progress is not None and console.is_terminal:
            self._progress.console.print(text, highlight=False)
        else:
            console.print(text, highlight=False)


def _default(value: Any) -> Any:
    if isinstance(value, Path | Decimal):
        return str(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS).decode()


def emit(value: Any) -> None:
    """One JSON value on one line of standard output (a record or a summary)."""
    sys.stdout.write(_dumps(value) + "\n")
    sys.stdout.flush()


def emit_lines(values: Iterable[Any]) -> None:
    """JSON Lines on standard output: one object a line, in order (a list)."""
    out = sys.stdout
    for value in values:
        out.write(_dumps(value) + "\n")
    out.flush()


def iso(value: date | datetime | None) -> str | None:
    """An ISO date or instant, or None: how the JSON views write times."""
    return None if value is None else value.isoformat()


class _Count(ProgressColumn):
    """`done/total unit`, with thousands separators; `done unit` while the total is unknown."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "")
        if task.total is None:
            return Text(f"{int(task.completed):,} {unit}".rstrip(), style="progress.download")
        return Text(f"{int(task.completed):,}/{int(task.total):,} {unit}".rstrip(),
                    style="progress.download")


def progress_console() -> Console:
    """The console progress bars draw on: standard error."""
    return Console(stderr=True)


def shows_progress(quiet: bool) -> bool:
    """Whether a long command draws a progress bar: not with --quiet, and only on a terminal."""
    return not quiet and progress_console().is_terminal


@contextmanager
def progress(description: str, *, quiet: bool, unit: str = "") -> Iterator[Bar]:
    """A progress bar on standard error for the block; yields `on_progress(done, total)`.

    With `--quiet`, or when standard error is not a terminal, nothing is drawn and the
    callback does nothing. The bar shows the total and the time left (ETA), and goes away
    when the block ends.
    """
    console = progress_console()
    if quiet or not console.is_terminal:
        yield Bar()
        return
    with new_bar(console) as bar:
        yield Bar(bar, bar.add_task(description, total=None, unit=unit))


def new_bar(console: Console) -> Progress:
    """The bar every long command draws: what, how far, done/total unit, ETA."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        _Count(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        # Lines a command prints meanwhile go above the bar (standard error is the terminal,
        # and so is standard output when it is redirected here); piped standard output is
        # never touched.
        redirect_stdout=sys.stdout.isatty(),
        redirect_stderr=True,
    )
