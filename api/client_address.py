"""Who the client is: the TCP peer, unless that peer is one of our own proxies.

Per-client limits (sign-in attempts today) key on this address, so a client must not be able to
choose it. ``X-Forwarded-For`` is read only when the peer is in ``GRIDPOINTS_TRUSTED_PROXIES``
(default: none), and then from the right: each hop a trusted proxy appended is skipped until the
first address that is not a trusted proxy, which is the client as our outermost proxy saw it.
Whatever a client wrote to the left of that is never read. ``X-Real-IP`` and ``Forwarded`` are
never read (a proxy that sets only those leaves the peer as the client): honouring several headers
would let a client pick whichever one the proxy does not overwrite.

:class:`ClientAddressMiddleware` applies :func:`client_address` once to every HTTP and WebSocket
connection, so ``request.client`` is the client everywhere (GraphQL, photos, downloads...). Uvicorn
is told not to rewrite it (``proxy_headers=False`` in ``gridpoints serve``): one layer decides.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
TrustedProxies = tuple[Network, ...]

UNKNOWN = "unknown"


def parse_trusted_proxies(value: str) -> TrustedProxies:
    """``"10.0.0.5, 172.16.0.0/12, ::1"``: IPs and CIDRs, comma-separated; ``""`` trusts none.

    Raises ValueError naming the entry that is neither."""
    networks: list[Network] = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as error:
            raise ValueError(f"not an IP address or CIDR: {entry!r}") from error
    return tuple(networks)


def _address(text: str) -> Address | None:
    """An IP from a header hop or a peer: ``1.2.3.4``, ``1.2.3.4:80``, ``::1``, ``[::1]:80``."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address | None, proxies: TrustedProxies) -> bool:
    return address is not None and any(address in network for network in proxies)


def client_address(peer: str | None, headers: Headers, proxies: TrustedProxies) -> str:
    """The client's address, from the TCP ``peer``, the request ``headers`` and our proxies."""
    if not peer:
        return UNKNOWN
    if not _trusted(_address(peer), proxies):
        return peer
    client = peer
    for hop in reversed(_hops(headers.getlist("x-forwarded-for"))):
        address = _address(hop)
        if address is None:  # garbage: stop at the last address a trusted proxy vouched for
            break
        client = str(address)
        if not _trusted(address, proxies):
            break
    return client


def _hops(values: Iterable[str]) -> list[str]:
    return [hop for value in values for hop in value.split(",") if hop.strip()]


def client_of(connection: HTTPConnection) -> str:
    """The client of a request or WebSocket (already resolved by the middleware)."""
    return connection.client.host if connection.client else UNKNOWN


class ClientAddressMiddleware:
    """Sets ``scope["client"]`` (and, behind a trusted proxy, ``scope["scheme"]``) once."""

    def __init__(self, app: ASGIApp, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.proxies:
            scope = self._resolved(scope)
        await self.app(scope, receive, send)

    def _resolved(self, scope: Scope) -> Scope:
        peer = scope.get("client")
        if not peer or not _trusted(_address(str(peer[0])), self.proxies):
            return scope
        headers = Headers(scope=scope)
        resolved: dict[str, Any] = dict(scope)
        host = client_address(str(peer[0]), headers, self.proxies)
        resolved["client"] = (host, 0 if host != peer[0] else peer[1])
        proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
        if proto in ("http", "https"):
            secure = proto == "https"
            if scope["type"] == "websocket":
                resolved["scheme"] = "wss" if secure else "ws"
            else:
                resolved["scheme"] = proto
        return resolved
