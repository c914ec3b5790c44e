"""The committed ``schema.graphql`` is the schema the code builds."""

from __future__ import annotations

from pathlib import Path

from schema.sdl import sdl

COMMITTED = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_schema_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == sdl(), (
        "schema.graphql is stale: run `make schema` and commit the result"
    )
