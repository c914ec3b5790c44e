#!/usr/bin/env bash
# The GraphQL fuzz in one command: `bench/fuzz/run.sh [--smoke] [options]` (see README,
# "Benchmarks"). Starts its own PostgreSQL, Redis and two API processes; never the machine's.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-python3}"
test -x .venv/bin/python || "$PYTHON" -m venv .venv
if ! .venv/bin/python -c 'import httpx, api, schemathesis' 2>/dev/null; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev,bench]'
fi
exec env PYTHONPATH=. .venv/bin/python -m bench.fuzz "$@"
