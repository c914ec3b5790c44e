"""The report of a run: the machine, the figures, the violations (markdown and a summary line)."""

from __future__ import annotations

import gzip
import json
import os
import platform
import shutil
from pathlib import Path
from typing import Any

from bench.chaos.workload import Record


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0
    try:
        first = Path("/proc/meminfo").read_text().splitlines()[0]
        memory = int(first.split()[1]) // 1024 // 1024
    except (OSError, IndexError, ValueError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def retries(records: list[Record]) -> dict[str, int]:
    """Requests sent again: after no answer, or after an acknowledged one (same key and input:
    the first answer must come back; same key, other input: refused)."""
    first = {r.seq: r for r in records}
    counts = {"after_no_answer": 0, "replay_after_ack": 0, "key_reused_other_input": 0}
    for r in records:
        original = first.get(r.retry_of) if r.retry_of is not None else None
        if original is None or "idempotencyKey" not in (r.variables.get("i") or {}):
            continue
        if original.outcome != "ok":
            counts["after_no_answer"] += 1
        elif original.variables == r.variables:
            counts["replay_after_ack"] += 1
        else:
            counts["key_reused_other_input"] += 1
    return counts


def summary(result: dict[str, Any]) -> str:
    """One line of figures, then every violation (a failed CI run must say which)."""
    lines = [
        f"chaos: {result['operations']} operations ({result['outcomes']}), "
        f"{result['faults_injected']} faults injected, "
        f"{result['violation_count']} violations"
    ]
    for name, found in result["violations"].items():
        lines.extend(f"  violation ({name}): {v}" for v in found)
    return "\n".join(lines)


def markdown(result: dict[str, Any], notes: str | None) -> str:
    m = result["machine"]
    lines = [
        "# Chaos run (bank test)",
        "",
        f"Command: `{result['command']}`",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}; PostgreSQL {result['servers']['postgresql']}, "
        f"{result['servers']['api_processes']} API processes, one Redis.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| duration | {result['duration_s']} s |",
        f"| clients | {result['clients']} |",
        f"| operations (requests) | {result['operations']} |",
        f"| outcomes | {result['outcomes']} |",
        f"| faults injected | {result['faults_injected']} |",
        f"| requests sent again with their idempotency key | {result.get('retries', {})} |",
        f"| API restarts after kill -9 | {result['api_restarts']} |",
        f"| outbox events written during the run | {result['events']['during_run']} |",
        f"| ... heard by a live Redis subscriber | "
        f"{result['events']['heard_by_live_subscriber']} |",
        f"| ... unpublished after the drain | {result['events']['unpublished_after_drain']} |",
        f"| redemptions at the end, by state | {result['redemptions_by_state']} |",
        f"| grants held by the run's joint meetings | {result['grants_held_during_run']} |",
        f"| **violations** | **{result['violation_count']}** |",
        "",
        "## Operations",
        "",
        "`ok`: acknowledged; `typed`: a typed refusal; `error`: top-level error or non-200 "
        "(indeterminate); `fail`: no answer (indeterminate).",
        "",
        "| operation | ok | typed | error | fail |",
        "|---|---|---|---|---|",
    ]
    for op, counts in result["by_operation"].items():
        lines.append(
            f"| {op} | {counts.get('ok', 0)} | {counts.get('typed', 0)} | "
            f"{counts.get('error', 0)} | {counts.get('fail', 0)} |"
        )
    lines += ["", "## Faults", "", "| at (s) | fault | target | took (s) |", "|---|---|---|---|"]
    for fault in result["faults"]:
        lines.append(
            f"| {fault['at_s']} | {fault['kind']} | {fault['target']} | {fault['took_s']} |"
        )
    lines += ["", "## Checks", ""]
    for name, found in result["violations"].items():
        lines.append(f"- **{name}**: {len(found)} violations")
        lines += [f"  - {v}" for v in found[:20]]
    if notes:
        lines += ["", Path(notes).read_text(encoding="utf-8").rstrip()]
    return "\n".join(lines) + "\n"


def write(prefix: Path, result: dict[str, Any], notes: str | None) -> None:
    """``<prefix>.json`` and ``<prefix>.md``."""
    write_files(prefix, result, markdown(result, notes))


def write_files(prefix: Path, result: dict[str, Any], text: str) -> None:
    prefix.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{prefix}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    Path(f"{prefix}.md").write_text(text)


def compress(path: Path) -> None:
    """``history.jsonl`` -> ``history.jsonl.gz`` (a few MB of JSON lines compress tenfold)."""
    with path.open("rb") as plain, gzip.open(f"{path}.gz", "wb") as packed:
        shutil.copyfileobj(plain, packed)
    path.unlink()
