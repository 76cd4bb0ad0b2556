"""Run the benchmark suite: ``python bench/run.py [--quick]`` from the repository root
(or ``python -m bench``).  See docs/performance.md."""

import sys
from pathlib import Path


def _main() -> int:
    if not __package__:
        # Run as a script: bench/ is on sys.path, the repository root (bench's parent) is not.
        sys.path[0] = str(Path(__file__).resolve().parent.parent)
    from bench.suite import main

    return main()


if __name__ == "__main__":
    sys.exit(_main())
