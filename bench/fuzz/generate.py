"""One worker process of the fuzz: generate cases with schemathesis (hypothesis-graphql) for an
operation, send each to an API process as one role, and judge the answer.

An answer fails when the status is 5xx, when an error carries ``extensions.code == "INTERNAL"``
(an unexpected exception, masked: a bug all the same), or when the body shows something only
the server should know: a stack trace, SQL, the driver's or the ORM's name, a source path.
"""

from __future__ import annotations

import base64
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.graphql import nodes

LEAKS = (
    "Traceback",
    'File "',
    "asyncpg",
    "sqlalchemy",
    "psycopg",
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "DELETE FROM",
    "site-packages",
    "/work/",
    '.py"',
    "Background on this error",
)
EXCLUDED_FOR_SIGNED_IN = {"Mutation.signOut", "Mutation.passwordChange"}  # they end the session


@dataclass
class Setup:
    urls: list[str]
    tokens: dict[str, str | None]  # role -> bearer token (None: anonymous)
    ids: list[str]  # real global IDs of the seeded data


@dataclass
class JobResult:
    label: str
    role: str
    mode: str
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    typed_or_graphql_errors: int = 0
    internal: int = 0
    leaks: int = 0
    server_errors: int = 0
    seconds: float = 0.0
    failures: list[dict[str, Any]] = field(default_factory=list)


_setup: Setup | None = None
_schema: Any = None
_client: httpx.Client | None = None


def gid(type_name: str, local: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{local}".encode()).decode().rstrip("=")


def init(setup: Setup) -> None:
    """Per worker process: the schema from the server's introspection, real IDs for ``ID``."""
    global _setup, _schema, _client
    _setup = setup
    ids = st.sampled_from(setup.ids) if setup.ids else st.text(max_size=40)
    garbage = st.text(max_size=60)
    schemathesis.graphql.scalar("ID", st.one_of(ids, ids, ids, garbage).map(nodes.String))
    _schema = schemathesis.graphql.from_url(setup.urls[0] + "/graphql")
    _client = httpx.Client(timeout=30)


def labels() -> list[str]:
    assert _schema is not None
    return [result.ok().label for result in _schema.get_all_operations()]


def _judge(result: JobResult, body: str, response: httpx.Response) -> None:
    result.sent += 1
    result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
    text = response.text
    problems: list[str] = []
    if response.status_code >= 500:
        result.server_errors += 1
        problems.append(f"status {response.status_code}")
    if '"INTERNAL"' in text:
        result.internal += 1
        problems.append("internal error")
    leaked = [leak for leak in LEAKS if leak in text and leak not in body]
    if leaked:
        result.leaks += 1
        problems.append(f"leaks {leaked}")
    if '"errors"' in text:
        result.typed_or_graphql_errors += 1
    if problems and len(result.failures) < 3:
        result.failures.append({"problems": problems, "query": body[:2000], "answer": text[:2000]})


def run_job(label: str, role: str, mode: str, examples: int, job_seed: int) -> JobResult:
    """Up to ``examples`` generated operations of ``label`` sent as ``role``."""
    assert _setup is not None
    assert _schema is not None
    assert _client is not None
    setup, client = _setup, _client
    operation = next(r.ok() for r in _schema.get_all_operations() if r.ok().label == label)
    generation = GenerationMode.NEGATIVE if mode == "negative" else GenerationMode.POSITIVE
    result = JobResult(label, role, mode)
    token = setup.tokens[role]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.monotonic()

    @seed(job_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=generation))
    def probe(case: Any) -> None:
        body = case.body if isinstance(case.body, str) else str(case.body)
        url = random.choice(setup.urls) + "/graphql"
        try:
            response = client.post(url, json={"query": body}, headers=headers)
        except httpx.HTTPError as error:
            result.server_errors += 1
            result.failures.append({"problems": [repr(error)], "query": body[:2000]})
            return
        _judge(result, body, response)

    probe()
    result.seconds = time.monotonic() - started
    return result
