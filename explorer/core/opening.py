"""Opening an HTTP stream: the client, redirects as records, the response record and the mode's reader.

Wire mode (and `--framing` in any mode) reads with the wire-level h11 client,
which shows 1xx responses, chunk framing and trailers; the other modes read
with aiohttp. Both send each request exactly once, follow redirects here, and
leave decoding to `decoding.py`.
"""

from __future__ import annotations

import base64
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Protocol

from yarl import URL

from .body import Body, ByteReader, DecodingReader
from .context import StreamContext
from .decoding import ACCEPT_ENCODING, Decoder, decoder_for
from .errors import StreamError
from .headers import header_value
from .modes import REGISTRY
from .modes.auto import mode_for_content_type
from .opened import Opened
from .record import Kind, Record, Response, SentRequest
from .redirects import Target, next_hop
from .request import StreamRequest
from .secrets import expand, expand_bytes, retemplate, shown_headers

if TYPE_CHECKING:
    from .wire_client import Head, WireExchange  # the wire-level client (and h11) loads only for wire or --framing


class Hop(Protocol):
    """One request and its response, from either client."""

    head: Head
    url: str
    informational: list[Head]
    trailers: list[tuple[str, str]] | None
    error: StreamError | None  # set when a cap ended a body that reads as complete

    @property
    def content(self) -> ByteReader | None: ...

    @property
    def exchange(self) -> WireExchange | None: ...

    @property
    def first_byte(self) -> float | None: ...

    @property
    def last_byte(self) -> float | None: ...

    def abort(self) -> None: ...

    def release(self) -> None: ...


def headers_dict(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Headers as sent (repeated names joined with ', ')."""
    merged: dict[str, str] = {}
    for key, text in headers:
        merged[key] = f"{merged[key]}, {text}" if key in merged else text
    return merged


def http_status_error(head: Head) -> Callable[[], None]:
    """After the body: an HTTP error status becomes the stream's error."""
    def check() -> None:
        if head.status >= 400:
            reason = f" {head.reason}" if head.reason else ""
            raise StreamError("http_status", f"The server answered HTTP {head.status}{reason}.")
    return check


class _Failing:
    """A body reader that raises the decoder's problem on its first read, after the response record."""

    def __init__(self, error: StreamError) -> None:
        self._error = error

    async def readany(self) -> bytes:
        raise self._error

    async def read(self, n: int = -1) -> bytes:
        raise self._error

    def read_nowait(self, n: int = -1) -> bytes:
        raise self._error


@asynccontextmanager
async def open_http(request: StreamRequest, ctx: StreamContext) -> AsyncIterator[Opened | None]:
    """Send the request (and its redirects) and yield the open response (None if max time ran out first)."""
    if request.mode == "wire" or request.framing:
        client: _Client = _WireClient(request, ctx)
    else:
        from .aiohttp_client import AiohttpClient

        client = AiohttpClient(request, ctx)
    try:
        ctx.start_clock()
        preamble: list[Record] = []
        secrets = request.secrets
        url = URL(expand(request.url, secrets))
        headers = [(expand(name, secrets), expand(value, secrets)) for name, value in _request_headers(request, url)]
        target = Target(url.with_user(None), request.method, headers, expand_bytes(request.body, secrets))
        followed = 0
        while True:
            ctx.sent_headers = None
            async with ctx.until_deadline():
                hop: Hop = await client.send(target.url, target.method, target.headers, target.body)
            if ctx.expired:
                yield None
                return
            sent = _sent(request, target, ctx)
            preamble += [ctx.record(Kind.INFORMATIONAL, head.t, value=_response(head, hop.url, mode=request.mode,
                                                                                  request=request, sent=sent, ctx=ctx))
                         for head in hop.informational]
            ctx.abort = hop.abort
            try:
                following = next_hop(hop.head, target, followed, request.max_redirects)
            except StreamError:
                hop.release()
                raise
            if following is None:
                break
            preamble.append(ctx.record(Kind.REDIRECT, hop.head.t, value=_response(
                hop.head, hop.url, mode=request.mode, request=request, sent=sent, ctx=ctx)))
            hop.release()
            target, followed = following, followed + 1
        ctx.arrivals = lambda: (hop.first_byte, hop.last_byte)
        head = hop.head
        content_type = header_value(head.headers, "Content-Type")
        mode = request.mode if request.mode != "auto" else mode_for_content_type(content_type)
        if head.status >= 400:
            mode = "any"
        ctx.marks["headers"] = head.t
        response = ctx.record(Kind.RESPONSE, head.t, value=_response(head, hop.url, mode=mode, request=request,
                                                                     sent=sent, ctx=ctx))
        body = _body(hop, request, mode, ctx)
        reader = REGISTRY[mode].reader()
        check = http_status_error(head)

        def after_body() -> None:
            if hop.error is not None:
                raise hop.error
            if hop.trailers:
                at = hop.exchange.at if hop.exchange is not None else ctx.now()
                ctx.side.append(ctx.record(Kind.TRAILERS, at, value=headers_dict(hop.trailers)))
            check()

        try:
            yield Opened(response, reader(body, ctx, request), after_body, preamble)
        finally:
            hop.release()
    finally:
        await client.close()


def _body(hop: Hop, request: StreamRequest, mode: str, ctx: StreamContext) -> Body:
    headers = headers_dict(hop.head.headers)
    assert hop.content is not None
    decoder: Decoder | None = None
    content: ByteReader = hop.content
    if not request.raw:
        try:
            decoder = decoder_for(headers)
        except StreamError as error:
            content = _Failing(error)
    if decoder is not None and not REGISTRY[mode].raw_bytes and mode != "wire":
        content = DecodingReader(hop.content, decoder, lambda: ctx.expired)
    return Body(content, headers, decoder, hop.exchange)


def _request_headers(request: StreamRequest, url: URL) -> list[tuple[str, str]]:
    headers = list(request.headers)
    names = {name.lower() for name, _ in headers}
    if url.user is not None and "authorization" not in names:
        token = base64.b64encode(f"{url.user}:{url.password or ''}".encode()).decode()
        headers.append(("Authorization", f"Basic {token}"))
    if "accept-encoding" not in names and not request.raw:
        headers.append(("Accept-Encoding", ACCEPT_ENCODING))
    if "user-agent" not in names:
        headers.append(("User-Agent", "explorer"))
    if "accept" not in names:
        headers.append(("Accept", "*/*"))
    return headers


def _response(head: Head, url: str, *, mode: str, request: StreamRequest, sent: SentRequest,
              ctx: StreamContext) -> Response:
    """The response record's value: what a person may see of it (credentials masked, secrets as references)."""
    secrets = request.secrets
    headers = shown_headers(head.headers, secrets, request.show_secrets)
    return Response(status=head.status, reason=head.reason, http_version=head.http_version,
                    headers=headers_dict(headers), url=retemplate(url, secrets), mode=mode,
                    started_at=ctx.started_at, request=sent)


def _sent(request: StreamRequest, target: Target, ctx: StreamContext) -> SentRequest:
    """The request as it went out: the header list the client wrote (both clients report it)."""
    from .proxy import describe_proxy

    headers = ctx.sent_headers if ctx.sent_headers is not None else target.headers
    secrets = request.secrets
    return SentRequest(target.method, retemplate(str(target.url), secrets),
                       shown_headers(headers, secrets, request.show_secrets),
                       None if target.body is None else len(target.body), describe_proxy(request, target.url))


class _Client(Protocol):
    async def send(self, url: URL, method: str, headers: list[tuple[str, str]], body: bytes | None) -> Any: ...

    async def close(self) -> None: ...


class _WireClient:
    """Hops over the wire-level client: a fresh exchange (and connection) for each."""

    def __init__(self, request: StreamRequest, ctx: StreamContext) -> None:
        self.request, self.ctx = request, ctx

    async def send(self, url: URL, method: str, headers: list[tuple[str, str]], body: bytes | None) -> WireExchange:
        from .wire_client import WireExchange

        return await WireExchange(self.request, self.ctx).send(url, method, headers, body)

    async def close(self) -> None:
        return None
