from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from snaplambda.control import validation
from snaplambda.control.errors import InvalidParameterValue, ValidationError
from snaplambda.observability import jsonlogs
from snaplambda.observability.platform_lines import Report


def test_report_event_shape() -> None:
    rep = Report("rid", 693.921, 128, 84, init_duration_ms=397.678)
    doc = json.loads(jsonlogs.report(rep, "success"))
    assert doc["type"] == "platform.report"
    assert doc["time"].endswith("Z")
    assert doc["record"] == {
        "requestId": "rid",
        "metrics": {
            "durationMs": 693.92,
            "billedDurationMs": 694,
            "memorySizeMB": 128,
            "maxMemoryUsedMB": 84,
            "initDurationMs": 397.68,
        },
        "status": "success",
    }
    restored = json.loads(
        jsonlogs.report(Report("r", 1.0, 128, 10, restore_duration_ms=511.25), "timeout")
    )
    assert restored["record"]["metrics"]["restoreDurationMs"] == 511.25
    assert restored["record"]["status"] == "timeout"


def test_system_levels() -> None:
    assert jsonlogs.system_level_allows("")
    assert jsonlogs.system_level_allows("DEBUG")
    assert not jsonlogs.system_level_allows("WARN")
    assert jsonlogs.system_level_allows("WARN", "WARN")


def test_logging_config_validation() -> None:
    assert validation.config_changes({"LoggingConfig": {"LogFormat": "JSON"}}) == {
        "log_format": "JSON"
    }
    assert validation.config_changes({"LoggingConfig": {"LogFormat": "Text"}}) == {
        "log_format": "Text",
        "application_log_level": "",
        "system_log_level": "",
    }
    assert validation.config_changes({"LoggingConfig": {"LogGroup": "/my/group-1"}}) == {
        "log_group": "/my/group-1"
    }
    for bad in ({"LogFormat": "json"}, {"ApplicationLogLevel": "WARNING"}, {"LogGroup": "a b"}):
        with pytest.raises(ValidationError):
            validation.config_changes({"LoggingConfig": bad})
    with pytest.raises(InvalidParameterValue):
        validation.config_changes(
            {"LoggingConfig": {"LogFormat": "Text", "ApplicationLogLevel": "INFO"}}
        )
    with pytest.raises(InvalidParameterValue):
        validation.check_logging("Text", "DEBUG", "")
    validation.check_logging("JSON", "DEBUG", "WARN")


def test_retention_is_enforced(tmp_path: Path) -> None:
    from snaplambda.observability.logstore import LogStore

    store = LogStore(tmp_path / "logs.db")
    try:
        now = int(time.time() * 1000)
        store.append("/g", "s", now - 3 * 86_400_000, "old")
        store.append("/g", "s", now, "new")
        store.append("/other", "s", now - 3 * 86_400_000, "kept")
        store.sync()
        store.set_retention("/g", 1)
        assert [e.message for e in store.filter("/g")] == ["new"]
        assert [e.message for e in store.filter("/other")] == ["kept"]
        assert store.retention() == {"/g": 1}
        store.set_retention("/g", None)
        assert store.retention() == {}
    finally:
        store.close()


def test_iso_now_matches_strftime_across_seconds() -> None:
    for epoch in (0.0, 1.9995, 1764180062.345, 1764180062.999, 1764180063.0004, 1764180062.5):
        whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(epoch)))
        assert jsonlogs.iso_now(epoch) == f"{whole}.{int(epoch * 1000) % 1000:03d}Z"
