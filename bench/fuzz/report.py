"""The fuzz report: markdown and a summary line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def line(summary: dict[str, Any]) -> str:
    h = summary["hostile"]
    if h is None:
        return f"fuzz (edges only): {edge_line(summary['edges'])}; passed: {summary['passed']}"
    worst = max(q["max_ms"] for q in h["queries"])
    return (
        f"fuzz: {summary['operations']} operations over {summary['fields_fuzzed']} fields, "
        f"{summary['server_errors_5xx']} server errors, {summary['internal_errors']} internal, "
        f"{summary['leaks']} leaks; hostile: {len(h['queries'])} queries, all refused: "
        f"{h['all_refused']}, median under {h['limit_ms']} ms: {h['all_under_limit']} "
        f"(worst single {worst} ms), SQL statements: "
        f"{h['statements_logged_during_hostile_queries']}; "
        + (edge_line(summary["edges"]) + "; " if "edges" in summary else "")
        + f"passed: {summary['passed']}"
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
    ]
    if "edges" in summary:
        e = summary["edges"]
        lines.insert(
            -1,
            f"| edge-input cases (below) | {e['cases']}, violations **{e['violations']}**, "
            f"server log problems **{e['server_log_problems']}** |",
        )
    if h is not None:
        lines += _hostile(summary, h)
    if "edges" in summary:
        lines += ["", *edge_markdown(summary["edges"])]
    if notes:
        lines += ["", Path(notes).read_text(encoding="utf-8").rstrip()]
    return "\n".join(lines) + "\n"


def _hostile(summary: dict[str, Any], h: dict[str, Any]) -> list[str]:
    lines = [
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
    return lines


CLASSES = ("surrogate", "nul", "calendar", "reversed", "deep", "body", "encoding", "path", "ws")


def edge_line(edges: dict[str, Any]) -> str:
    return (
        f"edges: {edges['cases']} cases over {edges['fields']} fields and {edges['routes']} "
        f"routes, {edges['violations']} violations, {edges['server_log_problems']} server log "
        f"problems; passed: {edges['passed']}"
    )


def edge_markdown(edges: dict[str, Any]) -> list[str]:
    """The edge-input section: cases, outcomes and violations per class, then per target."""
    lines = [
        "## Edge input (issue 13, item 6; `bench/fuzz/edges.py`, `edge_routes.py`)",
        "",
        f"{edges['cases']} cases over {edges['fields']} GraphQL fields (queries, mutations, "
        f"subscriptions) and {edges['routes']} routes in {edges['seconds']} s. A violation: "
        'HTTP 5xx, a dropped connection, an `INTERNAL` code or "Internal server error" in an '
        "answer, an error without a code, an edge value answered with data and no error "
        "(surrogate, nul, calendar, reversed, deep, encoding), a socket closed 1006/1011 or with "
        "a code the protocol does not name, a socket left open where a close was due. Server log "
        "lines with a traceback or an error record "
        f"while they ran: **{edges['server_log_problems']}**.",
        "",
        "| class | cases | outcomes | answered with data, no error | violations |",
        "|---|---|---|---|---|",
    ]
    for cls in [c for c in CLASSES if c in edges["by_class"]]:
        lines.append(
            f"| {cls} | {edges['by_class'][cls]} | {edges['outcomes_by_class'].get(cls, {})} | "
            f"{edges['accepted_by_class'].get(cls, 0)} | "
            f"**{edges['violations_by_class'].get(cls, 0)}** |"
        )
    lines += [
        f"| **all** | **{edges['cases']}** | | | **{edges['violations']}** |",
        "",
        "Error codes per class (the most common; GraphQL errors' and payloads' typed errors):",
        "",
    ]
    for cls, codes in edges["error_codes_by_class"].items():
        lines.append(f"- {cls}: {codes}")
    lines += ["", "Every reversed range and what it was refused with:", ""]
    lines += [f"- `{r}`" for r in edges.get("reversed_ranges", [])]
    if edges["accepted_samples"]:
        lines += ["", "Answered with data and no error (first 8 per class; not violations):", ""]
        for cls, samples in edges["accepted_samples"].items():
            lines += [f"- {cls}: " + "; ".join(f"`{s}`" for s in samples)]
    lines += [
        "",
        "### Cases per field and route",
        "",
        "| target | " + " | ".join(CLASSES) + " |",
        "|---|" + "---|" * len(CLASSES),
    ]
    for target, counts in edges["by_target"].items():
        cells = " | ".join(str(counts.get(c, "")) for c in CLASSES)
        lines.append(f"| `{target}` | {cells} |")
    if edges["first_violations"] or edges["first_server_log_problems"]:
        lines += ["", "### Violations (first 60) and server log problems (first 30)", "", "```json"]
        shown = {"violations": edges["first_violations"], "log": edges["first_server_log_problems"]}
        lines.append(json.dumps(shown, ensure_ascii=True, indent=1)[:30000])
        lines.append("```")
    return lines
