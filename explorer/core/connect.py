"""Opening a TCP connection ourselves, so DNS and connect are phases we mark: shared by the wire-level
HTTP client and the WebSocket client (aiohttp marks its own through trace hooks and its resolver).

Through an HTTP proxy the phases are the proxy's: DNS resolves the proxy's
host and connect runs from connecting to it to the tunnel (and TLS) being up.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl

import h11
from yarl import URL

from .context import StreamContext
from .errors import StreamError, connect_failure, header_cap_error, host_port
from .headers import wire_text
from .proxy import Proxy, proxy_to_use
from .request import StreamRequest

TUNNEL_READ = 4096  # bytes per read of the proxy's answer to CONNECT (the head is capped, not each read)


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


async def connect_socket(host: str, port: int, ctx: StreamContext, proxy: Proxy | None = None) -> socket.socket:
    """Resolve `host` (marking DNS unless it is an IP literal) and connect to the first address that answers.

    With `proxy` (whose host and port these are), failures are sentences about the proxy.
    """
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
        reason = error.strerror or "no address"
        if proxy is not None:
            raise proxy.unresolved(reason) from None
        raise StreamError("dns", f"Could not resolve host '{host}': {reason}.") from None
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
    failure = failure or OSError("no usable address")
    raise proxy.unreachable(failure) if proxy is not None else connect_failure(host, port, failure)


async def connect_via(request: StreamRequest, host: str, port: int, ctx: StreamContext, *,
                      scheme: str | None = None) -> socket.socket:
    """A socket connected to `host:port`: directly, or through the request's HTTP proxy with a CONNECT tunnel.

    `scheme` (default: the request URL's) picks the proxy as `proxy_for` does
    (http and ws take http_proxy, https and wss https_proxy). Every scheme
    tunnels, plain ws:// too: what the caller writes next is the server's
    business, not the proxy's. TLS, when wanted, goes on top of the socket.
    """
    if scheme is None:
        scheme = URL(request.url).scheme
    target = URL.build(scheme=scheme, host=host, port=port)
    proxy = proxy_to_use(request, target)
    if proxy is None:
        return await connect_socket(host, port, ctx)
    sock = await connect_socket(proxy.host, proxy.port, ctx, proxy)
    try:
        await open_tunnel(sock, target.raw_host or host, port, proxy, request)
    except BaseException:
        sock.close()
        raise
    return sock


async def open_tunnel(sock: socket.socket, host: str, port: int, proxy: Proxy, request: StreamRequest) -> None:
    """Ask the proxy on `sock` for a tunnel to `host:port` (CONNECT) and return once it is open.

    The proxy's answer is parsed by h11 and its head held to the request's
    header cap; anything but a 2xx is the proxy refusing, in one sentence.
    """
    loop = asyncio.get_running_loop()
    authority = host_port(host, port)
    conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=request.max_header_size)
    fields = [("Host", authority)]
    if proxy.authorization:
        fields.append(("Proxy-Authorization", proxy.authorization))
    out = conn.send(h11.Request(method="CONNECT", target=authority, headers=fields))
    out += conn.send(h11.EndOfMessage())
    await loop.sock_sendall(sock, out)
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as error:
            raise _tunnel_error(proxy, error, request.max_header_size) from None
        if event is h11.NEED_DATA:
            data = await loop.sock_recv(sock, TUNNEL_READ)
            if not data:
                raise StreamError("proxy", f"The proxy {proxy.where} closed the connection without answering "
                                           f"CONNECT {authority}.")
            conn.receive_data(data)
        elif isinstance(event, h11.Response):
            if not 200 <= event.status_code < 300:
                raise proxy.refused(event.status_code, wire_text(event.reason))
            if conn.trailing_data[0]:
                raise StreamError("proxy", f"The proxy {proxy.where} sent bytes of its own after opening the "
                                           "tunnel, before the server could answer.")
            return


def _tunnel_error(proxy: Proxy, error: h11.RemoteProtocolError, cap: int) -> StreamError:
    text = str(error)
    if "receive buffer" in text.lower() or "too long" in text.lower():
        return header_cap_error(cap, f"The proxy {proxy.where}'s answer to CONNECT")
    return StreamError("proxy", f"The proxy {proxy.where} answered CONNECT with malformed HTTP: "
                                f"{' '.join(text.split()).rstrip('.')}.")
