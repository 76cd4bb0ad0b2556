"""The package's layout stays what docs/architecture.md says: which package may
import which, no import cycles between modules, the runtime on the standard library
alone, a root that holds only the composition root, the configuration and the
package's face, and no module past the size where it holds more than one concept.

Read from the sources with ``ast``: every import counts, including those under
``TYPE_CHECKING`` and inside functions, since each is a dependency a reader follows.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "snaplambda"

#: What each part of the package may import of the rest (a part is a subpackage, or
#: a module at the root).  Keep this table and docs/architecture.md's together.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "runtime": set(),
    "storage": set(),
    "config": set(),
    "scheduling": set(),  # pure schedule expressions, shared by capacity and eventbridge
    "auth": set(),  # signatures, policies, keys: nothing of the platform
    "packaging": {"errors"},
    "observability": {"storage"},
    "control": {"errors", "packaging", "storage"},
    "execution": {"errors", "config", "control", "observability", "runtime"},
    "snapstart": {"control", "execution", "observability", "runtime"},
    "capacity": {"errors", "control", "execution", "scheduling"},
    "eventbridge": {"errors", "storage", "scheduling"},
    "asyncinvoke": {"errors", "control", "execution", "storage"},
    "platform": {
        "auth",
        "errors",
        "config",
        "control",
        "packaging",
        "execution",
        "observability",
        "snapstart",
        "capacity",
        "asyncinvoke",
        "eventbridge",
    },
    "api": {
        "__init__",
        "auth",
        "errors",
        "config",
        "platform",
        "control",
        "execution",
        "observability",
        "capacity",
        "asyncinvoke",
        "eventbridge",
    },
    "client": set(),
    "sam": {
        "client",
        "config",
        "packaging",
        "execution",
    },  # runtimes: pip with the function's interpreter
    "cli": {
        "__init__",
        "auth",  # serve makes the root key and says where it is
        "control",  # quotas, for runtimes' listing
        "execution",  # runtimes and the SDK they offer, read locally by `runtimes`
        "errors",
        "config",
        "client",
        "api",
        "platform",
        "packaging",
        "observability",
        "snapstart",
        "sam",
    },
    "__main__": {"cli"},
    "__init__": set(),
    "examples": set(),  # the demo's function: user code, it imports nothing of ours
}

#: The only modules at the package's root.
ROOT_MODULES = {"__init__", "__main__", "platform", "config", "errors"}

#: Past this a module holds more than one concept: split it.
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> Iterator[str]:
    """Absolute names of what the module imports (modules where it names one)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            submodules = [f"{target}.{a.name}" for a in node.names]
            submodules = [m for m in submodules if m in MODULES]
            yield from submodules
            if len(submodules) < len(node.names):  # names defined in the module itself
                yield target


GRAPH = {
    name: sorted({t for t in _imports(name, path) if t in MODULES and t != name})
    for name, path in MODULES.items()
}


def _part(module: str) -> str:
    """The part of the package a module belongs to (see ALLOWED)."""
    rest = module.split(".")[1:]
    return rest[0] if rest else "__init__"


def test_every_part_is_in_the_table() -> None:
    assert {_part(m) for m in MODULES} <= set(ALLOWED)


def _forbidden(graph: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(importer, imported) pairs that cross parts against ALLOWED."""
    return [
        (module, target)
        for module, targets in graph.items()
        for target in targets
        if _part(target) != _part(module) and _part(target) not in ALLOWED[_part(module)]
    ]


def test_imports_follow_the_allowed_directions() -> None:
    assert _forbidden(GRAPH) == []


def test_the_direction_check_finds_an_upward_import() -> None:
    graph = {
        "snaplambda.control.functions": ["snaplambda.execution.pool", "snaplambda.errors"],
        "snaplambda.api.app": ["snaplambda.control.functions"],
    }
    assert _forbidden(graph) == [("snaplambda.control.functions", "snaplambda.execution.pool")]


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    assert _cycles(GRAPH) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]


def test_the_root_holds_only_the_face_config_and_composition_root() -> None:
    root = {p.stem for p in PACKAGE.glob("*.py")}
    assert root == ROOT_MODULES


def test_the_runtime_imports_only_the_standard_library() -> None:
    for module, path in MODULES.items():
        if _part(module) != "runtime":
            continue
        for target in _imports(module, path):
            top = target.split(".")[0]
            assert top == "snaplambda" or top in sys.stdlib_module_names, (module, target)
            if top == "snaplambda":
                assert _part(target) == "runtime", (module, target)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module: str) -> None:
    lines = MODULES[module].read_text().count("\n")
    assert lines <= MAX_LINES, f"{module} has {lines} lines: split it by concept"
