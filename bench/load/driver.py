"""The load generator: GraphQL over HTTP with aiohttp, closed-loop or at a constant rate.

Closed loop: ``concurrency`` clients, each sends its next request when the last one answered
(throughput). Constant rate: requests start on a fixed schedule whatever the answers (an open
model); latency is counted from the *scheduled* start, so a stalled server cannot hide its queue
(no coordinated omission). The generator's own CPU time is measured and reported: on a 2-core
machine it shares the cores with the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

Request = tuple[str, dict[str, Any], str]  # document, variables, token
Check = Callable[[dict[str, Any]], str | None]  # an error text, or None when the answer is right


@dataclass
class Result:
    name: str
    mode: str
    concurrency: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    client_cpu_seconds: float = 0.0
    server_cpu_seconds: float | None = None  # the API process's CPU time during the run
    cache: dict[str, int] = field(default_factory=dict)  # answers by X-Cache: hit, miss

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mode": self.mode,
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 2),
            "requests": self.requests,
            "errors": self.errors,
            "first_error": self.first_error,
            "throughput_rps": round(self.throughput, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
            "max_ms": round(max(self.latencies_ms, default=0.0), 2),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 2) if self.latencies_ms else 0,
            "client_cpu_share": round(self.client_cpu_seconds / self.seconds, 3)
            if self.seconds
            else 0,
            "server_cpu_ms_per_request": round(self.server_cpu_seconds * 1000 / self.requests, 2)
            if self.server_cpu_seconds is not None and self.requests
            else None,
            "cache_hits": self.cache.get("hit", 0),
            "cache_misses": self.cache.get("miss", 0),
        }


class Client:
    """One aiohttp session to the API's ``/graphql``."""

    def __init__(self, base_url: str, connections: int) -> None:
        self.url = base_url.rstrip("/") + "/graphql"
        self.connections = connections
        self.session: aiohttp.ClientSession | None = None
        self.cache: Counter[str] = Counter()  # answers by X-Cache (hit, miss) from the API

    async def __aenter__(self) -> Client:
        connector = aiohttp.TCPConnector(limit=self.connections, force_close=False)
        self.session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=60)
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session is not None:
            await self.session.close()

    async def call(self, request: Request) -> dict[str, Any]:
        document, variables, token = request
        assert self.session is not None
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        body = orjson.dumps({"query": document, "variables": variables})
        async with self.session.post(self.url, data=body, headers=headers) as response:
            payload = await response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {payload[:200]!r}")
            cached = response.headers.get("x-cache")
            if cached:
                self.cache[cached] += 1
            answer: dict[str, Any] = orjson.loads(payload)
            return answer


# typed refusals that are right answers for a random actor (a resident who cannot afford the goods)
ACCEPTED_CODES = frozenset({"INSUFFICIENT_POINTS"})


def default_check(answer: dict[str, Any]) -> str | None:
    if answer.get("errors"):
        return str(answer["errors"])[:300]
    data = answer.get("data") or {}
    for value in data.values():
        if isinstance(value, dict) and value.get("errors"):
            codes = {error.get("code") for error in value["errors"]}
            if not codes <= ACCEPTED_CODES:
                return str(value["errors"])[:300]
    return None


async def _one(
    client: Client, request: Request, check: Check, result: Result, started: float
) -> None:
    try:
        answer = await client.call(request)
        problem = check(answer)
    except Exception as error:  # a failed request is counted, never raised
        problem = repr(error)[:300]
    if problem is None:
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
    else:
        result.errors += 1
        result.first_error = result.first_error or problem


async def closed_loop(
    client: Client,
    name: str,
    next_request: Callable[[], Request],
    *,
    concurrency: int,
    seconds: float,
    check: Check = default_check,
) -> Result:
    result = Result(name, "closed", concurrency, seconds)
    cache = Counter(client.cache)
    deadline = time.perf_counter() + seconds
    cpu = time.process_time()
    began = time.perf_counter()

    async def worker() -> None:
        while time.perf_counter() < deadline:
            await _one(client, next_request(), check, result, time.perf_counter())

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.cache = dict(client.cache - cache)
    result.seconds = time.perf_counter() - began
    result.client_cpu_seconds = time.process_time() - cpu
    return result


async def constant_rate(
    client: Client,
    name: str,
    next_request: Callable[[], Request],
    *,
    rate: float,
    seconds: float,
    check: Check = default_check,
) -> Result:
    """``rate`` requests per second for ``seconds``, each on its schedule."""
    result = Result(name, f"rate {rate:.0f}/s", 0, seconds)
    cache = Counter(client.cache)
    cpu = time.process_time()
    began = time.perf_counter()
    total = int(rate * seconds)
    running: set[asyncio.Task[None]] = set()
    for n in range(total):
        scheduled = began + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(_one(client, next_request(), check, result, scheduled))
        running.add(task)
        task.add_done_callback(running.discard)
        result.concurrency = max(result.concurrency, len(running))
    if running:
        await asyncio.gather(*running)
    result.cache = dict(client.cache - cache)
    result.seconds = time.perf_counter() - began
    result.client_cpu_seconds = time.process_time() - cpu
    return result


async def burst(
    client: Client,
    name: str,
    requests: list[Request],
    *,
    check: Check = default_check,
    concurrency: int | None = None,
) -> Result:
    """Send all ``requests`` at once (at most ``concurrency`` in flight)."""
    limit = asyncio.Semaphore(concurrency or len(requests))
    result = Result(name, "burst", concurrency or len(requests), 0.0)
    cache = Counter(client.cache)
    cpu = time.process_time()
    began = time.perf_counter()

    async def send(request: Request) -> None:
        async with limit:
            await _one(client, request, check, result, time.perf_counter())

    await asyncio.gather(*(send(r) for r in requests))
    result.cache = dict(client.cache - cache)
    result.seconds = time.perf_counter() - began
    result.client_cpu_seconds = time.process_time() - cpu
    return result


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def family(pid: int) -> list[int]:
    """The process and its descendants (``serve --workers N``: uvicorn's parent and workers)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                parents[int(entry)] = int(_stat(int(entry))[1])
    found = [pid]
    for member in found:
        found.extend(child for child, parent in parents.items() if parent == member)
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the API so far, all its processes (Linux /proc): what a request
    costs the server whatever else the machine is doing."""
    total = 0
    for member in family(pid):
        with contextlib.suppress(OSError):
            fields = _stat(member)
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident set size of the API's largest process, in MB (Linux /proc): the target is per
    process."""
    largest = 0.0
    for member in family(pid):
        with contextlib.suppress(OSError), open(f"/proc/{member}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]) / 1024)
    if largest == 0.0:
        raise OSError(f"process {pid} is gone")
    return largest


async def sample_rss(pid: int, every: float, samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            samples.append(rss_mb(pid))
        except OSError:  # the process is gone
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def during(
    work: Awaitable[Result], pid: int, every: float = 1.0
) -> tuple[Result, list[float]]:
    """Run ``work`` while sampling the server's RSS."""
    samples: list[float] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, every, samples, stop))
    cpu = cpu_seconds(pid)
    try:
        result = await work
    finally:
        stop.set()
        await sampler
    result.server_cpu_seconds = cpu_seconds(pid) - cpu
    return result, samples
