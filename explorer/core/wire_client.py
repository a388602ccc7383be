"""The wire-level HTTP/1.1 client: h11 over an asyncio stream (TLS included).

aiohttp's parser drops what wire mode exists to show: 1xx responses, chunk
boundaries under Content-Encoding, chunk extensions and trailers. Here h11
parses and validates the exchange, `ChunkFraming` recovers the framing bytes
beside it, and every socket read is stamped the instant it returns. The
request is sent exactly once: nothing here retries.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from time import perf_counter

import h11
from yarl import URL

from .body import BufferedReader
from .chunk_framing import ChunkFraming, Framing, Span
from .connect import connect_socket, connect_via, tls_context
from .context import StreamContext
from .errors import TRAILERS, ReadTimeout, StreamError, header_cap_error
from .headers import header_values, wire_text
from .proxy import Proxy, proxy_to_use
from .record import Kind
from .request import StreamRequest
from .response_head import Head

READ_SIZE = 64 * 1024


@dataclass(slots=True)
class Piece:
    """Body bytes of one h11 `Data` event, with its chunk boundaries and extensions."""

    data: bytes
    start: bool
    end: bool
    extensions: str | None


def _head(event: h11.Response | h11.InformationalResponse, t: float) -> Head:
    return Head(event.status_code, wire_text(event.reason), wire_text(event.http_version),
                [(wire_text(name), wire_text(value)) for name, value in event.headers.raw_items()], t)


class WireExchange:
    """One request and its response over h11: `send()` returns the head, `body_reads()` the body read by read."""

    def __init__(self, request: StreamRequest, ctx: StreamContext) -> None:
        self.request = request
        self.ctx = ctx
        self.informational: list[Head] = []
        self.trailers: list[tuple[str, str]] | None = None
        self.error: StreamError | None = None  # a cap passed after the body (h11 caps only incomplete events)
        self.first_byte: float | None = None  # perf_counter of the read that brought the first body byte
        self.last_byte: float | None = None
        self.chunked = False
        self._conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=request.max_header_size)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._forward_to: Proxy | None = None  # the http proxy the request goes to (absolute-form target)
        self._framing: ChunkFraming | None = None
        self._items: list[Framing | Span] = []
        self._head_leftover = False
        self._eof = False
        self._at = 0.0
        self.done = False
        self.url = ""
        self.head: Head | None = None
        self.content: WireContent | None = None

    @property
    def exchange(self) -> WireExchange:
        return self

    @property
    def at(self) -> float:
        """When the latest read returned, in seconds since the request."""
        return self._at - self.ctx.t0

    async def send(self, url: URL, method: str, headers: list[tuple[str, str]], body: bytes | None) -> WireExchange:
        """Connect, send the request once and read up to the final response head (`head`)."""
        self.url = str(url.with_user(None))
        await self._connect(url)
        assert self._writer is not None
        target = url.raw_path_qs or "/"
        host = url.raw_host or ""
        host = f"[{host}]" if ":" in host else host
        authority = host if url.is_default_port() else f"{host}:{url.port}"
        fields = [("Host", authority), *headers]
        proxy = self._forward_to
        if proxy is not None:
            target = f"{url.scheme}://{authority}{target}"
            if proxy.authorization and not header_values(headers, "Proxy-Authorization"):
                fields.append(("Proxy-Authorization", proxy.authorization))
        if not any(name.lower() == "connection" for name, _ in headers):
            fields.append(("Connection", "close"))  # one exchange per connection, as the aiohttp client does
        if body is not None:
            fields.append(("Content-Length", str(len(body))))
        conn = self._conn
        self.ctx.sent_headers = fields
        try:
            out = conn.send(h11.Request(method=method, target=target, headers=fields))
            if body:
                out += conn.send(h11.Data(data=body))
            out += conn.send(h11.EndOfMessage())
        except h11.LocalProtocolError as error:
            raise StreamError("usage", f"The request cannot be sent as HTTP/1.1: {error}.") from None
        self._writer.write(out)
        await self._writer.drain()
        self.ctx.mark("sent")
        while True:
            event = await self._next_event()
            if isinstance(event, h11.InformationalResponse):
                self.informational.append(_head(event, self._at - self.ctx.t0))
            elif isinstance(event, h11.Response):
                head = _head(event, self._at - self.ctx.t0)
                if sum(len(name) + len(value) + 4 for name, value in head.headers) > self.request.max_header_size:
                    raise header_cap_error(self.request.max_header_size)
                self.chunked = any("chunked" in value.lower()
                                   for value in header_values(head.headers, "Transfer-Encoding"))
                if self.chunked:
                    self._framing = ChunkFraming(self.request.max_header_size)
                    self._items = self._framing.feed(conn.trailing_data[0])
                self._head_leftover = True
                self.head = head
                self.content = WireContent(self, self.request.framing)
                return self

    async def body_reads(self) -> list[Framing | Piece]:
        """The framing and body pieces of the next socket read, in order (maybe none); `done` after the last."""
        if self._head_leftover:
            self._head_leftover = False  # body bytes that came with the head: no new read
        else:
            data = await self._read()
            if self._framing is not None:
                self._items = self._framing.feed(data)
        datas = []
        while True:
            event = self._event()
            if event is h11.NEED_DATA:
                break
            if isinstance(event, h11.Data):
                datas.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                if self.chunked:
                    raw = event.headers.raw_items()
                    cap = self.request.max_header_size
                    if sum(len(name) + len(value) + 4 for name, value in raw) > cap:
                        self.error = header_cap_error(cap, TRAILERS)
                    else:
                        self.trailers = [(wire_text(n), wire_text(v)) for n, v in raw]
                self.done = True
                break
            elif isinstance(event, h11.ConnectionClosed):
                self.done = True
                break
        if datas:
            self.last_byte = self._at
            if self.first_byte is None:
                self.first_byte = self._at
        if self.done:
            self.close()
        data = b"".join(datas)
        if self._framing is None:
            return [Piece(data, False, False, None)] if data else []
        return self._split(data)

    def _split(self, data: bytes) -> list[Framing | Piece]:
        """This read's body bytes cut along the framing scanned from the same read."""
        out: list[Framing | Piece] = []
        offset = 0
        for item in self._items:
            if isinstance(item, Framing):
                out.append(item)
            else:
                out.append(Piece(data[offset:offset + item.size], item.start, item.end, item.extensions))
                offset += item.size
        if offset != len(data):  # h11 and the framing scan disagree: keep every byte, unsplit
            return [Piece(data, False, False, None)]
        return out

    async def _next_event(self) -> object:
        while True:
            event = self._event()
            if event is not h11.NEED_DATA:
                return event
            await self._read()

    def _event(self) -> h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]:
        try:
            return self._conn.next_event()
        except h11.RemoteProtocolError as error:
            raise self._protocol_error(error) from None

    async def _read(self) -> bytes:
        assert self._reader is not None
        idle = self.request.idle_timeout
        if idle is None:
            data = await self._reader.read(READ_SIZE)
        else:
            try:
                async with asyncio.timeout(idle):
                    data = await self._reader.read(READ_SIZE)
            except TimeoutError:
                raise ReadTimeout() from None
        self._at = perf_counter()
        self._eof = not data
        try:
            self._conn.receive_data(data)
        except h11.RemoteProtocolError as error:
            raise self._protocol_error(error) from None
        return data

    def _protocol_error(self, error: h11.RemoteProtocolError) -> StreamError:
        text = str(error)
        if "receive buffer" in text.lower() or "too long" in text.lower():
            return header_cap_error(self.request.max_header_size)
        if "peer closed connection without sending complete message body" in text:
            if self.chunked:
                return StreamError("truncated",
                                   "The chunked body was cut short: the connection closed before the last chunk.")
            return StreamError("truncated", "The body ended early: the connection closed before Content-Length "
                                            "bytes arrived.")
        if self.head is None and self._eof:
            return StreamError("disconnected", "The server closed the connection without a complete response.")
        if "Transfer-Encoding" in text:
            return StreamError("bad_framing", "The server sent a Transfer-Encoding other than chunked alone, which "
                                              "the wire-level parser (h11) does not read: the other modes decode it.")
        return StreamError("bad_framing", f"The server sent malformed HTTP: {' '.join(text.split()).rstrip('.')}.")

    async def _connect(self, url: URL) -> None:
        """Connect to the server, or to the proxy: a CONNECT tunnel for https, the proxy itself for http."""
        host, port = url.raw_host or "", url.port or 80
        ctx, request = self.ctx, self.request
        tls = url.scheme in ("https", "wss")
        proxy = proxy_to_use(request, url)
        try:
            async with asyncio.timeout(request.connect_timeout):
                if proxy is not None and not tls:
                    sock = await connect_socket(proxy.host, proxy.port, ctx, proxy)
                    self._forward_to = proxy  # the request goes to the proxy, its target in absolute form
                else:
                    sock = await connect_via(request, host, port, ctx, scheme=url.scheme)  # direct or tunnelled
                self._reader, self._writer = await asyncio.open_connection(
                    sock=sock, limit=READ_SIZE, ssl=tls_context(request) if tls else None,
                    server_hostname=host if tls else None,
                )
        except TimeoutError:
            raise StreamError("connect_timeout", f"Could not connect within the {request.connect_timeout:g} s "
                                                 "connect timeout.") from None
        ctx.mark("connect_end")
        ctx.abort = self.abort

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.transport.abort()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    release = close


class WireContent(BufferedReader):
    """The body bytes of a wire exchange as a `ByteReader`, for modes other than wire.

    With `framing`, each read is one chunk piece, and the framing bytes before
    it become `framing` records on the context's side list, in order.
    """

    def __init__(self, exchange: WireExchange, framing: bool) -> None:
        super().__init__(self._next_framed if framing else self._next)
        self._exchange = exchange
        self._queue: list[Framing | Piece] = []

    async def _next(self) -> bytes:
        exchange = self._exchange
        while not exchange.done:
            data = b"".join(item.data for item in await exchange.body_reads() if isinstance(item, Piece))
            if data:
                return data
        return b""

    async def _next_framed(self) -> bytes:
        exchange, queue = self._exchange, self._queue
        ctx = exchange.ctx
        while True:
            while queue:
                item = queue.pop(0)
                if isinstance(item, Framing):
                    ctx.side.append(ctx.record(Kind.FRAMING, exchange.at, len(item.raw), item.raw))
                elif item.data:
                    return item.data
            if exchange.done:
                return b""
            queue += await exchange.body_reads()
