"""(c) Warm throughput: many keep-alive connections invoking the no-op at once.

The load comes from a separate process (:mod:`bench.loadgen`), so client and server
each get a CPU when they need one; on a 2-core machine they still share both cores
with the function environments, which is part of what is being measured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from .. import procs
from ..loadgen import LoadResult
from ..packages import BENCH_DIR


@dataclass(frozen=True)
class ThroughputResult:
    function: str
    load: LoadResult
    environments: int
    """Environments of the function alive after the run (one per concurrent invoke)."""


def run(
    port: int,
    server_pid: int,
    function: str,
    connections: int,
    seconds: float,
    warmup_s: float,
) -> ThroughputResult:
    argv = [
        sys.executable, "-m", "bench.loadgen",
        "--port", str(port), "--server-pid", str(server_pid), "--function", function,
        "--connections", str(connections), "--seconds", str(seconds), "--warmup", str(warmup_s),
    ]  # fmt: skip
    root = str(BENCH_DIR.parent)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        argv, cwd=root, env=env, capture_output=True, text=True, timeout=warmup_s + seconds + 90
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed ({done.returncode}):\n{done.stderr}")
    load = LoadResult.from_json(json.loads(done.stdout))
    return ThroughputResult(function, load, len(procs.environments(server_pid, function)))
