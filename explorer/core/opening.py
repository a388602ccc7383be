"""Opening an HTTP stream: session, timeouts, the response record and the mode's reader."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator, Awaitable, Callable

import aiohttp

from .context import StreamContext
from .errors import StreamError
from .modes import REGISTRY
from .modes.auto import mode_for_content_type
from .opened import Opened
from .parser_errors import forward_parser_errors
from .record import Kind, Response
from .request import StreamRequest


def http_status_error(resp: aiohttp.ClientResponse) -> Callable[[], None]:
    """After the body: an HTTP error status becomes the stream's error."""
    def check() -> None:
        if resp.status >= 400:
            reason = f" {resp.reason}" if resp.reason else ""
            raise StreamError("http_status", f"The server answered HTTP {resp.status}{reason}.")
    return check


def response_headers(resp: aiohttp.ClientResponse) -> dict[str, str]:
    """Headers as sent (repeated names joined with ', ')."""
    merged: dict[str, str] = {}
    for name, value in resp.raw_headers:
        key, text = name.decode("latin-1"), value.decode("latin-1")
        merged[key] = f"{merged[key]}, {text}" if key in merged else text
    return merged


def phase_tracer(ctx: StreamContext) -> aiohttp.TraceConfig:
    """aiohttp hooks that note DNS, connect and request-sent times on the stream context."""
    trace = aiohttp.TraceConfig()
    hooks = {
        "dns_start": trace.on_dns_resolvehost_start,
        "dns_end": trace.on_dns_resolvehost_end,
        "connect_start": trace.on_connection_create_start,
        "connect_end": trace.on_connection_create_end,
        "sent": trace.on_request_headers_sent,
    }
    for phase, signal in hooks.items():
        signal.append(_marker(ctx, phase))
    return trace


def _marker(ctx: StreamContext, phase: str) -> Callable[[object, object, object], Awaitable[None]]:
    async def mark(session: object, context: object, params: object) -> None:
        ctx.mark(phase)
    return mark


@asynccontextmanager
async def open_http(request: StreamRequest, ctx: StreamContext) -> AsyncIterator[Opened | None]:
    """Send the request and yield the open response (None if max time ran out first).

    No total timeout (streams can be endless): only connect and between-reads
    limits. zlib mode and --raw read the bytes as sent.
    """
    raw_bytes = request.raw or REGISTRY[request.mode].raw_bytes
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=request.connect_timeout, sock_read=request.idle_timeout)
    ssl = request.ssl_context()
    async with aiohttp.ClientSession(timeout=timeout, auto_decompress=not raw_bytes,
                                     trace_configs=[phase_tracer(ctx)]) as session:
        ctx.start_clock()
        async with ctx.until_deadline():
            resp = await session.request(
                request.method,
                request.url,
                headers=request.headers or None,
                data=request.body,
                ssl=True if ssl is None else ssl,
            )
        if ctx.expired:
            yield None
            return
        async with resp:
            forward_parser_errors(resp)
            content_type = resp.headers.get("Content-Type", "")
            mode = request.mode if request.mode != "auto" else mode_for_content_type(content_type)
            record = ctx.record(Kind.RESPONSE, ctx.now(), value=Response(
                status=resp.status,
                reason=resp.reason or "",
                http_version=f"{resp.version.major}.{resp.version.minor}" if resp.version else "",
                headers=response_headers(resp),
                url=str(resp.url),
                mode=mode,
                started_at=ctx.started_at,
            ))
            ctx.abort = resp.close
            ctx.mark("headers")
            reader = REGISTRY["any" if resp.status >= 400 else mode].reader()
            yield Opened(record, reader(resp, ctx, request), http_status_error(resp))
