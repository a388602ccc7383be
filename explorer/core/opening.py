"""Opening an HTTP stream: session, timeouts, the response record and the mode's reader."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass
from time import perf_counter
from typing import AsyncIterator

import aiohttp

from .clock import Clock
from .errors import StreamError
from .modes import HTTP_MODES, HttpMode
from .modes.auto import mode_for_content_type
from .parser_errors import forward_parser_errors
from .record import Record
from .request import StreamRequest


@dataclass
class OpenResponse:
    """A response whose headers arrived: its record and the reader for its body."""

    resp: aiohttp.ClientResponse
    record: Record
    reader: HttpMode

    def records(self, clock: Clock, request: StreamRequest) -> AsyncIterator[Record]:
        return self.reader(self.resp, clock, request)

    def check_status(self) -> None:
        """After the body: an HTTP error status becomes the stream's error."""
        if self.resp.status >= 400:
            reason = f" {self.resp.reason}" if self.resp.reason else ""
            raise StreamError("http_status", f"The server answered HTTP {self.resp.status}{reason}.")


def response_headers(resp: aiohttp.ClientResponse) -> dict[str, str]:
    """Headers as sent (repeated names joined with ', ')."""
    merged: dict[str, str] = {}
    for name, value in resp.raw_headers:
        key, text = name.decode("latin-1"), value.decode("latin-1")
        merged[key] = f"{merged[key]}, {text}" if key in merged else text
    return merged


def phase_tracer(clock: Clock) -> aiohttp.TraceConfig:
    """aiohttp hooks that note DNS, connect and request-sent times on the clock."""
    trace = aiohttp.TraceConfig()
    hooks = {
        "dns_start": trace.on_dns_resolvehost_start,
        "dns_end": trace.on_dns_resolvehost_end,
        "connect_start": trace.on_connection_create_start,
        "connect_end": trace.on_connection_create_end,
        "sent": trace.on_request_headers_sent,
    }
    for phase, signal in hooks.items():
        signal.append(_marker(clock, phase))
    return trace


def _marker(clock: Clock, phase: str):  # type: ignore[no-untyped-def]
    async def mark(session: object, context: object, params: object) -> None:
        clock.mark(phase)
    return mark


def remaining(request: StreamRequest, clock: Clock) -> float | None:
    """Seconds left before max time, for the phase before there is anything to abort."""
    return None if request.max_time is None else max(0.0, request.max_time - clock.now())


@asynccontextmanager
async def open_http(request: StreamRequest, clock: Clock) -> AsyncIterator[OpenResponse | None]:
    """Send the request and yield the open response (None if max time ran out first).

    No total timeout (streams can be endless): only connect and between-reads
    limits. zlib mode and --raw read the bytes as sent.
    """
    raw_bytes = request.raw or request.mode == "zlib"
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=request.connect_timeout, sock_read=request.idle_timeout)
    ssl = request.ssl_context()
    async with aiohttp.ClientSession(timeout=timeout, auto_decompress=not raw_bytes,
                                     trace_configs=[phase_tracer(clock)]) as session:
        clock.t0 = perf_counter()  # the request is sent next
        try:
            async with asyncio.timeout(remaining(request, clock)):
                resp = await session.request(
                    request.method,
                    request.url,
                    headers=request.headers or None,
                    data=request.body,
                    ssl=True if ssl is None else ssl,
                )
        except TimeoutError:
            if request.max_time is None:
                raise
            clock.expired = True
            yield None
            return
        async with resp:
            forward_parser_errors(resp)
            content_type = resp.headers.get("Content-Type", "")
            mode = request.mode if request.mode != "auto" else mode_for_content_type(content_type)
            record = clock.record("response", clock.now(), 0, None, {
                "status": resp.status,
                "reason": resp.reason or "",
                "http_version": f"{resp.version.major}.{resp.version.minor}" if resp.version else "",
                "headers": response_headers(resp),
                "url": str(resp.url),
                "mode": mode,
            })
            clock.abort = resp.close
            clock.mark("headers")
            yield OpenResponse(resp, record, HTTP_MODES["any" if resp.status >= 400 else mode])
