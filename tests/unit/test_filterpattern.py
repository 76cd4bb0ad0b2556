from __future__ import annotations

import json

import pytest

from snaplambda.observability.filterpattern import FilterPatternError, compile_pattern, from_cli

DOC = json.dumps(
    {
        "level": "ERROR",
        "latency": 120,
        "user": {"id": "u-17", "admin": False},
        "tags": ["a", "b"],
        "gone": None,
    }
)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.level = "ERROR" }', True),
        ('{ $.level = "INFO" }', False),
        ('{ $.level != "INFO" }', True),
        ('{ $.level = "ERR*" }', True),
        ("{ $.latency > 100 }", True),
        ("{ $.latency <= 100 }", False),
        ("{ $.latency = 120 }", True),
        ('{ $.user.id = "u-17" }', True),
        ('{ $.tags[1] = "b" }', True),
        ("{ $.user.admin IS FALSE }", True),
        ("{ $.gone IS NULL }", True),
        ("{ $.nothing NOT EXISTS }", True),
        ("{ $.level NOT EXISTS }", False),
        ('{ $.level = "INFO" || $.latency > 100 }', True),
        ('{ ($.level = "INFO" || $.latency > 100) && $.user.id = "x" }', False),
        ('{ $.level = "ERROR" && $.latency < 200 }', True),
    ],
)
def test_json_patterns(pattern: str, expected: bool) -> None:
    assert compile_pattern(pattern).match(DOC) is expected


def test_json_pattern_never_matches_text() -> None:
    assert not compile_pattern('{ $.level = "ERROR" }').match("[ERROR] level = ERROR")
    assert not compile_pattern('{ $.level = "ERROR" }').match("{not json")


def test_term_patterns() -> None:
    assert compile_pattern("ERROR").contains == "ERROR"
    both = compile_pattern("ERROR timeout")
    assert both.match("ERROR: timeout") and not both.match("ERROR only")
    assert compile_pattern('"line 2"').match("line 2") and not compile_pattern('"line 2"').match(
        "line 12"
    )
    assert compile_pattern("ERROR -retry").match("ERROR") and not compile_pattern(
        "ERROR -retry"
    ).match("ERROR retry")
    either = compile_pattern("?ERROR ?WARN")
    assert either.match("WARN x") and not either.match("INFO")
    assert compile_pattern("").match("anything")


@pytest.mark.parametrize(
    "bad", ["{ $.level = ", "{ level = 1 }", '{ $.a > "x" }', "{ $.a = 1", "{}"]
)
def test_invalid(bad: str) -> None:
    with pytest.raises(FilterPatternError):
        compile_pattern(bad)


def test_from_cli() -> None:
    assert from_cli('level = "ERROR"') == '{ $.level = "ERROR" }'
    assert from_cli("latency > 5 && level = ERROR") == "{ $.latency > 5 && $.level = ERROR }"
    assert from_cli("$.a.b = 1") == "{ $.a.b = 1 }"
    assert from_cli("END RequestId") == '"END RequestId"'
    assert from_cli("{ $.x = 1 }") == "{ $.x = 1 }"
