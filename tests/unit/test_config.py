"""The configuration: SNAPLAMBDA_* variables over the defaults, explicit values over both."""

from __future__ import annotations

from pathlib import Path

import pytest

from snaplambda.config import Config, from_environ


def test_variables_set_their_fields() -> None:
    cfg = from_environ(
        {
            "SNAPLAMBDA_STATE_DIR": "/tmp/sl",
            "SNAPLAMBDA_HOST": "0.0.0.0",
            "SNAPLAMBDA_PORT": "9999",
            "SNAPLAMBDA_KEEP_ALIVE": "1.5",
            "SNAPLAMBDA_MAX_CONCURRENCY": "7",
            "SNAPLAMBDA_CPU_LIMITER": "quota",
            "SNAPLAMBDA_ASYNC_RETRY_DELAYS": "0.2, 0.4",
            "SNAPLAMBDA_ASYNC_THROTTLE_BACKOFF": "1,8",
            "SNAPLAMBDA_SNAPSTART_PRELOAD": "off",
            "SNAPLAMBDA_SNAPSTART_IMMORTAL": "yes",
            "SNAPLAMBDA_PYTHON3_12": "/opt/py/bin/python3.12",
        }
    )
    assert cfg.state_dir == Path("/tmp/sl")
    assert (cfg.host, cfg.port, cfg.endpoint) == ("0.0.0.0", 9999, "http://0.0.0.0:9999")
    assert (cfg.keep_alive_s, cfg.max_concurrency, cfg.cpu_limiter) == (1.5, 7, "quota")
    assert cfg.async_retry_delays_s == (0.2, 0.4)
    assert cfg.async_throttle_backoff_s == (1.0, 8.0)
    assert (cfg.snapstart_preload, cfg.snapstart_immortal) == (False, True)
    assert cfg.interpreters == {"python3.12": "/opt/py/bin/python3.12"}


def test_unset_variables_leave_the_defaults() -> None:
    assert from_environ({}) == Config()
    assert from_environ({"SNAPLAMBDA_OTLP_ENDPOINT": ""}).otlp_endpoint is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SNAPLAMBDA_PORT", "abc"),
        ("SNAPLAMBDA_SNAPSTART_PRELOAD", "maybe"),
        ("SNAPLAMBDA_ASYNC_THROTTLE_BACKOFF", "1,2,3"),
    ],
)
def test_a_bad_value_names_the_variable_and_the_value(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"{name}='{value}'"):
        from_environ({name: value})


def test_explicit_values_win_and_none_is_ignored() -> None:
    cfg = from_environ({"SNAPLAMBDA_PORT": "9999"}).with_overrides(port=1234, host=None)
    assert (cfg.port, cfg.host) == (1234, "127.0.0.1")
