"""Relay plumbing: the ``Node`` interface, opaque global IDs and keyset connections."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from services.errors import DomainError, ErrorCode
from services.pagination import DEFAULT_FIRST, Page

T = TypeVar("T")
M = TypeVar("M")


@strawberry.interface(description="An object with a globally unique, opaque ID.")
class Node:
    id: strawberry.ID


def to_global_id(type_name: str, local_id: uuid.UUID) -> strawberry.ID:
    raw = f"{type_name}:{local_id}".encode()
    return strawberry.ID(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def from_global_id(global_id: str) -> tuple[str, uuid.UUID]:
    """Decode an ID; anything malformed is ``INVALID_ID``."""
    try:
        if len(global_id) > 200:
            raise ValueError("too long")
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, local = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        return type_name, uuid.UUID(local)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise DomainError(ErrorCode.INVALID_ID, field="id") from error


def decode_id(global_id: str, type_name: str, *, field: str) -> uuid.UUID:
    """The local id of a global ID that must name a ``type_name``."""
    try:
        kind, local = from_global_id(global_id)
    except DomainError as error:
        raise DomainError(ErrorCode.INVALID_ID, field=field) from error
    if kind != type_name:
        raise DomainError(ErrorCode.INVALID_ID, field=field)
    return local


def decode_optional_id(global_id: str | None, type_name: str, *, field: str) -> uuid.UUID | None:
    return decode_id(global_id, type_name, field=field) if global_id else None


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type(description="A page of a list, by keyset pagination (``first``/``after``).")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @strawberry.field(description="The nodes of this page, without the edges.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def connection(page: Page[M], convert: Callable[[M], T]) -> Connection[T]:
    edges = [
        Edge(node=convert(item), cursor=c) for item, c in zip(page.items, page.cursors, strict=True)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
    )


FIRST_DEFAULT = DEFAULT_FIRST
