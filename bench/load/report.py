"""The run's report: JSON (everything) and markdown (the figures a reader wants)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

REPORTS = Path(__file__).resolve().parent.parent / "reports"


def machine() -> dict[str, Any]:
    def first(command: list[str]) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False).stdout
        except OSError:
            return ""

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(int(memory) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": first(["psql", "--version"]).strip(),
        "pgbench": first(["pgbench", "--version"]).strip(),
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def write(name: str, data: dict[str, Any]) -> tuple[Path, Path]:
    REPORTS.mkdir(parents=True, exist_ok=True)
    json_path = REPORTS / f"{name}.json"
    md_path = REPORTS / f"{name}.md"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    md_path.write_text(markdown(data))
    return json_path, md_path


def _without_output(pgbench: dict[str, Any]) -> dict[str, Any]:
    """pgbench's figures without its printed output (the JSON report keeps it)."""
    return {
        key: {k: v for k, v in value.items() if k != "output_tail"}
        if isinstance(value, dict)
        else value
        for key, value in pgbench.items()
    }


def _row(result: dict[str, Any]) -> str:
    return (
        f"| {result['name']} | {result['mode']} | {result['concurrency']} | "
        f"{result['throughput_rps']} | {result['p50_ms']} | {result['p95_ms']} | "
        f"{result['p99_ms']} | {result['errors']}/{result['requests']} | "
        f"{result['client_cpu_share']} | {result.get('server_cpu_ms_per_request') or ''} | "
        f"{_cache(result)} |"
    )


def _cache(result: dict[str, Any]) -> str:
    hits, misses = result.get("cache_hits", 0), result.get("cache_misses", 0)
    return f"{hits / (hits + misses):.0%}" if hits + misses else ""


def markdown(data: dict[str, Any]) -> str:
    lines = [
        f"# Load benchmark: {data['mode']} run",
        "",
        f"Started {data['started']}, {data['seconds']:.0f} s. Command: `{data['command']}`",
        "",
        "## Machine",
        "",
        *(f"- {key}: {value}" for key, value in data["machine"].items()),
        f"- load average (1/5/15 min) at start {data['load_start']}, at end {data['load_end']}"
        " (whatever else runs shares these 2 cores: compare ratios measured in the same run)",
        "",
        "## Data",
        "",
        f"- city: {data['size']}",
        f"- seeded in {data.get('seed_seconds', 'n/a (reused)')} s"
        + (f"; the city's own seed: {data['seed']}" if data.get("seed") else ""),
        f"- the API's background worker: {data.get('api_worker', 'on')}",
        f"- API processes (`gridpoints serve --workers`): {data.get('api_processes', 1)}",
        f"- read into the OS cache before the run (pg_prewarm): {data.get('prewarmed_mb')} MB",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *(
            f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |"
            for t in data["targets"]
        ),
        "",
        "## Scenarios (HTTP GraphQL against `gridpoints serve`)",
        "",
        "| scenario | mode | conc. | req/s | p50 ms | p95 ms | p99 ms | errors | client CPU "
        "| API CPU ms/req | cache hits |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *(_row(r) for r in data["scenarios"]),
        "",
        "`client CPU` is the load generator's own CPU time per second of wall time. "
        "`API CPU ms/req` is the API process's CPU time (user + system) per request during the "
        "scenario: what a request costs the server, whatever else shares the cores (all its "
        "processes). `cache hits`: answers the response cache gave (`X-Cache: hit`), of those "
        "it could have.",
        "",
        "## Physical limit (pgbench, same SQL transaction, same concurrency, same run)",
        "",
        "```json",
        json.dumps(_without_output(data.get("pgbench", {})), indent=2, ensure_ascii=False),
        "```",
        "",
        "## Peer (PostGraphile v4, same database, same run)",
        "",
        "```json",
        json.dumps(data.get("peer", {}), indent=2, ensure_ascii=False),
        "```",
        "",
        "## SQL statements per request",
        "",
        "| request | items | statements | savepoint statements |",
        "|---|---|---|---|",
        *(
            f"| {s['request']} | {s['items']} | {s['statements']} | {s['savepoint_statements']} |"
            for s in data["statements"]
        ),
        "",
        "## Claim storm",
        "",
        "```json",
        json.dumps(data.get("storm", {}), indent=2, ensure_ascii=False),
        "```",
        "",
        "## Memory (RSS of the one API process)",
        "",
        "```json",
        json.dumps(
            {k: v for k, v in data.get("memory", {}).items() if k != "samples"},
            indent=2,
            ensure_ascii=False,
        ),
        "",
        "(every RSS sample is in the JSON report)",
        "```",
    ]
    if data.get("profile"):
        lines += ["", "## Profile (py-spy, redeem under load: top frames by own samples)", ""]
        lines += ["```", *data["profile"], "```"]
    if data.get("notes"):
        lines += ["", "## Notes", "", *data["notes"]]
    return "\n".join(lines) + "\n"
