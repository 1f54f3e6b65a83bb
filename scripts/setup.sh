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
wanted="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16) $torch_spec $extras"
if [ "$(cat .venv/.previs-installed 2>/dev/null)" != "$wanted" ]; then
  echo "installing previs and its dependencies into .venv (first run takes a few minutes)..." >&2
  # shellcheck disable=SC2086  # PREVIS_TORCH may hold pip options, e.g. --index-url
  .venv/bin/python -m pip install --quiet --disable-pip-version-check $torch_spec
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".$extras"
  echo "$wanted" > .venv/.previs-installed
fi
# The browser tests drive Debian's Chromium through Playwright (never Playwright's own browser download).
if [ "$purpose" = test ] && ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing chromium for the browser tests (apt-get)..." >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
      || echo "could not install chromium with apt-get: the browser tests will be skipped" >&2
  else
    echo "chromium is missing and cannot be installed here (needs root and apt-get):" \
         "the browser tests will be skipped; install Debian's chromium package to run them" >&2
  fi
fi
