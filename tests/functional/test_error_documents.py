"""Error documents and their log events as Lambda shows them: stack traces of the
function's own frames with Lambda's paths (``/var/task``, ``/opt``, ``/var/lang``),
without the runtime's frames or column markers, and the ``[ERROR]`` event's lines."""

from __future__ import annotations

import sys
from typing import Any

from tests.functional.test_layers import layer_zip, publish
from tests.support import Server, create, invoke, zip_files

APP = """\
import json
import helper


def handler(event, context):
    if event.get("where") == "layer":
        helper.boom("from the layer")
    if event.get("where") == "stdlib":
        return json.loads("{")
    raise ValueError("plain")
"""

HELPER = """\
def boom(message):
    raise RuntimeError(message)
"""

NBSP = "\u00a0"


def _function(lam: Any, name: str) -> None:
    layer = publish(lam, "err-doc-layer", layer_zip({"python/helper.py": HELPER}))
    create(lam, name, zip_files({"app.py": APP}), Layers=[layer["LayerVersionArn"]])


def test_stack_trace_names_lambda_paths_and_only_function_frames(lam: Any, server: Server) -> None:
    _function(lam, "err-doc")
    plain = invoke(lam, "err-doc")["Body"]
    assert plain["errorType"] == "ValueError"
    assert plain["stackTrace"] == [
        '  File "/var/task/app.py", line 10, in handler\n    raise ValueError("plain")\n'
    ]
    layered = invoke(lam, "err-doc", {"where": "layer"})["Body"]
    assert layered["stackTrace"] == [
        '  File "/var/task/app.py", line 7, in handler\n    helper.boom("from the layer")\n',
        '  File "/opt/python/helper.py", line 2, in boom\n    raise RuntimeError(message)\n',
    ]
    stdlib = invoke(lam, "err-doc", {"where": "stdlib"})["Body"]
    assert stdlib["errorType"] == "JSONDecodeError"
    first, *rest = stdlib["stackTrace"]
    assert first == '  File "/var/task/app.py", line 9, in handler\n    return json.loads("{")\n'
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert rest and all(
        entry.startswith(f'  File "/var/lang/lib/{version}/json/') for entry in rest
    ), rest
    # Nothing of the host: no state directory, no runtime frame.
    for doc in (plain, layered, stdlib):
        for entry in doc["stackTrace"]:
            assert str(server.state_dir) not in entry and "bootstrap" not in entry


def test_error_event_is_one_record_of_lambdas_lines(lam: Any) -> None:
    _function(lam, "err-doc-log")
    log = invoke(lam, "err-doc-log", {"where": "layer"})["Log"]
    event = next(line for line in log.split("\n") if line.startswith("[ERROR]"))
    assert event.split("\r") == [
        "[ERROR] RuntimeError: from the layer",
        "Traceback (most recent call last):",
        f'{NBSP * 2}File "/var/task/app.py", line 7, in handler',
        f'{NBSP * 4}helper.boom("from the layer")',
        f'{NBSP * 2}File "/opt/python/helper.py", line 2, in boom',
        f"{NBSP * 4}raise RuntimeError(message)",
    ]


def test_init_errors(lam: Any) -> None:
    create(lam, "err-doc-init", zip_files({"app.py": "x = 1\nraise KeyError('k')\n"}))
    body = invoke(lam, "err-doc-init")["Body"]
    assert body["errorType"] == "KeyError"
    # As on Lambda, the import machinery's frames stay; the runtime's do not.
    assert body["stackTrace"][-1] == (
        "  File \"/var/task/app.py\", line 2, in <module>\n    raise KeyError('k')\n"
    )
    assert not any("bootstrap.py" in entry for entry in body["stackTrace"])
    create(lam, "err-doc-syntax", zip_files({"app.py": "def handler(:\n"}))
    syntax = invoke(lam, "err-doc-syntax")["Body"]
    assert syntax["errorType"] == "Runtime.UserCodeSyntaxError"
    assert syntax["stackTrace"] == ['  File "/var/task/app.py" Line 1\n    def handler(:\n']
    create(lam, "err-doc-import", zip_files({"app.py": "import not_there\n"}))
    missing = invoke(lam, "err-doc-import")
    assert missing["Body"]["errorType"] == "Runtime.ImportModuleError"
    assert missing["Body"]["stackTrace"] == []
