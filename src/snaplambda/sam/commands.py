"""``snaplambda deploy template.yaml`` and ``snaplambda delete --stack-name``: the
steps in order, and what the user sees.

A deploy: read the template and ``samconfig.toml``, plan (pure), check that no
function of the plan belongs to another stack, build the packages (pip), apply the
plan, print what happened and the outputs.  Nothing changes on the server before
the ownership check and every build have passed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import httpx
from rich.console import Console
from rich.markup import escape

from ..client.api import Client, ClientError
from ..config import from_environ
from ..execution.runtimes import RuntimeResolver
from .build import Builder, BuildError, cache_dir
from .deploy import deploy_plan
from .model import DeployPlan
from .plan import build_plan
from .report import ConsoleProgress, print_outcomes, print_summary
from .samconfig import choose_stack_name, read_samconfig
from .stacks import StackNotFound, delete_stack, ownership_conflicts
from .template import TemplateError, load_template, parse_overrides

#: Lines of pip's output shown when it fails.
PIP_TAIL_LINES = 40


def _error(err: Console, message: str) -> int:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return 1


def plan_template(
    template_path: Path,
    overrides: list[str],
    stack_name: str | None,
    environ: Mapping[str, str],
) -> DeployPlan:
    """The plan of a template with its ``samconfig.toml``: ``--stack-name`` and
    ``--parameter-overrides`` win over the file's."""
    template = load_template(template_path)
    samconfig = read_samconfig(template_path.parent)
    config = from_environ(environ)
    return build_plan(
        template,
        template_path,
        parse_overrides(overrides or list(samconfig.parameter_overrides)),
        choose_stack_name(stack_name, samconfig, template_path),
        region=config.region,
        account_id=config.account_id,
    )


def build_packages(plan: DeployPlan, builder: Builder) -> dict[str, tuple[bytes, str]]:
    """Each built package of ``plan`` (zip and note) by logical id."""
    specs = [(p.logical_id, p.build) for p in plan.layers]
    specs += [(p.logical_id, p.build) for p in plan.functions]
    built: dict[str, tuple[bytes, str]] = {}
    for logical_id, spec in specs:
        if spec is not None:
            artifact = builder.artifact(logical_id, spec)
            built[logical_id] = (artifact.zip, artifact.note)
    return built


def deploy_template(
    template_path: Path,
    overrides: list[str],
    stack_name: str | None,
    endpoint: str,
    console: Console,
    err: Console,
    environ: Mapping[str, str] | None = None,
) -> int:
    """``snaplambda deploy template.yaml``.  Returns the exit status: 0 when every
    resource was deployed."""
    env = os.environ if environ is None else environ
    try:
        plan = plan_template(template_path, overrides, stack_name, env)
    except TemplateError as exc:
        return _error(err, str(exc))
    builder = Builder(
        RuntimeResolver(from_environ(env).interpreters, env),
        cache_dir(env),
        ConsoleProgress(console),
    )
    try:
        with Client(endpoint) as client:
            previous = client.get_stack(plan.stack_name)
            conflicts = ownership_conflicts(plan, client)
            if conflicts:
                for problem in conflicts:
                    _error(err, problem)
                return _error(err, f"stack {plan.stack_name} not deployed: nothing was changed")
            try:
                packages = build_packages(plan, builder)
            except BuildError as exc:
                if exc.output:
                    tail = exc.output.splitlines()[-PIP_TAIL_LINES:]
                    err.print(escape("\n".join(tail)), highlight=False, soft_wrap=True)
                _error(err, f"build failed: {exc}")
                return _error(err, f"stack {plan.stack_name} not deployed: nothing was changed")
            result = deploy_plan(plan, client, packages, previous)
    except ClientError as exc:
        return _error(err, f"{exc.aws_type}: {exc.message}")
    except (OSError, httpx.TransportError) as exc:
        return _error(err, f"cannot reach {endpoint}: {exc} (is `snaplambda serve` running?)")
    print_summary(plan, result, console)
    if not result.ok:
        return _error(err, f"not deployed: {', '.join(result.failed)} (see above)")
    return 0


def delete_template_stack(name: str, endpoint: str, console: Console, err: Console) -> int:
    """``snaplambda delete --stack-name NAME``.  Returns the exit status."""
    try:
        with Client(endpoint) as client:
            outcomes, gone = delete_stack(name, client)
    except StackNotFound as exc:
        return _error(err, str(exc))
    except ClientError as exc:
        return _error(err, f"{exc.aws_type}: {exc.message}")
    except (OSError, httpx.TransportError) as exc:
        return _error(err, f"cannot reach {endpoint}: {exc} (is `snaplambda serve` running?)")
    console.print(f"[bold]stack {escape(name)}[/bold]", highlight=False)
    print_outcomes(outcomes, console)
    if not gone:
        failed = [o.logical_id for o in outcomes if not o.ok]
        return _error(err, f"stack {name} not fully deleted: {', '.join(failed)} (see above)")
    console.print(f"deleted stack {escape(name)}", highlight=False)
    return 0
