#!/usr/bin/env bash
# Install snaplambda into .venv and run the demo: the embedded platform deploys the
# bundled example, invokes it cold then warm, prints the log lines and a table, and
# keeps serving until Ctrl-C (pass --once to exit after the table).
source "$(dirname "$0")/_venv.sh"
exec .venv/bin/snaplambda demo "$@"
