"""What keeps the demo server to the clients it is meant for.

- Host: a loopback server is reachable from any web page through DNS
  rebinding (a name the attacker controls resolves to 127.0.0.1), but the
  browser still sends that name as Host. So a loopback-bound server answers
  only to a loopback Host (127.0.0.1, localhost, [::1], any port: `ssh -L`
  forwards keep the name but change the port) and refuses others with 421.
  `explorer serve --host 0.0.0.0` (any non-loopback address) opens the server
  up, and then every Host is served. A request without Host is served: no
  browser sends one.
- Origin: a web page may open a WebSocket to any address, and the browser
  names the page in Origin. A handshake with no Origin (explorer, the
  websockets CLI, curl) or a loopback one is accepted; any other gets 403
  before the upgrade, whatever the bound address.
- Request heads: aiohttp has no separate timeout for them, but its keep-alive
  timer does the job. It starts when the connection is made and again after
  each response, is not reset by incoming bytes, and closes the connection
  if no complete request head has arrived when it fires. `keepalive_timeout=
  HEAD_TIMEOUT` (see runner.py) therefore disconnects a client that sends part
  of a head and then nothing (or a byte now and then), and also ends
  keep-alive connections idle that long. A request being handled, a stream
  and a WebSocket are never cut by it.

Refused requests go to the event log, so the demo panel says why.
"""

from __future__ import annotations

import ipaddress
import re

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from .streaming import EventLog

HEAD_TIMEOUT = 10.0
"""Seconds a connection may take to send a complete request head (and may stay idle between requests)."""

LOOPBACK_NAMES = "127.0.0.1, localhost or [::1]"

# host[:port] as it appears in Host and after the scheme in Origin; no user info, no path.
_AUTHORITY = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\[\]:@/\\\s]*)(?::[0-9]*)?")


def is_loopback(host: str) -> bool:
    """True when `host` names only this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_authority(authority: str) -> bool:
    """True when a `host[:port]` value (IPv6 in brackets) names a loopback host."""
    match = _AUTHORITY.fullmatch(authority)
    return match is not None and is_loopback(match.group(1).strip("[]"))


def loopback_origin(origin: str) -> bool:
    """True when an Origin header names a page served from this machine."""
    scheme, sep, authority = origin.partition("://")
    return bool(sep) and scheme.lower() in ("http", "https") and loopback_authority(authority)


def request_guard(event_log: EventLog, check_host: bool) -> Middleware:
    """Middleware refusing a foreign Host (when `check_host`) and a foreign WebSocket Origin."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.headers.get("Host")
        if check_host and host is not None and not loopback_authority(host):
            _refused(event_log, request, 421, f"Host {host[:80]!r} is not loopback")
            raise web.HTTPMisdirectedRequest(
                text=f"Host {host[:80]!r} does not name this demo server: bound to loopback, it answers "
                f"only to {LOOPBACK_NAMES} (start it with --host to serve other names).\n"
            )
        origin = request.headers.get("Origin")
        upgrade = "websocket" in request.headers.get("Upgrade", "").lower()  # what aiohttp accepts, and more
        if upgrade and origin is not None and not loopback_origin(origin):
            _refused(event_log, request, 403, f"WebSocket Origin {origin[:80]!r} is not loopback")
            raise web.HTTPForbidden(
                text=f"WebSocket Origin {origin[:80]!r} is refused: the demo server accepts WebSockets "
                f"only without an Origin or from a page on {LOOPBACK_NAMES}.\n"
            )
        return await handler(request)

    return guard


def _refused(event_log: EventLog, request: web.Request, status: int, why: str) -> None:
    event_log.add(path=request.path_qs, outcome=f"refused {status}: {why}", chunks=0, bytes=0, seconds=0)
