"""The CLI's one JSON emitter and its progress bar, without a store."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress

from faircollect.cli import _output
from faircollect.cli._output import Bar, emit, emit_lines, progress


@dataclass(frozen=True)
class _Row:
    id: str
    on: date
    tags: tuple[str, ...]


def test_emit_writes_one_line_of_json_for_values_commands_hold(
        capsys: pytest.CaptureFixture[str]) -> None:
    emit({"path": Path("/tmp/x.html"), "amount": Decimal("12.30"),
          "at": datetime(2026, 11, 1, 9, 30, tzinfo=UTC), "row": _Row("b-1", date(2026, 1, 2),
                                                                       ("a", "b"))})
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert json.loads(out) == {"path": "/tmp/x.html", "amount": "12.30",
                               "at": "2026-11-01T09:30:00+00:00",
                               "row": {"id": "b-1", "on": "2026-01-02", "tags": ["a", "b"]}}


def test_emit_lines_writes_one_object_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    emit_lines({"n": i} for i in range(3))
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [
        {"n": 0}, {"n": 1}, {"n": 2}]
    emit_lines([])
    assert capsys.readouterr().out == ""


def test_emit_refuses_what_it_cannot_write() -> None:
    with pytest.raises(TypeError):
        emit({"x": object()})


def test_no_bar_when_quiet_or_not_a_terminal(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_output, "progress_console",
                        lambda: Console(file=io.StringIO(), force_terminal=True))
    with progress("x", quiet=True) as bar:
        assert not bar.drawn
        bar(1, 2)  # does nothing
    monkeypatch.setattr(_output, "progress_console",
                        lambda: Console(file=io.StringIO(), force_terminal=False))
    with progress("x", quiet=False) as bar:
        assert not bar.drawn
    assert capsys.readouterr() == ("", "")


def test_bar_shows_the_total_and_time_left() -> None:
    sink = io.StringIO()
    console = Console(file=sink, force_terminal=True, width=100, color_system=None)
    bar_progress = _output.new_bar(console)
    task = bar_progress.add_task("import", total=None, unit="rows")
    bar = Bar(bar_progress, task)
    assert bar.drawn
    bar(250, 1000)
    bar.stage("write loans")
    line = _render(bar_progress)
    assert "write loans" in line and "250/1,000 rows" in line and "ETA" in line
    bar(1200, 1000)  # a total counted low never shows more done than total
    assert "1,200/1,200 rows" in _render(bar_progress)


def _render(p: Progress) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    with console.capture() as cap:
        console.print(p.get_renderable())
    return cap.get()
