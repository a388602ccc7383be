"""ws: a WebSocket via `websockets`, one `message` record per text or binary message.

explorer resolves the host and connects the socket itself, then hands the
socket to `websockets` (`sock=`, TLS on top of it for wss), so the handshake
has the phases of an HTTP request: DNS, connect (TCP and TLS), request sent
(the instant the handshake request was written to the socket) and headers
(the instant the handshake response was parsed). Proxy variables are ignored
(`proxy=None`): the explorer talks to what it is pointed at. Redirects of the
handshake are reported, not followed, as browsers do.

A message's `size` is its payload in bytes (UTF-8 for text), and the totals
count the messages received. A body (`-d`) is sent as the first message, text
when it is valid UTF-8, else binary, and shows as a message record flagged
OUTGOING; it has its own seq and stays out of the totals, gaps and TTFB.
Messages over `request.max_message` bytes make websockets close with 1009,
reported as such (see errors.py). A close with 1000/1001 ends the stream
cleanly and the code and reason land in the `end` record; any other code
becomes an error record.
"""

from __future__ import annotations

import asyncio
import functools
from contextlib import asynccontextmanager
from time import perf_counter
from typing import Any, AsyncIterator, cast

from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, InvalidStatus, InvalidURI
from websockets.protocol import CLOSING, Event
from yarl import URL

from ..connect import connect_socket, tls_context
from ..context import StreamContext
from ..errors import StreamError, host_port, without_credentials
from ..opened import Opened
from ..record import Flag, Kind, Record, Response
from ..request import StreamRequest


def websocket_url(url: str) -> str:
    """http(s) URLs map to ws(s) so a person can paste either."""
    parsed = URL(url)
    scheme = {"http": "ws", "https": "wss"}.get(parsed.scheme, parsed.scheme)
    return str(parsed.with_scheme(scheme))


class TimedConnection(ClientConnection):
    """A client connection that marks the handshake's phases on the stream context.

    `connection_made` runs once the transport is ready, after the TLS handshake
    for wss; the first `send_data` writes the handshake request; the first
    event processed is the parsed handshake response.
    """

    def __init__(self, protocol: ClientProtocol, *, ctx: StreamContext, **kwargs: Any) -> None:
        super().__init__(protocol, **kwargs)
        self._ctx = ctx
        self._sent = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._ctx.mark("connect_end")

    def send_data(self) -> None:
        super().send_data()
        if not self._sent:
            self._sent = True
            self._ctx.mark("sent")
        if self.protocol.state is CLOSING and (self.connection_exc or self.protocol.parser_exc):
            # Failing (explorer just sent 1002, 1007 or 1009): read on to the server's EOF. When
            # recv() fails on a queued message (too many fragments, invalid UTF-8), websockets
            # leaves reading paused by the full queue and would wait out close_timeout.
            self.transport.resume_reading()

    def process_event(self, event: Event) -> None:
        first = self.response is None
        super().process_event(event)
        if first:
            self._ctx.mark("headers")


def _timeout_error(ctx: StreamContext, url: URL, limit: float | None) -> StreamError:
    """What the connect timeout cut short, from the phases already marked."""
    where = host_port(url.host or "", url.port or 0)
    within = "in time" if limit is None else f"within the {limit:g} s connect timeout"  # None: TLS's own timeout
    if "connect_end" not in ctx.marks:
        return StreamError("connect_timeout", f"Could not connect to {where} {within}.")
    return StreamError("connect_timeout", f"The server at {where} accepted the connection but did not answer the "
                                          f"WebSocket handshake {within}.")


def _redirect_error(exc: Exception) -> StreamError | None:
    """websockets cannot follow a redirect on a socket it was handed (ValueError), nor to a URL that
    is not ws or wss (InvalidURI); either way, say what the server answered."""
    status = exc.__cause__ or exc.__context__
    if not isinstance(status, InvalidStatus):
        return None
    response = status.response
    reason = f" {response.reason_phrase}" if response.reason_phrase else ""
    location = without_credentials(response.headers.get("Location", ""))
    return StreamError("ws_redirect", f"The WebSocket handshake was redirected: the server answered HTTP "
                                      f"{response.status_code}{reason} to {location}; explorer does not follow "
                                      "WebSocket redirects (browsers do not either).")


WS_QUEUE = 4  # frames websockets queues ahead of us: at most this many messages of --max-message held


async def _handshake(request: StreamRequest, ctx: StreamContext, url: str) -> ClientConnection:
    """DNS, connect, TLS and the opening handshake, all within the connect timeout."""
    parsed = URL(url)
    secure = parsed.scheme == "wss"
    kwargs: dict[str, Any] = {}
    if secure:
        kwargs = {"ssl": tls_context(request), "server_hostname": parsed.host}
    factory = cast(type[ClientConnection], functools.partial(TimedConnection, ctx=ctx))
    try:
        async with asyncio.timeout(request.connect_timeout):
            sock = await connect_socket(parsed.host or "", parsed.port or (443 if secure else 80), ctx)
            try:
                return await connect(
                    url,
                    sock=sock,
                    proxy=None,
                    additional_headers=request.headers or None,
                    open_timeout=None,
                    max_size=request.max_message,
                    max_queue=WS_QUEUE,
                    ping_interval=None,
                    create_connection=factory,
                    **kwargs,
                )
            except BaseException:
                sock.close()
                raise
    except TimeoutError:
        raise _timeout_error(ctx, parsed, request.connect_timeout) from None
    except (ValueError, InvalidURI) as exc:
        redirect = _redirect_error(exc)
        if redirect is None:
            raise
        raise redirect from None


@asynccontextmanager
async def open_websocket(request: StreamRequest, ctx: StreamContext) -> AsyncIterator[Opened | None]:
    """Connect and yield the open stream: its response record and its messages (None if max time ran out)."""
    url = websocket_url(request.url)
    ctx.start_clock()
    async with ctx.until_deadline():
        ws = await _handshake(request, ctx, url)
    if ctx.expired:
        yield None
        return
    async with ws:
        response = ws.response
        record = ctx.record(Kind.RESPONSE, ctx.now(), value=Response(
            status=response.status_code if response else 101,
            reason=response.reason_phrase if response else "Switching Protocols",
            http_version="1.1",
            headers={k: v for k, v in response.headers.raw_items()} if response else {},
            url=without_credentials(url),
            mode="ws",
            started_at=ctx.started_at,
        ))
        ctx.abort = ws.transport.abort
        try:
            yield Opened(record, _messages(ws, ctx, request.idle_timeout, request.body))
        finally:
            ctx.abort = None
        ctx.mode_summary["close_code"] = ws.close_code
        ctx.mode_summary["close_reason"] = ws.close_reason


async def _messages(ws: ClientConnection, ctx: StreamContext, idle: float | None,
                    body: bytes | None) -> AsyncIterator[Record]:
    t0, seq, last, total, first = ctx.t0, 0, 0.0, 0, None
    timing, message_kind = ctx.timing, Kind.MESSAGE
    unsent = None
    try:
        if body is not None:
            try:
                yield await _send_body(ws, t0, body)
            except ConnectionClosed as closed:  # the server closed first: read what it sent, then say so
                unsent = closed
        while True:
            if idle is None:
                message = await ws.recv()
            else:
                async with asyncio.timeout(idle):
                    message = await ws.recv()
            t = perf_counter() - t0
            gap = t - last
            if isinstance(message, str):
                data = message.encode()
                size = len(data)
                yield Record(message_kind, seq, t, gap, size, data, None, timing.note(gap, seq))
            else:
                data = bytes(message)
                size = len(data)
                yield Record(message_kind, seq, t, gap, size, data, None, Flag.BINARY | timing.note(gap, seq))
            first = t if first is None else first
            seq += 1
            total += size
            last = t
    except ConnectionClosedOK:
        if unsent is not None:
            code = f" (code {unsent.rcvd.code})" if unsent.rcvd is not None else ""
            raise StreamError("ws_body_not_sent", f"The server closed the WebSocket{code} before explorer could "
                                                  "send the body.") from None
    except TimeoutError:
        if seq:
            raise StreamError("idle_timeout", f"The WebSocket went silent: no message for {idle:g} s (the idle "
                                              f"timeout) after {seq:,} message{'s' if seq > 1 else ''}.") from None
        raise StreamError("ttfb_timeout", f"The WebSocket opened, then no message arrived within the {idle:g} s "
                                          "idle timeout.") from None
    finally:
        ctx.tally(seq, total, first, last)


async def _send_body(ws: ClientConnection, t0: float, body: bytes) -> Record:
    """Send the request body as the first message: text when it is UTF-8, else binary."""
    try:
        await ws.send(body.decode())
        flags = Flag.OUTGOING
    except UnicodeDecodeError:
        await ws.send(body)
        flags = Flag.OUTGOING | Flag.BINARY
    t = perf_counter() - t0
    return Record(Kind.MESSAGE, 0, t, t, len(body), body, None, flags)
