#!/usr/bin/env bash
# The load benchmark in one command: `bench/load/run.sh [--smoke] [options]` (see README,
# "Benchmarks"). Installs what it needs into .venv (the dev and bench extras); PostGraphile comes
# from npm into bench/load/peer when the peer comparison runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-python3}"
test -x .venv/bin/python || "$PYTHON" -m venv .venv
if ! { .venv/bin/python -c 'import aiohttp, httpx, api' 2>/dev/null && test -x .venv/bin/py-spy; }; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev,bench]'
fi
exec env PYTHONPATH=. .venv/bin/python -m bench.load "$@"
