# Sourced by the other scripts: make .venv with Python >= 3.11 and install snaplambda
# into it (with the extras named in $SNAPLAMBDA_EXTRAS), skipping the install when
# nothing it depends on changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

pick_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3 \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[1-9]*/bin/python3; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  echo "snaplambda needs Python >= 3.11; none found (set PYTHON=/path/to/python3.11)" >&2
  return 1
}

# The environment sandbox runs on bubblewrap (Debian's package); setpriv (util-linux)
# drops to each function's uid.  Installed where this is root on a Debian-like system;
# without it the platform runs environments unsandboxed and says so (docs/security.md).
if ! command -v bwrap >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing bubblewrap for the environment sandbox" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq bubblewrap >/dev/null 2>&1; } \
    || echo "could not install bubblewrap: environments will run unsandboxed" >&2
fi

if [ ! -x .venv/bin/python ]; then
  python="$(pick_python)"
  "$python" -m venv .venv
fi
extras="${SNAPLAMBDA_EXTRAS:-}"
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras:-none}"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ -n "$extras" ]; then
    .venv/bin/python -m pip install --quiet -e ".[$extras]"
  else
    .venv/bin/python -m pip install --quiet -e .
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
