"""The fuzz report: markdown and a summary line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def line(summary: dict[str, Any]) -> str:
    h = summary["hostile"]
    worst = max(q["max_ms"] for q in h["queries"])
    return (
        f"fuzz: {summary['operations']} operations over {summary['fields_fuzzed']} fields, "
        f"{summary['server_errors_5xx']} server errors, {summary['internal_errors']} internal, "
        f"{summary['leaks']} leaks; hostile: {len(h['queries'])} queries, all refused: "
        f"{h['all_refused']}, median under {h['limit_ms']} ms: {h['all_under_limit']} "
        f"(worst single {worst} ms), SQL statements: "
        f"{h['statements_logged_during_hostile_queries']}; passed: {summary['passed']}"
    )


def markdown(summary: dict[str, Any], notes: str | None = None) -> str:
    m = summary["machine"]
    h = summary["hostile"]
    lines = [
        "# Fuzz run (schemathesis, GraphQL)",
        "",
        f"Command: `{summary['command']}`",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}. Two API processes on the harness's own PostgreSQL and Redis.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| generated operations sent | {summary['operations']} (target {summary['target']}) |",
        f"| query and mutation fields fuzzed | {summary['fields_fuzzed']} |",
        f"| by role | {summary['by_role']} |",
        f"| by generation mode | {summary['by_mode']} |",
        f"| HTTP statuses | {summary['statuses']} |",
        f"| answers with (typed or GraphQL) errors | {summary['answers_with_errors']} |",
        f"| **server errors (5xx)** | **{summary['server_errors_5xx']}** |",
        f"| **masked internal errors** | **{summary['internal_errors']}** |",
        f"| **bodies with a stack trace, SQL or driver text** | **{summary['leaks']}** |",
        f"| time, rate | {summary['seconds']} s, {summary['operations_per_second']} ops/s |",
        f"| real IDs in the `ID` pool | {summary['real_ids_in_pool']} |",
        f"| passed | {summary['passed']} |",
        "",
        f"## Hostile queries ({h['repeats']} variants each, as a signed-in resident)",
        "",
        f"Limit: the HTTP {h['timing']} of its variants (client-side, over loopback) and the "
        f"in-process median (the schema's own time to refuse it) under {h['limit_ms']} ms. "
        "SQL statements PostgreSQL logged while they ran: "
        f"**{h['statements_logged_during_hostile_queries']}**.",
        "",
        "| query | statuses | refused | HTTP median ms | over baseline | HTTP p95 | HTTP max "
        "| in-process median ms | in-process p95 | under limit |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for q in [h["baseline"], *h["queries"]]:
        lines.append(
            f"| {q['name']} | {q['statuses']} | {q['refused']} | {q['median_ms']} | "
            f"{q.get('median_over_baseline_ms', '')} | {q['p95_ms']} | {q['max_ms']} | "
            f"{(q.get('in_process') or {}).get('median_ms', '')} | "
            f"{(q.get('in_process') or {}).get('p95_ms', '')} | {q['under_limit']} |"
        )
    if summary["failures"]:
        lines += ["", "## Failures (first 50)", "", "```json"]
        lines.append(json.dumps(summary["failures"], ensure_ascii=False, indent=1)[:20000])
        lines.append("```")
    if notes:
        lines += ["", Path(notes).read_text(encoding="utf-8").rstrip()]
    return "\n".join(lines) + "\n"
