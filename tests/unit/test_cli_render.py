"""The CLI's pure pieces: log events' lines, routing and size text, weights parsing,
and help placeholders in place of typer's type tags."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from snaplambda.cli import render
from snaplambda.cli.help import Command
from snaplambda.cli.versions import parse_weights

NBSP = "\u00a0"


def test_event_lines_split_cr_and_lf_and_restore_indentation() -> None:
    assert render.event_lines("one") == ["one"]
    assert render.event_lines("a\rb\r\nc\nd\n") == ["a", "b", "c", "d"]
    assert render.event_lines(f"x\r{NBSP * 2}File\r{NBSP * 4}code") == ["x", "  File", "    code"]
    assert render.event_lines("") == [""]
    # Only leading no-break spaces are indentation.
    assert render.event_lines(f"a{NBSP}b") == [f"a{NBSP}b"]


def test_log_event_keeps_markup_as_text() -> None:
    text = render.log_event("12:00:00 abcdefgh ", "[red]x[/]\rnext [/]")
    assert text.plain == "12:00:00 abcdefgh [red]x[/]\n                  next [/]"
    assert not text.spans[1:]  # only the prefix is styled


def test_log_tail_breaks_each_event() -> None:
    tail = "START x\n[ERROR] E: m\rTraceback (most recent call last):\r\u00a0\u00a0File f\nEND x\n"
    assert render.log_tail(tail).splitlines() == [
        "START x",
        "[ERROR] E: m",
        "  Traceback (most recent call last):",
        "    File f",
        "END x",
    ]


def test_routing_and_size() -> None:
    assert render.routing({"RoutingConfig": {"AdditionalVersionWeights": {"3": 0.125}}}) == (
        "3=12.5%"
    )
    assert render.routing({}) == "-"
    assert render.size(867) == "867 B"
    assert render.size(3 * 1024 * 1024) == "3.0 MB"


def test_parse_weights() -> None:
    assert parse_weights(["3=0.1", "4=0.25"]) == {"3": 0.1, "4": 0.25}
    for bad in ("3", "=0.1", "3=lots"):
        with pytest.raises(ValueError, match="is not VERSION=WEIGHT"):
            parse_weights([bad])


def test_help_placeholders_replace_type_tags() -> None:
    app = typer.Typer()

    @app.command(cls=Command)
    def run(
        name: str,
        count: int = 1,
        ratio: float = 0.5,
        verbose: bool = False,
        tags: list[str] | None = None,
    ) -> None:
        """Run."""

    out = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "120"})
    assert out.exit_code == 0, out.output
    assert "<" not in out.output, out.output
    words = " ".join(out.output.replace("│", " ").split())
    assert "--count INTEGER" in words and "--ratio NUMBER" in words
    assert "--tags TEXT" in words
    assert "--verbose --no-verbose [default: no-verbose]" in words
