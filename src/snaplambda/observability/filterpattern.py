"""CloudWatch Logs filter patterns, compiled to predicates over one message.

- Terms: ``ERROR`` (the message contains it), ``"exact phrase"``, several terms must
  all match, ``-term`` must not, ``?a ?b`` any of them.
- JSON: ``{ $.level = "ERROR" }``, ``{ $.latency > 100 }``, ``!=``, ``>=``, ``<=``,
  ``<``; nested ``$.a.b`` and ``$.a[0]``; ``*`` wildcards in string values;
  ``IS NULL``, ``NOT EXISTS``, ``IS TRUE`` / ``IS FALSE``; ``&&``, ``||`` and
  parentheses.  Messages that are not JSON objects never match a JSON pattern.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

Predicate = Callable[[str], bool]


class FilterPatternError(ValueError):
    """The pattern is not valid; the message says where."""


@dataclass(frozen=True, slots=True)
class Compiled:
    match: Predicate
    contains: str | None = None
    """Set when the pattern is one plain term (``""`` when it is empty): the store can
    filter it in SQL."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<op>&&|\|\||!=|>=|<=|=|>|<|\(|\))
      | (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<sel>\$(?:\.[A-Za-z0-9_@\-]+|\[\d+\])*)
      | (?P<word>[^\s()=!<>&|"]+)
    )""",
    re.VERBOSE,
)


def compile_pattern(pattern: str | None) -> Compiled:
    """A predicate for ``pattern`` (empty or None: everything matches)."""
    text = (pattern or "").strip()
    if not text:
        return Compiled(lambda _m: True, "")
    if text.startswith("{"):
        if not text.endswith("}"):
            raise FilterPatternError(f"Invalid filter pattern: missing '}}' in {pattern!r}")
        expr = _JsonParser(text[1:-1]).parse()

        def match_json(message: str) -> bool:
            if not message.startswith("{"):
                return False
            try:
                doc = orjson.loads(message)
            except orjson.JSONDecodeError:
                return False
            return isinstance(doc, dict) and expr(doc)

        return Compiled(match_json)
    return _terms(text)


def _terms(text: str) -> Compiled:
    terms = re.findall(r'[?-]?"(?:[^"\\]|\\.)*"|\S+', text)
    must: list[str] = []
    must_not: list[str] = []
    any_of: list[str] = []
    for term in terms:
        prefix = term[0] if term[0] in "?-" and len(term) > 1 else ""
        body = term[len(prefix) :]
        if body.startswith('"') and body.endswith('"') and len(body) >= 2:
            body = body[1:-1].replace('\\"', '"')
        {"": must, "-": must_not, "?": any_of}[prefix].append(body)

    def match(message: str) -> bool:
        if any_of and not any(t in message for t in any_of):
            return False
        return all(t in message for t in must) and not any(t in message for t in must_not)

    single = must[0] if len(must) == 1 and not must_not and not any_of else None
    return Compiled(match, single)


_MISSING = object()


def _select(doc: Any, selector: str) -> Any:
    value = doc
    for part in re.findall(r"\.([A-Za-z0-9_@\-]+)|\[(\d+)\]", selector):
        key, index = part
        if key:
            if not isinstance(value, dict) or key not in value:
                return _MISSING
            value = value[key]
        else:
            i = int(index)
            if not isinstance(value, list) or i >= len(value):
                return _MISSING
            value = value[i]
    return value


JsonExpr = Callable[[dict[str, Any]], bool]


class _JsonParser:
    """Recursive descent: or := and ('||' and)*; and := atom ('&&' atom)*;
    atom := '(' or ')' | selector op value | selector IS ... | selector NOT EXISTS."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise FilterPatternError(f"Invalid filter pattern near {text[pos : pos + 20]!r}")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FilterPatternError("Invalid filter pattern: it ends too early")
        self.i += 1
        return token

    def parse(self) -> JsonExpr:
        if not self.tokens:
            raise FilterPatternError("Invalid filter pattern: empty {}")
        expr = self.parse_or()
        if self.peek() is not None:
            raise FilterPatternError(f"Invalid filter pattern: unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return expr

    def parse_or(self) -> JsonExpr:
        left = self.parse_and()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.parse_and()
            left = (lambda a, b: lambda d: a(d) or b(d))(left, right)
        return left

    def parse_and(self) -> JsonExpr:
        left = self.parse_atom()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.parse_atom()
            left = (lambda a, b: lambda d: a(d) and b(d))(left, right)
        return left

    def parse_atom(self) -> JsonExpr:
        kind, value = self.take()
        if (kind, value) == ("op", "("):
            inner = self.parse_or()
            if self.take() != ("op", ")"):
                raise FilterPatternError("Invalid filter pattern: missing ')'")
            return inner
        if kind != "sel":
            raise FilterPatternError(f"Invalid filter pattern: expected $.field, got {value!r}")
        selector = value
        kind, op = self.take()
        if kind == "word" and op.upper() in ("IS", "NOT"):
            return self._keyword(selector, op.upper())
        if kind != "op" or op not in ("=", "!=", ">", "<", ">=", "<="):
            raise FilterPatternError(f"Invalid filter pattern: expected an operator, got {op!r}")
        kind, raw = self.take()
        if kind == "str":
            return _string_cmp(selector, op, raw[1:-1].replace('\\"', '"'))
        if kind == "word":
            try:
                number = float(raw)
            except ValueError:
                return _string_cmp(selector, op, raw)
            return _number_cmp(selector, op, number)
        raise FilterPatternError(f"Invalid filter pattern: expected a value, got {raw!r}")

    def _keyword(self, selector: str, first: str) -> JsonExpr:
        _, second = self.take()
        word = second.upper()
        if first == "NOT" and word == "EXISTS":
            return lambda d: _select(d, selector) is _MISSING
        if first == "IS" and word == "NULL":
            return lambda d: _select(d, selector) is None
        if first == "IS" and word in ("TRUE", "FALSE"):
            want = word == "TRUE"
            return lambda d: _select(d, selector) is want
        raise FilterPatternError(f"Invalid filter pattern: {first} {second}")


def _string_cmp(selector: str, op: str, expected: str) -> JsonExpr:
    if op not in ("=", "!="):
        raise FilterPatternError(f"Invalid filter pattern: {op} needs a number")
    regex = re.compile(".*".join(re.escape(p) for p in expected.split("*")), re.DOTALL)

    def equal(d: dict[str, Any]) -> bool:
        value = _select(d, selector)
        if value is _MISSING or isinstance(value, dict | list):
            return False
        text = _text(value)
        return regex.fullmatch(text) is not None

    if op == "=":
        return equal
    return lambda d: _select(d, selector) is not _MISSING and not equal(d)


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number_cmp(selector: str, op: str, expected: float) -> JsonExpr:
    compare: Callable[[float, float], bool] = {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        ">": lambda a, b: a > b,
        "<": lambda a, b: a < b,
        ">=": lambda a, b: a >= b,
        "<=": lambda a, b: a <= b,
    }[op]

    def check(d: dict[str, Any]) -> bool:
        value = _select(d, selector)
        if isinstance(value, bool) or not isinstance(value, int | float):
            if isinstance(value, str):
                try:
                    return compare(float(value), expected)
                except ValueError:
                    return False
            return False
        return compare(float(value), expected)

    return check


_FIELD_EXPR = re.compile(
    r"^\s*\(?\s*(\$\.)?[A-Za-z_@][\w.@\-\[\]]*\s*(=|!=|>=|<=|>|<|\s+IS\s|\s+NOT\s)"
)


def from_cli(text: str) -> str:
    """The filter pattern of ``snaplambda logs --filter``: ``level = "ERROR"`` (and
    ``&&`` / ``||`` combinations) becomes ``{ $.level = "ERROR" }``; a ``{...}``
    pattern passes as is; any other text matches events that contain it."""
    stripped = text.strip()
    if stripped.startswith("{") or stripped.startswith('"') or not stripped:
        return stripped
    if _FIELD_EXPR.match(stripped):
        expr = re.sub(
            r"(^|&&|\|\||\()(\s*)(?!\$)([A-Za-z_@])",
            lambda m: f"{m.group(1)}{m.group(2)}$.{m.group(3)}",
            stripped,
        )
        return "{ " + expr + " }"
    return '"' + stripped.replace('"', '\\"') + '"' if " " in stripped else stripped
