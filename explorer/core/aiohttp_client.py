"""The everyday HTTP client: aiohttp (its C parser is fast), with wire stamps and exactly one attempt.

Bodies are read as sent (`auto_decompress` off) and decoded in `decoding.py`,
the same way for every mode. A protocol subclass stamps each socket read
that carries body bytes, so first and last byte mean the wire whatever a mode
does with the bytes. Every hop gets a fresh connection, so its phases are its own.

Proxies follow `proxy.py`'s rules, not aiohttp's (`trust_env` stays off):
an http:// target goes to the proxy in absolute form, an https:// one
through a CONNECT tunnel. aiohttp traces neither the proxy's DNS nor the
CONNECT, so DNS is marked by the resolver, and connect spans the proxy
connection, the tunnel and TLS.
"""

from __future__ import annotations

import asyncio
import socket
from time import perf_counter
from typing import Any, Awaitable, Callable

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.client_proto import ResponseHandler
from aiohttp.http_exceptions import LineTooLong
from aiohttp.resolver import DefaultResolver
from yarl import URL

from .body import ByteReader
from .context import StreamContext
from .errors import TRAILERS, StreamError, header_cap_error
from .headers import header_values, wire_text
from .parser_errors import forward_parser_errors
from .proxy import proxy_to_use
from .request import DEFAULT_MAX_HEADER_SIZE, StreamRequest
from .response_head import Head


class StampingHandler(ResponseHandler):
    """aiohttp's protocol, noting when socket reads brought the head and body bytes (perf_counter),
    and holding the head and the trailers to the header cap.

    aiohttp caps one header line and the number of fields, not a block's
    bytes: 4,000 fields of 50 KB were parsed (slowly, into memory) as one
    head. Here the bytes before the head completes, and the bytes after it
    that bring no body (chunk framing, then trailers), may not pass `cap`.
    Past it the connection is closed, the body read so far stays readable,
    and `cap_error` says why.
    """

    head_at: float | None = None  # the read that completed the response head
    first_byte: float | None = None
    last_byte: float | None = None
    cap_error: StreamError | None = None
    cap = DEFAULT_MAX_HEADER_SIZE
    _seen = 0
    _overhead = 0  # head bytes so far, then the bytes since the body last grew that were not body

    def data_received(self, data: bytes) -> None:
        if self.cap_error is not None:
            return
        t = perf_counter()
        before = self._payload
        super().data_received(data)
        payload = self._payload if self._payload is not None else before  # the read that ended a body clears it
        if payload is None:
            self._overhead += len(data)
            if self._overhead > self.cap:
                self._stop(header_cap_error(self.cap), None)
            return
        grew = payload.total_bytes - self._seen
        if self.head_at is None:
            self.head_at = t
            self._overhead = len(data) - grew - _head_end(data)  # the head fitted: count what follows it
        elif grew:
            self._overhead = max(0, len(data) - grew)  # a resumed parser feeds held bytes with no new data
        else:
            self._overhead += len(data)
        if grew:
            self._seen = payload.total_bytes
            self.last_byte = t
            if self.first_byte is None:
                self.first_byte = t
        # With the body's buffer full, aiohttp's parser holds the rest of the read (at most one read: the
        # transport is paused too) and feeds it as body later: not bytes past the cap.
        if self._overhead > self.cap and not self._reading_paused:
            self._stop(header_cap_error(self.cap, TRAILERS), payload)

    def _stop(self, error: StreamError, payload: aiohttp.StreamReader | None) -> None:
        """Stop reading at a cap: a waiting head gets the error, a body ends where it is (`cap_error` says why)."""
        self.cap_error = error
        if payload is None:
            self.set_exception(error)
        else:
            payload.feed_eof()
            self._payload, self._parser, self._payload_parser = None, None, None  # nothing more to parse
        if self.transport is not None:
            self.transport.close()


def _head_end(data: bytes) -> int:
    """Where the head that ends in `data` ends (the blank line after the fields)."""
    ends = [at + len(mark) for mark in (b"\r\n\r\n", b"\n\n") if (at := data.find(mark)) >= 0]
    return min(ends) if ends else 0


class AiohttpHop:
    """One request and response on aiohttp: the head, the body as sent, and the wire stamps."""

    informational: list[Head] = []  # aiohttp's parser drops 1xx responses
    trailers: list[tuple[str, str]] | None = None  # and trailers
    exchange = None

    def __init__(self, resp: aiohttp.ClientResponse, t: float, handler: StampingHandler | None) -> None:
        self._resp = resp
        self._handler = handler
        version = f"{resp.version.major}.{resp.version.minor}" if resp.version else ""
        headers = [(wire_text(name), wire_text(value)) for name, value in resp.raw_headers]
        self.head = Head(resp.status, wire_text(resp.reason or ""), version, headers, t)
        self.url = str(resp.url)
        self.content: ByteReader = resp.content
        forward_parser_errors(resp)

    @property
    def first_byte(self) -> float | None:
        return self._handler.first_byte if self._handler is not None else None

    @property
    def error(self) -> StreamError | None:
        """Why the body ended early though it read as complete (a cap passed after the head)."""
        return self._handler.cap_error if self._handler is not None else None

    @property
    def last_byte(self) -> float | None:
        return self._handler.last_byte if self._handler is not None else None

    def abort(self) -> None:
        self._resp.close()

    def release(self) -> None:
        self._resp.close()


class AiohttpClient:
    """A session for one stream's hops."""

    def __init__(self, request: StreamRequest, ctx: StreamContext) -> None:
        self.request, self.ctx = request, ctx
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=request.connect_timeout,
                                        sock_read=request.idle_timeout)
        self._resolver = MarkingResolver(ctx)
        connector = aiohttp.TCPConnector(force_close=True, resolver=self._resolver)
        connector._factory = self._new_handler  # type: ignore[assignment]
        self._loop = asyncio.get_running_loop()
        self._handler: StampingHandler | None = None
        self.session = aiohttp.ClientSession(
            timeout=timeout, auto_decompress=False, trace_configs=[phase_tracer(ctx)], connector=connector,
            trust_env=False,  # proxy.py's rules decide the proxy, not aiohttp's reading of the environment
            max_line_size=request.max_header_size, max_field_size=request.max_header_size,
            max_headers=request.max_header_size // 4,  # the byte cap governs, not a count
        )
        self.session._retry_connection = False  # one request means one request (aiohttp resends GETs once)

    async def send(self, url: URL, method: str, headers: list[tuple[str, str]], body: bytes | None) -> AiohttpHop:
        ssl = self.request.ssl_context()
        proxy = proxy_to_use(self.request, url)
        via: dict[str, Any] = {}
        if proxy is not None:
            via["proxy"] = proxy.url
            if proxy.authorization and url.scheme == "https":  # on the CONNECT request
                via["proxy_headers"] = {"Proxy-Authorization": proxy.authorization}
            elif proxy.authorization and not header_values(headers, "Proxy-Authorization"):
                headers = [*headers, ("Proxy-Authorization", proxy.authorization)]  # on the request itself
        try:
            resp = await self.session.request(method, url, headers=headers or None, data=body,
                                              ssl=True if ssl is None else ssl, allow_redirects=False, **via)
        except aiohttp.ClientHttpProxyError as error:
            assert proxy is not None
            raise proxy.refused(error.status, wire_text(error.message)) from None
        except aiohttp.ClientProxyConnectionError as error:
            assert proxy is not None
            raise proxy.unreachable(error.os_error) from None
        except aiohttp.ClientConnectorDNSError as error:
            if proxy is None:
                raise
            raise proxy.unresolved(str(error.os_error.strerror or error.os_error)) from None
        except aiohttp.ClientResponseError as error:
            cause = error.__cause__
            if isinstance(cause, LineTooLong) or isinstance(getattr(cause, "__cause__", None), LineTooLong):
                raise header_cap_error(self.request.max_header_size) from None
            raise
        handler = self._handler
        at = handler.head_at if handler is not None and handler.head_at is not None else perf_counter()
        return AiohttpHop(resp, at - self.ctx.t0, handler)

    def _new_handler(self) -> StampingHandler:
        """The protocol for a new connection; with one connection per hop, the newest is this hop's."""
        self._handler = StampingHandler(loop=self._loop)
        self._handler.cap = self.request.max_header_size
        return self._handler

    async def close(self) -> None:
        await self.session.close()
        await self._resolver.close()


class MarkingResolver(AbstractResolver):
    """aiohttp's default resolver, marking DNS on the stream context: also for a proxy's host, which
    aiohttp resolves without trace hooks. IP literals never reach a resolver, so they mark no DNS."""

    def __init__(self, ctx: StreamContext) -> None:
        self._ctx = ctx
        self._resolver = DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        self._ctx.mark("dns_start")
        addresses = await self._resolver.resolve(host, port, family)
        self._ctx.mark("dns_end")
        return addresses

    async def close(self) -> None:
        await self._resolver.close()


def phase_tracer(ctx: StreamContext) -> aiohttp.TraceConfig:
    """aiohttp hooks that note connect and request-sent times on the stream context (DNS: `MarkingResolver`)."""
    trace = aiohttp.TraceConfig()
    hooks = {
        "connect_start": trace.on_connection_create_start,
        "connect_end": trace.on_connection_create_end,
        "sent": trace.on_request_headers_sent,
    }
    for phase, signal in hooks.items():
        signal.append(_marker(ctx, phase))

    async def headers_sent(session: object, context: object, params: aiohttp.TraceRequestHeadersSentParams) -> None:
        ctx.sent_headers = list(params.headers.items())  # what aiohttp wrote, Host and Content-Length included

    trace.on_request_headers_sent.append(headers_sent)
    return trace


def _marker(ctx: StreamContext, phase: str) -> Callable[[object, object, object], Awaitable[None]]:
    async def mark(session: object, context: object, params: object) -> None:
        ctx.mark(phase)
    return mark
