"""Which address a request comes from, for sign-in throttling and the audit log.

X-Forwarded-For is written by whoever sends the request, so it is believed only when the
connecting peer is one of `console.trusted_proxies`. Each proxy appends the address it saw,
so the chain is read from the right: trusted proxies are skipped and the first address that is
not one of ours is the client. Anything to the left of it came from the client and may be
invented. With no trusted proxies configured (the default) the peer address is the client.

uvicorn's own proxy-header rewriting is switched off (`console.server`): it would replace the
peer address before this code could check whether the peer is a proxy at all.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from pydantic import IPvAnyNetwork
from starlette.requests import Request

UNKNOWN = "unknown"
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse(value: str) -> _Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: _Address, proxies: Sequence[IPvAnyNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], proxies: Sequence[IPvAnyNetwork]
) -> str:
    """The client's address given the connecting peer and the X-Forwarded-For header values."""
    if not peer:
        return UNKNOWN
    current = _parse(peer)
    if current is None or not _trusted(current, proxies):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # A proxy writes addresses only, so this came from the client side of the chain:
            # the last proxy that handed it on is as far as the chain can be believed.
            break
        current = address
        if not _trusted(address, proxies):
            break
    return str(current)


def client_of(request: Request) -> str:
    proxies = request.app.state.settings.console.trusted_proxies
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"), proxies)
