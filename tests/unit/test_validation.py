"""Validation of function configuration: every field, every boundary, and errors that
name the field, the value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from snaplambda.control import validation
from snaplambda.control.errors import ControlError, InvalidParameterValue, ValidationError
from snaplambda.control.quotas import RESERVED_ENV_KEYS


def error_of(func: Any, value: object) -> ControlError:
    with pytest.raises(ControlError) as info:
        func(value)
    return info.value


# -- name ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["f", "my-function_1", "A" * 64, "0123", "-_-"])
def test_valid_names(name: str) -> None:
    assert validation.validate_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "a" * 65, "my.function", "my function", "fn:alias", "fn/x", "ünïcode", "fn\n", None, 42],
)
def test_invalid_names_name_the_field_value_and_pattern(name: object) -> None:
    err = error_of(validation.validate_name, name)
    assert isinstance(err, ValidationError)
    assert err.aws_type == "ValidationException" and err.status == 400
    assert "'functionName'" in err.message
    assert f"Value '{name}'" in err.message
    assert "1-64" in err.message


# -- runtime ------------------------------------------------------------------------------


@pytest.mark.parametrize("runtime", ["python3.11", "python3.12", "python3.13"])
def test_supported_runtimes(runtime: str) -> None:
    assert validation.validate_runtime(runtime) == runtime


@pytest.mark.parametrize(
    "runtime", ["python3.10", "python2.7", "nodejs20.x", "Python3.12", "", None]
)
def test_unsupported_runtime_lists_the_supported_ones(runtime: object) -> None:
    err = error_of(validation.validate_runtime, runtime)
    assert isinstance(err, InvalidParameterValue)
    assert err.aws_type == "InvalidParameterValueException"
    assert f"Value '{runtime}' at 'runtime'" in err.message
    assert "python3.11, python3.12, python3.13" in err.message


# -- handler -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "handler", ["app.handler", "pkg.mod.fn", "a" * 128, "index.lambda_handler"]
)
def test_valid_handlers(handler: str) -> None:
    assert validation.validate_handler(handler) == handler


@pytest.mark.parametrize(
    "handler", ["", "app handler", "app.handler\n", "\tapp.h", "a" * 129, None, 1]
)
def test_invalid_handlers(handler: object) -> None:
    err = error_of(validation.validate_handler, handler)
    assert isinstance(err, ValidationError)
    assert "'handler'" in err.message
    assert f"Value '{handler}'" in err.message
    assert "pattern: [^\\s]+" in err.message or "less than or equal to 128" in err.message


# -- integer ranges -----------------------------------------------------------------------

RANGES = [
    (validation.validate_memory, "memorySize", 128, 10240, "MB"),
    (validation.validate_timeout, "timeout", 1, 900, "seconds"),
    (validation.validate_ephemeral, "ephemeralStorage.size", 512, 10240, "MB"),
]


@pytest.mark.parametrize(("func", "field", "low", "high", "unit"), RANGES)
def test_integer_fields_accept_their_whole_range(
    func: Any, field: str, low: int, high: int, unit: str
) -> None:
    for value in (low, low + 1, (low + high) // 2, high - 1, high):
        assert func(value) == value


@pytest.mark.parametrize(("func", "field", "low", "high", "unit"), RANGES)
def test_integer_fields_refuse_out_of_range_and_say_what_is_allowed(
    func: Any, field: str, low: int, high: int, unit: str
) -> None:
    for value in (low - 1, 0, -1, high + 1, 10**9):
        err = error_of(func, value)
        assert isinstance(err, ValidationError), value
        assert f"Value '{value}' at '{field}'" in err.message
        assert f"{low}-{high} {unit}" in err.message
    assert "greater than or equal to" in error_of(func, low - 1).message
    assert "less than or equal to" in error_of(func, high + 1).message


@pytest.mark.parametrize(("func", "field", "low", "high", "unit"), RANGES)
@pytest.mark.parametrize("value", [True, 256.0, "256", None, [256]])
def test_integer_fields_refuse_non_integers(
    func: Any, field: str, low: int, high: int, unit: str, value: object
) -> None:
    err = error_of(func, value)
    assert isinstance(err, ValidationError)
    assert f"'{field}'" in err.message
    assert f"from {low} to {high} {unit}" in err.message


def test_ephemeral_storage_takes_the_api_shape() -> None:
    assert validation.validate_ephemeral({"Size": 1024}) == 1024
    err = error_of(validation.validate_ephemeral, {"Size": 100})
    assert "Value '100' at 'ephemeralStorage.size'" in err.message
    assert "'ephemeralStorage.size'" in error_of(validation.validate_ephemeral, {}).message


# -- environment ---------------------------------------------------------------------------


def test_environment_variables_are_returned() -> None:
    variables = {"MY_VAR": "hello", "Ab1_": "", "LONG_VALUE": "x" * 1000}
    assert validation.validate_environment({"Variables": variables}) == variables
    assert validation.validate_environment(None) == {}
    assert validation.validate_environment({}) == {}


@pytest.mark.parametrize(
    "key", ["1ABC", "_PRIVATE", "MY-VAR", "MY VAR", "MY.VAR", "ÄBC", "", "MY_VAR\n"]
)
def test_environment_keys_must_match_the_pattern(key: str) -> None:
    err = error_of(validation.validate_environment, {"Variables": {key: "v"}})
    assert isinstance(err, ValidationError)
    assert f"Value '{key}'" in err.message
    assert "'environment.variables'" in err.message
    assert "start with a letter" in err.message


@pytest.mark.parametrize("value", [1, 1.5, True, None, ["a"], {"a": "b"}])
def test_environment_values_must_be_strings(value: object) -> None:
    err = error_of(validation.validate_environment, {"Variables": {"MY_VAR": value}})
    assert isinstance(err, InvalidParameterValue)
    assert "'MY_VAR'" in err.message
    assert f"Value '{value}'" in err.message
    assert "must be strings" in err.message


@pytest.mark.parametrize("key", sorted(k for k in RESERVED_ENV_KEYS if not k.startswith("_")))
def test_reserved_environment_keys_are_refused(key: str) -> None:
    err = error_of(validation.validate_environment, {"Variables": {"MINE": "1", key: "x"}})
    assert isinstance(err, InvalidParameterValue)
    assert f"Reserved keys used in this request: {key}" in err.message


def test_all_reserved_keys_used_are_named() -> None:
    err = error_of(
        validation.validate_environment, {"Variables": {"AWS_REGION": "x", "LAMBDA_TASK_ROOT": "y"}}
    )
    assert "AWS_REGION, LAMBDA_TASK_ROOT" in err.message


def test_reserved_keys_starting_with_underscore_are_refused_too() -> None:
    for key in ("_HANDLER", "_X_AMZN_TRACE_ID"):
        with pytest.raises(ControlError):
            validation.validate_environment({"Variables": {key: "x"}})


def test_environment_total_is_limited_to_4_kb() -> None:
    # Keys and values count, in UTF-8 bytes.
    exactly = {"K1": "v" * (4096 - 2)}
    assert validation.validate_environment({"Variables": exactly}) == exactly
    over = {"K1": "v" * (4096 - 2), "K2": ""}
    err = error_of(validation.validate_environment, {"Variables": over})
    assert isinstance(err, InvalidParameterValue)
    assert "4KB" in err.message and "4098" in err.message and "4096" in err.message
    multibyte = {"K1": "é" * 2048}  # 2 bytes each: 4096 + 2
    assert "4098" in error_of(validation.validate_environment, {"Variables": multibyte}).message


@pytest.mark.parametrize("value", ["x", ["Variables"], {"Variables": "A=1"}, {"Variables": None}])
def test_environment_must_have_the_api_shape(value: object) -> None:
    err = error_of(validation.validate_environment, value)
    assert isinstance(err, InvalidParameterValue)
    assert "'environment'" in err.message
    assert '{"Variables"' in err.message


# -- description and the whole body ----------------------------------------------------------


def test_description() -> None:
    assert validation.validate_description("a" * 256) == "a" * 256
    err = error_of(validation.validate_description, "a" * 257)
    assert "'description'" in err.message and "256" in err.message
    assert "'description'" in error_of(validation.validate_description, 5).message


def test_config_changes_maps_api_fields_and_skips_absent_ones() -> None:
    changes = validation.config_changes(
        {
            "Runtime": "python3.12",
            "Handler": "app.main",
            "MemorySize": 512,
            "Timeout": 30,
            "EphemeralStorage": {"Size": 1024},
            "Environment": {"Variables": {"A1": "x"}},
            "Description": "d",
            "Role": "arn:aws:iam::123456789012:role/r",
            "Architectures": ["arm64"],
            "FunctionName": "ignored-here",
        }
    )
    assert changes == {
        "runtime": "python3.12",
        "handler": "app.main",
        "memory_size": 512,
        "timeout": 30,
        "ephemeral_storage": 1024,
        "environment": {"A1": "x"},
        "description": "d",
        "role": "arn:aws:iam::123456789012:role/r",
        "architectures": ("arm64",),
    }
    assert validation.config_changes({}) == {}
    assert validation.config_changes({"Timeout": None, "MemorySize": None}) == {}


def test_config_changes_stops_at_the_first_bad_field() -> None:
    with pytest.raises(ValidationError, match="'timeout'"):
        validation.config_changes({"Timeout": 901, "MemorySize": 512})


@pytest.mark.parametrize("arch", [["x86"], ["x86_64", "arm64"], "arm64", []])
def test_architectures(arch: object) -> None:
    with pytest.raises(ValidationError) as info:
        validation.config_changes({"Architectures": arch})
    assert "'architectures'" in info.value.message
    assert validation.config_changes({"Architectures": ["x86_64"]}) == {
        "architectures": ("x86_64",)
    }
