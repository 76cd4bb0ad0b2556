"""What a deploy or a stack deletion did, and printing it: one line per resource
with its details indented below, what was skipped or not applied, the outputs, and
the live progress of building packages."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.markup import escape
from rich.status import Status

from .model import DeployPlan, Notice
from .outputs import Output


@dataclass
class Outcome:
    """What deploying (or deleting) one resource did."""

    logical_id: str
    type: str
    name: str
    status: str  # created | updated | unchanged | deleted | retained | failed | pending
    details: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status not in ("failed", "pending")


@dataclass
class DeployResult:
    """Every template resource's outcome, in order; what the stack no longer holds
    (``removed``); what the server turned out not to support (``notices``); the
    outputs; and why the stack's record could not be written, if it could not."""

    outcomes: list[Outcome] = field(default_factory=list)
    removed: list[Outcome] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    record_error: str | None = None

    @property
    def failed(self) -> list[str]:
        """The logical ids of what failed (the stack's name for its record)."""
        names = [o.logical_id for o in (*self.outcomes, *self.removed) if not o.ok]
        return names if self.record_error is None else [*names, "stack record"]

    @property
    def ok(self) -> bool:
        return not self.failed


_STYLE = {
    "created": "green",
    "updated": "green",
    "unchanged": "dim",
    "deleted": "magenta",
    "retained": "dim",
    "failed": "red",
    "pending": "yellow",
}


def _line(console: Console, text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)


def print_outcomes(outcomes: list[Outcome], console: Console) -> None:
    """One line per resource, its details indented below."""
    for o in outcomes:
        style = _STYLE.get(o.status, "")
        _line(
            console,
            f"  [{style}]{o.status:<9}[/{style}] [bold]{escape(o.logical_id)}[/bold] "
            f"({o.type}) {escape(o.name)}",
        )
        for detail in o.details:
            _line(console, f"              {escape(detail)}")


def print_summary(plan: DeployPlan, result: DeployResult, console: Console) -> None:
    """The deploy's resources, then what was skipped and what was read but not
    applied, then the outputs."""
    _line(console, f"[bold]stack {escape(plan.stack_name)}[/bold] ({escape(str(plan.template))})")
    print_outcomes(result.outcomes, console)
    print_outcomes(result.removed, console)
    if result.record_error is not None:
        _line(console, f"  [red]failed[/red]    stack record: {escape(result.record_error)}")
    for s in plan.skipped:
        _line(
            console,
            f"  [yellow]skipped[/yellow]   {escape(s.logical_id)} ({escape(s.type)}): "
            f"{escape(s.reason)}",
        )
    notices = [*plan.notices, *result.notices]
    for n in notices:
        _line(
            console,
            f"  [yellow]not applied[/yellow] {escape(n.logical_id)} {escape(n.property)}: "
            f"{escape(n.message)}",
        )
    done = sum(1 for o in result.outcomes if o.ok)
    _line(
        console,
        f"{done} of {len(result.outcomes)} resources deployed, {len(plan.skipped)} skipped, "
        f"{len(notices)} properties not applied",
    )
    if result.outputs:
        _line(console, "[bold]Outputs[/bold]")
        for out in result.outputs:
            about = f"  ({escape(out.description)})" if out.description else ""
            if out.value is not None:
                _line(console, f"  {escape(out.key)} = {escape(out.value)}{about}")
            else:
                _line(
                    console,
                    f"  {escape(out.key)}: [yellow]not available[/yellow]: {escape(out.problem)}",
                )


class ConsoleProgress:
    """Build progress on a console: a line when a build starts and ends, and a
    spinner with pip's latest line in between (on a terminal)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._status: Status | None = None
        self._title = ""

    def begin(self, logical_id: str, text: str) -> None:
        self._title = f"building {logical_id}"
        _line(self.console, f"[bold]{escape(self._title)}[/bold]: {escape(text)}")
        self._status = self.console.status(escape(self._title))
        self._status.start()

    def line(self, text: str) -> None:
        if self._status is not None and text.strip():
            self._status.update(f"{escape(self._title)}: {escape(text.strip()[:100])}")

    def end(self, text: str) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
        _line(self.console, f"  {escape(text)}")
