"""ws: a WebSocket via `websockets`: the messages received and sent, and the control frames, as records.

explorer resolves the host and connects the socket itself, then hands the
socket to `websockets` (`sock=`, TLS on top of it for wss), so the handshake
has the phases of an HTTP request: DNS, connect (TCP and TLS), request sent
(the instant the handshake request was written to the socket) and headers
(the instant the handshake response was parsed). Through a proxy (proxy.py)
the socket is a CONNECT tunnel, for ws as for wss. Redirects of the
handshake are reported, not followed, as browsers do. `--subprotocol`s are
offered in the handshake; the response's headers say which one the server chose.

A message's `size` is its payload in bytes (UTF-8 for text), and the totals
count the messages received. While the stream reads, explorer sends: the body
(`-d`) first, then each `--send` message, `--send-interval` seconds apart,
then whatever the run's `Outgoing` (ws_outgoing.py) hands in (the app's send
box). A message is sent as text when it is valid UTF-8, else binary, and
shows as a message record flagged OUTGOING, stamped the instant the send
returned, with its own seq; sent messages stay out of the totals, gaps and
TTFB. A body or `--send` message the server closed the WebSocket before is
an error.

Pings, pongs and the close frame received are `control` records, stamped when
websockets processed them; it answers pings itself, and its pong and close
reply are `control` records flagged OUTGOING. Messages over
`request.max_message` bytes make websockets close with 1009, reported as such
(see errors.py). A close with 1000/1001 ends the stream cleanly and the code
and reason land in the `end` record; any other code becomes an error record.
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from contextlib import asynccontextmanager
from time import perf_counter
from typing import Any, AsyncIterator, cast

from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, InvalidStatus, InvalidURI
from websockets.frames import CTRL_OPCODES, Close, Frame, Opcode
from websockets.protocol import CLOSING, Event
from websockets.typing import Subprotocol
from yarl import URL

from ..connect import connect_via, tls_context
from ..context import StreamContext
from ..errors import StreamError, host_port, without_credentials
from ..opened import Opened
from ..proxy import describe_proxy
from ..record import Flag, Kind, Record, Response, SentRequest
from ..request import StreamRequest
from ..secrets import expand, expand_bytes, shown_headers
from .ws_outgoing import current_outgoing


def websocket_url(url: str) -> str:
    """http(s) URLs map to ws(s) so a person can paste either."""
    parsed = URL(url)
    scheme = {"http": "ws", "https": "wss"}.get(parsed.scheme, parsed.scheme)
    return str(parsed.with_scheme(scheme))


# -- one open WebSocket's records, in order -------------------------------------


class Traffic:
    """One open WebSocket's records in the order the stream yields them.

    The reader task adds the messages received, the sender task the messages
    sent, and `process_event` the control frames, each the instant it is
    stamped. A control frame is held until the messages before it on the wire
    have been received, so a close frame comes after the last message even
    when the reader is behind. Its stamp stays when websockets processed it,
    so it can be a little earlier than the stamp of the message before it,
    taken when recv returned that message.
    """

    def __init__(self) -> None:
        self.ready: deque[Record] = deque()
        self.wake = asyncio.Event()  # set when `ready` gains a record or the stream ends
        self.held: deque[tuple[int, Record]] = deque()  # control records, each behind how many messages
        self.framed = 0  # messages whose last frame websockets has processed
        self.received = 0  # messages the reader has taken
        self.ended: BaseException | None = None  # why the stream ended: ConnectionClosed, a timeout, a fault
        self.done = False

    def add(self, record: Record) -> None:
        self.ready.append(record)
        self.wake.set()

    def control(self, record: Record) -> None:
        self.held.append((self.framed, record))
        self.release()

    def release(self) -> None:
        """Move the control records whose messages have all been received to `ready` (all once done)."""
        held, ready = self.held, self.ready
        while held and (self.done or held[0][0] <= self.received):
            ready.append(held.popleft()[1])
        self.wake.set()

    def finish(self, reason: BaseException | None) -> None:
        """The stream ends (the first reason given is the one kept): what is held goes out."""
        if not self.done:
            self.done, self.ended = True, reason
            self.release()


class TimedConnection(ClientConnection):
    """A client connection that marks the handshake's phases and records control frames.

    `connection_made` runs once the transport is ready, after the TLS handshake
    for wss; the first `send_data` writes the handshake request; the first
    event processed is the parsed handshake response, later ones are frames.
    """

    def __init__(self, protocol: ClientProtocol, *, ctx: StreamContext, **kwargs: Any) -> None:
        super().__init__(protocol, **kwargs)
        self._ctx = ctx
        self._sent = False
        self.traffic = Traffic()

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
            return
        frame = cast(Frame, event)
        if frame.opcode in CTRL_OPCODES:
            self._control(frame)
        elif frame.fin:
            self.traffic.framed += 1

    def _control(self, frame: Frame) -> None:
        """A ping, pong or close frame as a record, and the pong or close reply websockets already sent."""
        ctx, opcode = self._ctx, frame.opcode
        payload = bytes(frame.data)
        shown = _close_text(payload) if opcode is Opcode.CLOSE else payload
        t = ctx.now()
        self.traffic.control(ctx.record(Kind.CONTROL, t, len(payload), shown, opcode.name.lower()))
        # data_received writes websockets' answer before it hands over the frames
        if opcode is Opcode.PING or (opcode is Opcode.CLOSE and self.protocol.close_rcvd_then_sent):
            reply = "pong" if opcode is Opcode.PING else "close"
            self.traffic.control(ctx.record(Kind.CONTROL, t, len(payload), shown, reply, Flag.OUTGOING))


def _close_text(payload: bytes) -> bytes:
    """A close frame's code and reason as text ("1000 bye"); nothing for a close frame without a code."""
    if not payload:
        return b""
    close = Close.parse(payload)  # websockets checked it before handing the frame over
    return f"{close.code} {close.reason}".rstrip(" ").encode()


# -- opening -------------------------------------------------------------------


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


async def _handshake(request: StreamRequest, ctx: StreamContext, url: str) -> TimedConnection:
    """DNS, connect, TLS and the opening handshake, all within the connect timeout."""
    parsed = URL(url)
    secure = parsed.scheme == "wss"
    kwargs: dict[str, Any] = {}
    if secure:
        kwargs = {"ssl": tls_context(request), "server_hostname": parsed.host}
    factory = cast(type[ClientConnection], functools.partial(TimedConnection, ctx=ctx))
    headers = [(name, expand(value, request.secrets)) for name, value in request.headers]
    try:
        async with asyncio.timeout(request.connect_timeout):
            sock = await connect_via(request, parsed.host or "", parsed.port or (443 if secure else 80), ctx,
                                     scheme=parsed.scheme)
            try:
                return cast(TimedConnection, await connect(
                    url,
                    sock=sock,
                    proxy=None,
                    additional_headers=headers or None,
                    subprotocols=[Subprotocol(name) for name in request.subprotocols] or None,
                    open_timeout=None,
                    max_size=request.max_message,
                    max_queue=WS_QUEUE,
                    ping_interval=None,
                    create_connection=factory,
                    **kwargs,
                ))
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
    """Connect and yield the open stream: its response record and its records (None if max time ran out)."""
    url = websocket_url(request.url)  # as written, `${NAME}` references and all: what is shown
    ctx.start_clock()
    async with ctx.until_deadline():
        ws = await _handshake(request, ctx, websocket_url(expand(request.url, request.secrets)))
    if ctx.expired:
        yield None
        return
    async with ws:
        response, secrets, show = ws.response, request.secrets, request.show_secrets
        handshake = ws.request
        sent = None if handshake is None else SentRequest(
            "GET", without_credentials(url), shown_headers(handshake.headers.raw_items(), secrets, show),
            None, describe_proxy(request))
        record = ctx.record(Kind.RESPONSE, ctx.now(), value=Response(
            status=response.status_code if response else 101,
            reason=response.reason_phrase if response else "Switching Protocols",
            http_version="1.1",
            headers=dict(shown_headers(response.headers.raw_items(), secrets, show)) if response else {},
            url=without_credentials(url),
            mode="ws",
            started_at=ctx.started_at,
            request=sent,
        ))
        ctx.abort = ws.transport.abort
        try:
            yield Opened(record, _records(ws, ctx, request))
        finally:
            ctx.abort = None
        ctx.mode_summary["close_code"] = ws.close_code
        ctx.mode_summary["close_reason"] = ws.close_reason


# -- reading and sending ---------------------------------------------------------


async def _records(ws: TimedConnection, ctx: StreamContext, request: StreamRequest) -> AsyncIterator[Record]:
    """The stream's records as the reader and sender tasks and websockets make them, then how it ended."""
    traffic = ws.traffic
    script = _script(request)
    sender = _Sender(ws, traffic, ctx.t0, request.secrets)
    with current_outgoing().taking() as queue:
        tasks = [asyncio.create_task(sender.run(script, request.send_interval, queue)),
                 asyncio.create_task(_receive(ws, traffic, ctx, request.idle_timeout))]
        ready, wake = traffic.ready, traffic.wake
        try:
            while True:
                while ready:
                    yield ready.popleft()
                if traffic.done:
                    break
                wake.clear()
                await wake.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)  # the reader tallies as it ends
    _raise_ending(traffic, len(script) - sender.sent_of_script, len(request.sends), request.idle_timeout)


async def _receive(ws: ClientConnection, traffic: Traffic, ctx: StreamContext, idle: float | None) -> None:
    """The reader task: every message received, stamped the instant recv returned, then why it ended."""
    t0, timing, message_kind = ctx.t0, ctx.timing, Kind.MESSAGE
    ready, wake, held = traffic.ready, traffic.wake, traffic.held
    seq, last, total, first = 0, 0.0, 0, None
    try:
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
                ready.append(Record(message_kind, seq, t, gap, size, data, None, timing.note(gap, seq)))
            else:
                data = bytes(message)
                size = len(data)
                ready.append(Record(message_kind, seq, t, gap, size, data, None, Flag.BINARY | timing.note(gap, seq)))
            first = t if first is None else first
            seq += 1
            traffic.received = seq
            if held:
                traffic.release()
            else:
                wake.set()
            total += size
            last = t
    except Exception as exc:  # the close (ConnectionClosed), the idle timeout or a failure: `_raise_ending` says
        traffic.finish(exc)
    finally:
        ctx.tally(seq, total, first, last)
        traffic.finish(None)


def _script(request: StreamRequest) -> list[tuple[bytes, bytes]]:
    """What to send after connecting, in order, as (shown, sent): the body, then each --send message.

    Shown as written, with its `${NAME}` references; sent with their values.
    """
    script = []
    if request.body is not None:
        script.append((request.body, expand_bytes(request.body, request.secrets) or b""))
    for text in request.sends:  # surrogateescape: bytes of argv that are not UTF-8 go as they came, binary
        script.append((text.encode("utf-8", "surrogateescape"),
                       expand(text, request.secrets).encode("utf-8", "surrogateescape")))
    return script


class _Sender:
    """The sender task: the script, `interval` seconds apart, then what `Outgoing` hands in, each a record."""

    def __init__(self, ws: ClientConnection, traffic: Traffic, t0: float, secrets: dict[str, str]) -> None:
        self.ws, self.traffic, self.t0, self.secrets = ws, traffic, t0, secrets
        self.seq, self.last = 0, 0.0
        self.sent_of_script = 0

    async def run(self, script: list[tuple[bytes, bytes]], interval: float,
                  queue: asyncio.Queue[tuple[bytes, bool]]) -> None:
        try:
            for n, (shown, sent) in enumerate(script):
                if n and interval:
                    await asyncio.sleep(interval)
                await self.send(shown, sent, False)
                self.sent_of_script += 1
            while True:
                data, binary = await queue.get()
                await self.send(data, expand_bytes(data, self.secrets) or b"", binary)
        except ConnectionClosed:
            pass  # the reader sees the close too; what the script did not send is counted
        except Exception as exc:  # a fault of ours: end the stream with it
            self.traffic.finish(exc)

    async def send(self, shown: bytes, sent: bytes, binary: bool) -> None:
        """Send one message, text when it can be (UTF-8, not asked binary), and add its record."""
        message: str | bytes = sent
        flags = Flag.OUTGOING | Flag.BINARY
        if not binary:
            try:
                message, flags = sent.decode(), Flag.OUTGOING
            except UnicodeDecodeError:
                pass
        await self.ws.send(message)
        t = perf_counter() - self.t0
        self.traffic.add(Record(Kind.MESSAGE, self.seq, t, t - self.last, len(sent), shown, None, flags))
        self.seq += 1
        self.last = t


def _raise_ending(traffic: Traffic, unsent: int, sends: int, idle: float | None) -> None:
    """Nothing for a clean close with everything sent; else the error that ended the stream."""
    ended = traffic.ended
    if ended is None:
        return
    if isinstance(ended, ConnectionClosedOK):
        if not unsent:
            return
        code = f" (code {ended.rcvd.code})" if ended.rcvd is not None else ""
        if unsent > sends:
            raise StreamError("ws_body_not_sent", f"The server closed the WebSocket{code} before explorer could "
                                                  "send the body.") from None
        raise StreamError("ws_send_not_sent", f"The server closed the WebSocket{code} before explorer could send "
                                              f"{unsent} of the {sends} --send message{'s' if sends > 1 else ''}.") \
            from None
    if isinstance(ended, TimeoutError):
        seq = traffic.received
        if seq:
            raise StreamError("idle_timeout", f"The WebSocket went silent: no message for {idle:g} s (the idle "
                                              f"timeout) after {seq:,} message{'s' if seq > 1 else ''}.") from None
        raise StreamError("ttfb_timeout", f"The WebSocket opened, then no message arrived within the {idle:g} s "
                                          "idle timeout.") from None
    raise ended
