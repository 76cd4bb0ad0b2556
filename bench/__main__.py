"""``python -m bench``: the same as ``python bench/run.py``."""

import sys

from .suite import main

sys.exit(main())
