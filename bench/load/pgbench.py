"""The physical limit: the redeem mutation's own SQL transaction, replayed by pgbench.

:func:`script` turns one captured request (every statement the request sent, with its
parameters: the actor's lookup, savepoints, the guarded updates, the inserts, the reads that
build the response) into a pgbench script: ``BEGIN``, the same statements with their parameters
as literals, ``COMMIT``. What a new redemption makes fresh varies per transaction, derived from a
random ``:r`` (ids: ``md5(:r || k)::uuid``; the idempotency key; the pickup code), so each replay
is a new redemption of the same person and goods, as the mutation's would be. Several captured
requests (different people, communities and goods) become several scripts, picked at random.

Run with ``-M prepared`` (asyncpg prepares too). Literal text never contains a bare ``:``
(pgbench would read ``:30`` as a variable): such strings are written as ``U&'..\\003A..'``.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from bench.load.statements import Captured, fresh_uuids

PICKUP_CODE = re.compile(r"^[2-9A-HJ-NP-Z]{8}$")
PARAMETER = re.compile(r"\$(\d+)")


def _text(value: str) -> str:
    quoted = value.replace("'", "''")
    if ":" not in quoted:
        return f"'{quoted}'"
    return "U&'" + quoted.replace("\\", "\\\\").replace(":", "\\003A") + "'"


class _Renderer:
    def __init__(self, fresh: list[uuid.UUID], key: str) -> None:
        self.fresh = {value: n for n, value in enumerate(fresh)}
        self.key = key

    def uuid_expr(self, value: uuid.UUID) -> str:
        return f"md5(:r::text || 'u{self.fresh[value]}')::uuid"

    def literal(self, value: Any) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, Enum):
            return self.literal(value.value)
        if isinstance(value, int | float):
            return repr(value)
        if isinstance(value, uuid.UUID):
            return self.uuid_expr(value) if value in self.fresh else f"'{value}'"
        if isinstance(value, datetime):
            return f"to_timestamp({value.timestamp():.6f})"
        if isinstance(value, date):
            return f"'{value.isoformat()}'::date"
        if isinstance(value, list | tuple):
            inner = ",".join('"' + str(self.plain(v)).replace('"', '\\"') + '"' for v in value)
            return _text("{" + inner + "}")
        if isinstance(value, dict):
            return self.literal(json.dumps(value, ensure_ascii=False))
        if isinstance(value, str):
            return self.string(value)
        raise TypeError(f"no literal for {type(value).__name__}")

    @staticmethod
    def plain(value: Any) -> Any:
        return value.value if isinstance(value, Enum) else value

    def string(self, value: str) -> str:
        if value == self.key:
            return "('bench-' || :r::text)"
        if PICKUP_CODE.match(value):
            return "upper(substr(md5(:r::text || 'code'), 1, 8))"
        expression = _text(value)
        for fresh in self.fresh:
            if str(fresh) in value:
                expression = f"replace({expression}, '{fresh}', {self.uuid_expr(fresh)}::text)"
        return expression


def script(statements: Captured, idempotency_key: str) -> str:
    renderer = _Renderer(fresh_uuids(statements), idempotency_key)
    lines = ["\\set r random(1, 9000000000000000000)", "BEGIN;"]
    for statement, parameters in statements:
        values = list(parameters) if isinstance(parameters, list | tuple) else []

        def substitute(match: re.Match[str], values: list[Any] = values) -> str:
            return renderer.literal(values[int(match.group(1)) - 1])

        sql = PARAMETER.sub(substitute, statement)
        lines.append(" ".join(sql.split()) + ";")
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


@dataclass
class PgbenchResult:
    clients: int
    seconds: float
    transactions: int
    tps: float
    latency_ms: dict[str, float]
    failed: int
    output_tail: str


def run(
    database_url: str, scripts: list[str], *, clients: int, seconds: int, rate: float | None = None
) -> PgbenchResult:
    with tempfile.TemporaryDirectory(prefix="gridpoints-pgbench-") as folder:
        work = Path(folder)
        args = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "1"]
        args += ["-T", str(seconds), "-l", "--log-prefix", str(work / "log")]
        if rate:
            args += ["-R", str(rate)]
        for n, text in enumerate(scripts):
            path = work / f"redeem_{n}.sql"
            path.write_text(text)
            args += ["-f", str(path)]
        args.append(database_url)
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed: {done.stderr[-3000:]}")
        latencies: list[float] = []
        for log in work.glob("log*"):
            for line in log.read_text().splitlines():
                fields = line.split()
                if len(fields) >= 3 and fields[2].isdigit():
                    latencies.append(int(fields[2]) / 1000)
        latencies.sort()
        tps_match = re.search(r"tps = ([0-9.]+) \(without initial", done.stdout)
        failed_match = re.search(r"number of failed transactions: (\d+)", done.stdout)

        def pct(p: float) -> float:
            if not latencies:
                return 0.0
            return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 2)

        return PgbenchResult(
            clients=clients,
            seconds=seconds,
            transactions=len(latencies),
            tps=float(tps_match.group(1)) if tps_match else len(latencies) / seconds,
            latency_ms={"p50": pct(50), "p95": pct(95), "p99": pct(99), "max": pct(100)},
            failed=int(failed_match.group(1)) if failed_match else 0,
            output_tail=done.stdout[-600:],
        )
