#!/usr/bin/env bash
# Install snaplambda with its test extras into .venv, then run lint, type checks and
# the whole test suite (extra arguments go to pytest).
SNAPLAMBDA_EXTRAS=test source "$(dirname "$0")/_venv.sh"
.venv/bin/ruff check .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
