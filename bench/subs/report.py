"""The report of a run: ``<prefix>.json`` (every figure) and ``<prefix>.md`` (the same, read)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.chaos.report import machine, write_files

__all__ = ["machine", "markdown", "summary", "write"]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f} ms"


def summary(result: dict[str, Any]) -> str:
    e, t = result["events"], result["targets"]
    missed = [name for name, target in t.items() if not target["met"]]
    return (
        f"subs: {result['clients']['count']} clients, {result['clients']['acked']} acked, "
        f"{e['due']} deliveries due, {e['missing']} missing, {e['duplicated']} duplicated; "
        f"readyz non-200 {result['readyz']['not_200']}; query p99 x"
        f"{result['queries']['p99_ratio']}; "
        f"RSS {result['rss_mib']['idle']} -> {result['rss_mib']['open']} MiB "
        f"(peak {result['rss_mib']['peak']}); "
        + ("every target met" if not missed else f"MISSED: {', '.join(missed)}")
    )


def markdown(result: dict[str, Any], notes: str | None) -> str:
    m, c, e = result["machine"], result["clients"], result["events"]
    q, r, rss = result["queries"], result["readyz"], result["rss_mib"]
    lines = [
        "# Live subscriptions (issue 13, item 1)",
        "",
        f"Command: `{result['command']}`",
        "",
        f"Code: `{result['code']}`. Machine: {m['cpu']}, {m['cores']} cores, "
        f"{m['memory_gib']} GiB, Linux {m['kernel']}, Python {m['python']}; load average before "
        f"the run {result['load_before']}. PostgreSQL {result['servers']['postgresql']}, one "
        "Redis, **one API process** (`gridpoints serve`, `GRIDPOINTS_WORKERS=1`, worker on), "
        f"server settings: `{result['servers']['settings']}`.",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for name, target in result["targets"].items():
        lines.append(f"| {name} | {target['measured']} | {'yes' if target['met'] else '**no**'} |")
    lines += [
        "",
        "## Figures",
        "",
        "| figure | value |",
        "|---|---|",
        f"| clients (WebSockets) | {c['count']}: {c['people']} residents, up to "
        f"{c['tabs_per_person']} tabs each, in {c['processes']} client process(es) "
        f"({c['loop']}) |",
        f"| subscriptions (the web app's 6 per socket) | {c['subscriptions']} |",
        f"| sockets acknowledged / refused or failed | {c['acked']} / {c['failed']} "
        f"{c['failures'] or ''} |",
        f"| sockets that heard the warm-up stock change | {c.get('heard_warm_up')} |",
        f"| connect to ack, p50 / p99 | {_ms(c['ack_p50_s'])} / {_ms(c['ack_p99_s'])} |",
        f"| connecting all (ramp {c['ramp_per_s']}/s) | {c['connect_s']} s |",
        f"| event mutations sent / refused | {e['mutations']} / {e['mutations_refused']} |",
        f"| outbox events during the run | {e['outbox_events']} |",
        f"| deliveries due / delivered | {e['due']} / {e['delivered']} |",
        f"| missing / duplicated / late (> {e['late_s']} s) | {e['missing']} / "
        f"{e['duplicated']} / {e['late']} |",
        f"| deliveries of earlier events (not counted) | {e['unexpected']} |",
        f"| latency, answer to delivery: p50 / p99 / max | {_ms(e['latency_p50_s'])} / "
        f"{_ms(e['latency_p99_s'])} / {_ms(e['latency_max_s'])} |",
        f"| events phase / settle | {e['events_s']} s / {e['settle_s']} s |",
        f"| deliveries per second (events and settle) / API CPU per delivery | "
        f"{e['deliveries_per_s']} / {e['api_cpu_ms_per_delivery']} ms |",
        f"| `/readyz` probes / non-200 / slowest | {r['samples']} / {r['not_200']} / "
        f"{_ms(r['max_s'])} |",
        f"| ... answers / the server's log | {r['statuses']} / {r.get('server_says') or '-'} |",
        f"| first `/readyz` non-200 at / subscriptions sent by then | "
        f"{r['first_not_200_at_s']} s / {r['subscriptions_sent_then']} |",
        f"| ordinary queries idle: n, p50 / p99 | {q['idle']['n']}, {_ms(q['idle']['p50_s'])} / "
        f"{_ms(q['idle']['p99_s'])} |",
        f"| ... sockets open, events flowing: n, p50 / p99 | {q['loaded']['n']}, "
        f"{_ms(q['loaded']['p50_s'])} / {_ms(q['loaded']['p99_s'])} |",
        f"| ... failed (non-200 or errors) | {q['failed']} |",
        f"| API RSS idle / sockets open / peak | {rss['idle']} / {rss['open']} / {rss['peak']} "
        "MiB |",
        f"| ... per socket | {result['rss_kib_per_socket']} KiB |",
        f"| API CPU: idle / connecting / events | {result['cpu']['api']} |",
        f"| client process CPU: connecting / events | {result['cpu']['clients']} |",
        f"| Redis connections (max) / pub/sub channels (max) | "
        f"{result['redis']['connected_clients_max']} / {result['redis']['pubsub_channels_max']} |",
        "",
        "## Deliveries by subscription",
        "",
        "| subscription | due | delivered | missing | duplicated | late |",
        "|---|---|---|---|---|---|",
    ]
    for name, s in sorted(e["by_field"].items()):
        lines.append(
            f"| {name} | {s.get('due', 0)} | {s.get('delivered', 0)} | {s.get('missing', 0)} | "
            f"{s.get('duplicated', 0)} | {s.get('late', 0)} |"
        )
    if e["examples"] or e["refused_examples"] or c["failure_examples"]:
        lines += ["", "## Examples of what went wrong", ""]
        lines += [f"- {x}" for x in c["failure_examples"] + e["refused_examples"] + e["examples"]]
    if notes:
        lines += ["", Path(notes).read_text(encoding="utf-8").rstrip()]
    return "\n".join(lines) + "\n"


def write(prefix: Path, result: dict[str, Any], notes: str | None) -> None:
    write_files(prefix, result, markdown(result, notes))
