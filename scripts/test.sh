#!/usr/bin/env bash
# Set up (first time), then check lint, the import contracts and types, and run the whole test suite offline on
# the CPU with two workers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache        # the layer rule and the import contracts in pyproject.toml
.venv/bin/mypy                            # strict type check of previs/ (pyproject.toml)
exec .venv/bin/python -m pytest -n "${PREVIS_TEST_WORKERS:-2}" -p no:cacheprovider "$@"
