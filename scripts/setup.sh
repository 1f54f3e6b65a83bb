#!/usr/bin/env bash
# Create .venv and install previs into it. Quick when nothing changed (a stamp records what was installed).
# Usage: scripts/setup.sh app|test
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:?usage: scripts/setup.sh app|test}
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "previs needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
extras=$([ "$purpose" = test ] && echo "[test]" || echo "")
# torch: the CPU build 2.13.0 by default; a GPU machine sets PREVIS_TORCH, e.g. "torch==2.13.0" from the CUDA index.
torch_spec=${PREVIS_TORCH:-torch==2.13.0}
base="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16) $torch_spec"
wanted="$base $extras"
installed=$(cat .venv/.previs-installed 2>/dev/null || true)
# The test extras add to the app's: a .venv set up for the tests serves the app as it is, so switching between
# scripts/app.sh and scripts/test.sh installs nothing.
if [ "$installed" != "$wanted" ] && [ "$installed" != "$base [test]" ]; then
  if [ -z "$installed" ]; then
    echo "installing previs and its dependencies into .venv (the first run takes about 3 minutes)..." >&2
  else
    echo "updating .venv: previs's dependencies or extras changed..." >&2
  fi
  # shellcheck disable=SC2086  # PREVIS_TORCH may hold pip options, e.g. --index-url
  .venv/bin/python -m pip install --quiet --disable-pip-version-check $torch_spec
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".$extras"
  echo "$wanted" > .venv/.previs-installed
fi
[ "$purpose" = test ] || exit 0
# Debian packages the tests need, installed with apt-get when missing and we may (root and apt-get).
debian_package() {  # the package, a command that succeeds when it is there, what is lost without it
  if eval "$2"; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing $1 for the tests (apt-get)..." >&2
    { [ -n "${apt_updated:-}" ] || apt-get update -qq; } && apt_updated=1 \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null \
      || echo "could not install $1 with apt-get: $3" >&2
  else
    echo "$1 is missing and cannot be installed here (needs root and apt-get): $3;" \
         "install Debian's $1 package to run them" >&2
  fi
}
# The browser tests drive Debian's Chromium through Playwright (never Playwright's own browser download).
debian_package chromium "command -v chromium >/dev/null" "the browser tests will be skipped"
# The storage, consent, ledger and concurrency tests also run on a throw-away PostgreSQL cluster made with the
# server's initdb and pg_ctl (tests/postgres_support.py); Debian keeps them in /usr/lib/postgresql/<version>/bin.
debian_package postgresql "command -v initdb >/dev/null || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null" \
  "the PostgreSQL tests will be skipped (and fail where CI is set)"
