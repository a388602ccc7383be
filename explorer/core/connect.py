"""Opening a TCP connection ourselves, so DNS and connect are phases we mark: shared by the wire-level
HTTP client and the WebSocket client (aiohttp marks its own through trace hooks)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl

from .context import StreamContext
from .errors import StreamError, connect_failure
from .request import StreamRequest


def tls_context(request: StreamRequest) -> ssl.SSLContext:
    """A TLS context for the request: its own CA file, or the defaults, unverified with --insecure."""
    context = request.ssl_context()
    if isinstance(context, ssl.SSLContext):
        return context
    context = ssl.create_default_context()
    if request.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def connect_socket(host: str, port: int, ctx: StreamContext) -> socket.socket:
    """Resolve `host` (marking DNS unless it is an IP literal) and connect to the first address that answers."""
    loop = asyncio.get_running_loop()
    try:
        ipaddress.ip_address(host)
        literal = True
    except ValueError:
        literal = False
    if not literal:
        ctx.mark("dns_start")
    try:
        addresses = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise StreamError("dns", f"Could not resolve host '{host}': {error.strerror or 'no address'}.") from None
    if not literal:
        ctx.mark("dns_end")
    ctx.mark("connect_start")
    failure: OSError | None = None
    for family, kind, proto, _, address in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, address)
            return sock
        except OSError as error:
            sock.close()
            failure = error
        except BaseException:
            sock.close()
            raise
    raise connect_failure(host, port, failure or OSError("no usable address"))
