"""Static SnapStart hazards: what a function computes or opens while its modules are
imported, which every restored environment would then share.

Pure: source text in, findings with ``file:line`` out.  Only code that runs at
import is considered (module bodies, class bodies, and the ``if``/``try``/``with``/
``for`` blocks around them), never function bodies, which run per invocation.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Calls whose result at init would be identical in every restored environment.
_UNIQUE = {
    "random.random": "a random value",
    "random.randint": "a random value",
    "random.randrange": "a random value",
    "random.choice": "a random value",
    "random.choices": "a random value",
    "random.sample": "a random value",
    "random.shuffle": "a random order",
    "random.uniform": "a random value",
    "random.getrandbits": "a random value",
    "random.seed": "a random seed",
    "random.Random": "a random generator's seed",
    "numpy.random.seed": "a random seed",
    "numpy.random.default_rng": "a random generator's seed",
    "uuid.uuid1": "a UUID",
    "uuid.uuid4": "a UUID",
    "secrets.token_hex": "a secret token",
    "secrets.token_bytes": "a secret token",
    "secrets.token_urlsafe": "a secret token",
    "os.urandom": "random bytes",
    "time.time": "the time",
    "time.time_ns": "the time",
    "time.monotonic": "a clock reading",
    "datetime.datetime.now": "the time",
    "datetime.datetime.utcnow": "the time",
    "datetime.date.today": "the date",
}
#: Calls that open connections every restored environment would share.
_CONNECTIONS = {
    "socket.socket",
    "socket.create_connection",
    "sqlite3.connect",
    "psycopg2.connect",
    "psycopg.connect",
    "pymysql.connect",
    "redis.Redis",
    "redis.StrictRedis",
    "requests.Session",
    "httpx.Client",
    "urllib3.PoolManager",
    "boto3.client",
    "boto3.resource",
    "pymongo.MongoClient",
}


@dataclass(frozen=True)
class Hazard:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> qualified name, from the module's imports."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _import_time_calls(body: list[ast.stmt]) -> Iterator[ast.Call]:
    """Calls in statements that run at import (not inside function bodies)."""
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in stmt.decorator_list:
                yield from (n for n in ast.walk(decorator) if isinstance(n, ast.Call))
            continue
        if isinstance(stmt, ast.ClassDef):
            yield from _import_time_calls(stmt.body)
            continue
        nested = [
            getattr(stmt, field, None) for field in ("body", "orelse", "finalbody", "handlers")
        ]
        if any(nested):
            for part in nested:
                for item in part or []:
                    if isinstance(item, ast.ExceptHandler):
                        yield from _import_time_calls(item.body)
                    elif isinstance(item, ast.stmt):
                        yield from _import_time_calls([item])
            for field in ("test", "iter", "items"):
                value = getattr(stmt, field, None)
                for node in value if isinstance(value, list) else [value]:
                    if isinstance(node, ast.AST):
                        yield from (n for n in ast.walk(node) if isinstance(n, ast.Call))
            continue
        yield from (n for n in ast.walk(stmt) if isinstance(n, ast.Call))


def scan_source(source: str, path: str, has_after_restore: bool) -> list[Hazard]:
    """Hazards in one module's import-time code."""
    try:
        tree = ast.parse(source, path)
    except SyntaxError:
        return []
    aliases = _aliases(tree)
    found = []
    for call in _import_time_calls(tree.body):
        name = _dotted(call.func)
        if name is None:
            continue
        head, _, rest = name.partition(".")
        qualified = aliases.get(head, head) + (f".{rest}" if rest else "")
        if qualified in _UNIQUE:
            found.append(
                Hazard(
                    path,
                    call.lineno,
                    f"{qualified}() at import: {_UNIQUE[qualified]} captured at snapshot "
                    "time is the same in every restored environment; compute it in the "
                    "handler or an after-restore hook",
                )
            )
        elif qualified in _CONNECTIONS and not has_after_restore:
            found.append(
                Hazard(
                    path,
                    call.lineno,
                    f"{qualified}() at import opens a connection that every restored "
                    "environment would share, and no after-restore hook reopens it "
                    "(register one with snapshot_restore_py.register_after_restore)",
                )
            )
    return found


def _installed(root: Path) -> set[str]:
    """Top-level names of packages installed into the code directory (``pip install
    --target``): third-party code, left out of the scan."""
    names: set[str] = set()
    for record in root.glob("*.dist-info/RECORD"):
        for line in record.read_text(errors="replace").splitlines():
            first = line.split(",", 1)[0].split("/", 1)[0]
            if first and not first.endswith(".dist-info"):
                names.add(first)
    return names


def scan_package(root: Path, has_after_restore: bool) -> list[Hazard]:
    """Hazards in the function's own modules under ``root`` (installed
    dependencies are left out: their import-time code is not the user's to fix).
    ``has_after_restore``: whether init registered an after-restore hook, which
    could reopen connections made at import."""
    skip = _installed(root) | {".venv"}
    files = sorted(
        p
        for p in root.rglob("*.py")
        if not skip.intersection(p.relative_to(root).parts) and "site-packages" not in p.parts
    )
    hazards: list[Hazard] = []
    for path in files:
        text = path.read_text(errors="replace")
        hazards.extend(scan_source(text, str(path.relative_to(root)), has_after_restore))
    return hazards
