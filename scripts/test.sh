#!/usr/bin/env bash
# Set up (first time) and run the whole test suite, offline, on the CPU, two workers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -n "${PREVIS_TEST_WORKERS:-2}" -p no:cacheprovider "$@"
