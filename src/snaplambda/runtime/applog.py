"""Application logging inside an environment: Lambda's text and JSON layouts of
log records, the request id they carry, and the log line of an error document."""

from __future__ import annotations

import json
import logging
import os
import sys
import time

from .errors import error_document

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs every cold start
if TYPE_CHECKING:
    from typing import Any

request_id = ""
"""The id of the invocation running now, which log records carry."""


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = request_id
        return True


class _LambdaTextFormatter(logging.Formatter):
    """Lambda's text layout; newlines become CR so one record stays one log event."""

    converter = time.gmtime  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
            "%Y-%m-%dT%H:%M:%S",
        )

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\r")


#: Attributes every LogRecord has: anything else came from ``extra=`` and is logged.
_RECORD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"aws_request_id", "message"}

#: ApplicationLogLevel -> logging level (TRACE is below DEBUG, FATAL is CRITICAL).
_LEVELS = {"TRACE": 5, "DEBUG": 10, "INFO": 20, "WARN": 30, "ERROR": 40, "FATAL": 50}


def iso(epoch: float) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}Z"
    )


class _LambdaJsonFormatter(logging.Formatter):
    """Lambda's JSON layout of application log records (LogFormat JSON)."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "timestamp": iso(record.created),
            "level": "FATAL" if record.levelno >= 50 else record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", "") or request_id,
        }
        if record.levelno == 30:
            doc["level"] = "WARN"
        elif record.levelno == 5:
            doc["level"] = "TRACE"
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and key not in doc:
                doc[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            err = error_document(exc)
            doc["errorType"] = err["errorType"]
            doc["errorMessage"] = err["errorMessage"]
            doc["stackTrace"] = err["stackTrace"]
            doc["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
        return json.dumps(doc, default=str)


json_format = False


def install_logging() -> None:
    global json_format
    handler = logging.StreamHandler(sys.stderr)
    json_format = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"
    handler.setFormatter(_LambdaJsonFormatter() if json_format else _LambdaTextFormatter())
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        if json_format:
            # Records below ApplicationLogLevel are dropped, whatever loggers say.
            logging.addLevelName(5, "TRACE")
            numeric = _LEVELS.get(level.upper(), 20)
            root.setLevel(numeric)
            handler.setLevel(numeric)
        else:
            root.setLevel(level.upper())


def _error_lines(doc: dict[str, Any]) -> list[str]:
    """The text lines Lambda's runtime logs for an error document: ``[ERROR] Type:
    message``, then ``Traceback (most recent call last):`` and each frame's lines,
    their indentation made of no-break spaces so log viewers keep it."""
    head = "[ERROR]"
    if doc.get("errorType"):
        head += f" {doc['errorType']}"
    if doc.get("errorMessage"):
        head += f"{':' if doc.get('errorType') else ''} {doc['errorMessage']}"
    lines = [head]
    trace = doc.get("stackTrace")
    if trace is not None:
        lines.append("Traceback (most recent call last):")
        for entry in trace:
            if not entry:
                lines.append("")
            for line in entry.splitlines():
                stripped = line.lstrip(" ")
                lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    return lines


def log_error(doc: dict[str, Any]) -> None:
    """Log an error document as Lambda's runtime does: one JSON event, or one text
    event whose lines are joined by CR (the log stream is split at LF)."""
    if json_format:
        event = {"timestamp": iso(time.time()), "level": "ERROR", **doc}
        event.setdefault("requestId", request_id)
        sys.stderr.write(json.dumps(event, default=str) + "\n")
        sys.stderr.flush()
        return
    text = "\r".join(_error_lines(doc))
    sys.stderr.write(text.replace("\n", "\r") + "\n")
    sys.stderr.flush()
