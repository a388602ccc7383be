"""WebSocket truths, against the websockets library's own server and hand-written raw servers.

Sizes are compared with what the server sent (UTF-8 bytes of each text
message), close codes with the close frame the server read back from
explorer, and phases with their order. Raw servers do the opening handshake
by hand, then write frames a real server would never send.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import socket
import struct
import threading
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from explorer.cli import main
from explorer.core import open_stream
from explorer.core.record import Kind, Record
from explorer.core.request import StreamRequest

from .helpers import of_kind, run_get
from .rawserver import RawServer

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
Handler = Callable[[ServerConnection], Awaitable[None]]


# -- servers -------------------------------------------------------------------


class RealServer:
    """The websockets library's asyncio server on a free port, in its own thread and loop.

    `explorer get` runs its own event loop (asyncio.run), so the server lives on another.
    """

    def __init__(self, handler: Handler, **options: Any) -> None:
        self.handler = handler
        self.options = options
        self.port = 0
        self.seen: list[Any] = []  # what handlers noted for the test
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Future[None] | None = None

    def url(self, host: str = "127.0.0.1", userinfo: str = "") -> str:
        return f"ws://{userinfo}{host}:{self.port}/"

    def __enter__(self) -> RealServer:
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(5)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = self._loop.create_future()
        async with serve(self.handler, "127.0.0.1", 0, **self.options) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop


def accept_handshake(conn: socket.socket) -> bytes:
    """Read a WebSocket opening handshake from `conn` and return the 101 answer to send."""
    head = b""
    while b"\r\n\r\n" not in head:
        head += conn.recv(65536)
    key = next(line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
               if line.lower().startswith(b"sec-websocket-key:"))
    accept = base64.b64encode(hashlib.sha1(key + GUID.encode()).digest())
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")


def frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bool = False, rsv: int = 0) -> bytes:
    """One WebSocket frame as RFC 6455 lays it out."""
    head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
    length = len(payload)
    bit = 0x80 if mask else 0
    if length < 126:
        head += bytes([bit | length])
    elif length < 1 << 16:
        head += bytes([bit | 126]) + struct.pack("!H", length)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", length)
    if mask:
        key = b"\x01\x02\x03\x04"
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        head += key
    return head + payload


TEXT, BINARY, CONT, CLOSE, PING = 0x1, 0x2, 0x0, 0x8, 0x9


def read_close_code(sock: socket.socket) -> int | None:
    """Read the client's frames until its close frame; its code (None if the connection ended first)."""
    buffer = b""

    def need(n: int) -> bytes:
        nonlocal buffer
        while len(buffer) < n:
            piece = sock.recv(65536)
            if not piece:
                raise EOFError
            buffer += piece
        data, buffer = buffer[:n], buffer[n:]
        return data

    try:
        while True:
            first, second = need(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", need(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", need(8))[0]
            key = need(4) if second & 0x80 else b"\0\0\0\0"
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(need(length)))
            if first & 0x0F == CLOSE:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
    except (EOFError, OSError):
        return None


class RawWebSocketServer(RawServer):
    """Answers the handshake by hand, writes `frames`, then reads the client's close frame (its code lands
    in `close_codes`) and closes the TCP connection."""

    def __init__(self, frames: list[bytes]) -> None:
        super().__init__([])
        self.frames = frames
        self.close_codes: list[int | None] = []

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            # one write: the client reads it all at once
            conn.sendall(accept_handshake(conn) + b"".join(self.frames))
            self.close_codes.append(read_close_code(conn))


# -- helpers -------------------------------------------------------------------


def final(records: list[dict[str, Any]]) -> dict[str, Any]:
    assert records and records[-1]["kind"] in ("end", "error"), records
    return records[-1]


def assert_sentence(text: str) -> None:
    """One human sentence: capitalised, ends in a full stop, never ':.', never a Python repr."""
    assert text[0].isupper() and text.endswith(".") and ":." not in text, text
    assert "b'" not in text and 'b"' not in text and "Error(" not in text and "<" not in text, text


async def collect(request: StreamRequest) -> list[Record]:
    return [record async for record in open_stream(request)]


# -- sizes ---------------------------------------------------------------------


SENT: list[str | bytes] = ["héllo", "日本語のテキスト", "🙂 emoji", b"\x00\xff\x10", "plain ascii", "ß" * 100]


async def send_mixed(ws: ServerConnection) -> None:
    for message in SENT:
        await ws.send(message)
    await ws.close(1000, "done")


def wire_size(message: str | bytes) -> int:
    return len(message.encode() if isinstance(message, str) else message)


def test_sizes_and_bytes_total_count_utf8_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    with RealServer(send_mixed) as server:
        status, records, _ = run_get(capsys, server.url())
    messages = of_kind(records, "message")
    assert status == 0
    assert [m["size"] for m in messages] == [wire_size(m) for m in SENT]
    assert [m["type"] for m in messages] == ["binary" if isinstance(m, bytes) else "text" for m in SENT]
    assert [m["data"] for m in messages if m["type"] == "text"] == [m for m in SENT if isinstance(m, str)]
    end = final(records)
    assert end["bytes"] == sum(wire_size(m) for m in SENT) == sum(m["size"] for m in messages)
    assert end["records"] == len(SENT) and end["close_code"] == 1000 and end["close_reason"] == "done"


def test_text_output_bytes_total_counts_utf8_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    with RealServer(send_mixed) as server:
        status = main(["get", server.url()])
    out = capsys.readouterr().out
    total = sum(wire_size(m) for m in SENT)
    assert status == 0 and f"{total} B" in out.replace(",", ""), out


# -- the message cap -----------------------------------------------------------


def test_message_over_the_cap_names_the_cap_and_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.send("small")
        await ws.send("x" * 2000)
        await ws.close()
        server.seen.append(ws.close_code)  # the close code the server received from explorer

    with RealServer(handler, compression=None) as server:
        status, records, err = run_get(capsys, server.url(), "--max-message", "1000")
    error = final(records)
    assert status == 1 and [m["data"] for m in of_kind(records, "message")] == ["small"]
    assert server.seen == [1009]
    assert error["type"] == "ws_too_big"
    for words in ("1,000 byte message cap", "code 1009", "--max-message", "2,000 bytes"):
        assert words in error["error"], error["error"]
    assert "1006" not in error["error"] and "lost" not in error["error"]
    assert_sentence(error["error"])
    with RealServer(handler, compression=None) as server:
        status, records, _ = run_get(capsys, server.url(), "--max-message", "2000")
    assert status == 0 and [m["size"] for m in of_kind(records, "message")] == [5, 2000]
    assert server.seen == [1000]


def test_default_cap_is_16_mib_also_for_compressed_messages(capsys: pytest.CaptureFixture[str]) -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.send(b"\0" * (16 * 1024 * 1024 + 1))  # permessage-deflate squeezes it to a few KiB
        await ws.close()
        server.seen.append(ws.close_code)

    with RealServer(handler) as server:
        status, records, _ = run_get(capsys, server.url())
    error = final(records)
    assert status == 1 and server.seen == [1009] and error["type"] == "ws_too_big"
    assert "16,777,216 byte message cap" in error["error"] and "--max-message" in error["error"]
    assert_sentence(error["error"])


# -- protocol violations -------------------------------------------------------


VIOLATIONS = {
    "masked": ([frame(TEXT, b"hidden", mask=True)], 1002, "ws_protocol", "masked a frame"),
    "invalid-utf8": ([frame(TEXT, b"ok \xff\xfe")], 1007, "ws_invalid_utf8", "not valid UTF-8"),
    "long-ping": ([frame(PING, b"p" * 126)], 1002, "ws_protocol", "control frame longer than 125 bytes"),
    "fragmented-ping": ([frame(PING, b"p", fin=False)], 1002, "ws_protocol", "fragmented control frame"),
    "reserved-bits": ([frame(TEXT, b"x", rsv=0b010)], 1002, "ws_protocol", "reserved bits"),
    "too-many-fragments": (
        [frame(TEXT, b"a", fin=False)] + [frame(CONT, b"a", fin=False)] * 5000 + [frame(CONT, b"a")],
        1009, "ws_too_big", "4,096 fragments",
    ),
}


@pytest.mark.parametrize("name", VIOLATIONS)
def test_protocol_violations_are_reported_for_what_they_are(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    frames, code, kind, words = VIOLATIONS[name]
    with RawWebSocketServer([frame(TEXT, "before ✓".encode()), *frames]) as server:
        status, records, err = run_get(capsys, server.url, "--max-message", str(64 * 1024))
    error = final(records)
    assert status == 1 and [m["data"] for m in of_kind(records, "message")] == ["before ✓"]
    assert error["bytes"] == len("before ✓".encode())
    assert server.close_codes == [code]  # the close frame explorer really sent
    assert error["type"] == kind and words in error["error"] and f"code {code}" in error["error"], error
    assert "1006" not in error["error"] and "lost" not in error["error"]
    assert_sentence(error["error"])
    assert "Traceback" not in err


def test_server_close_codes_stay_the_servers(capsys: pytest.CaptureFixture[str]) -> None:
    close = frame(CLOSE, struct.pack("!H", 1008) + b"no tokens left.")
    with RawWebSocketServer([frame(TEXT, b"hi"), close]) as server:
        status, records, _ = run_get(capsys, server.url)
    error = final(records)
    assert status == 1 and server.close_codes == [1008]  # explorer echoed the server's code
    assert error["type"] == "ws_closed"
    assert error["error"] == "The server closed the WebSocket with code 1008 (policy violation): no tokens left."


def test_connection_dropped_without_close_frame(capsys: pytest.CaptureFixture[str]) -> None:
    listener = socket.create_server(("127.0.0.1", 0))

    def serve_once() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.sendall(accept_handshake(conn) + frame(TEXT, b"bye"))

    thread = threading.Thread(target=serve_once, daemon=True)
    thread.start()
    try:
        status, records, _ = run_get(capsys, f"ws://127.0.0.1:{listener.getsockname()[1]}/")
    finally:
        thread.join(5)
        listener.close()
    error = final(records)
    assert status == 1 and [m["data"] for m in of_kind(records, "message")] == ["bye"]
    assert error["type"] == "ws_closed" and "without a close frame (code 1006)" in error["error"]


# -- phases --------------------------------------------------------------------


async def hello(ws: ServerConnection) -> None:
    await ws.send("hello")
    await ws.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_handshake_has_phases_in_order(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    with RealServer(hello) as server:
        status, records, _ = run_get(capsys, server.url(host))
    assert status == 0
    phases = final(records)["phases"]
    response = records[0]
    if host == "localhost":
        assert phases["dns"] is not None and phases["dns"] >= 0
    else:
        assert phases["dns"] is None  # an IP literal is not looked up
    assert phases["connect"] is not None and phases["connect"] >= 0
    assert phases["connect"] <= phases["sent"] <= phases["headers"] <= response["t"]
    assert phases["headers"] <= phases["first_byte"] <= phases["last_byte"] <= phases["total"]
    assert phases["first_byte"] == of_kind(records, "message")[0]["t"]


async def test_phases_of_a_handshake_refused_and_a_dead_port() -> None:
    async def refuse(connection: ServerConnection, request: Request) -> Response:
        return connection.respond(403, "nope\n")

    with RealServer(hello, process_request=refuse) as server:
        records = await collect(StreamRequest(server.url(), mode="ws"))
    error = records[-1].summary
    assert error.type == "ws_handshake" and "HTTP 403 Forbidden" in (error.error or "")
    assert error.phases.sent is not None and error.phases.headers is not None
    assert error.phases.sent <= error.phases.headers

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    records = await collect(StreamRequest(f"ws://127.0.0.1:{port}/", mode="ws"))
    error = records[-1].summary
    assert error.type == "connection_refused" and f"127.0.0.1:{port}" in (error.error or "")
    assert error.phases.sent is None and error.phases.headers is None


def test_dns_failure_is_a_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    status, records, _ = run_get(capsys, "ws://no-such-host.invalid/")
    error = final(records)
    assert status == 1 and error["type"] == "dns" and "no-such-host.invalid" in error["error"]
    assert_sentence(error["error"])


# -- credentials ---------------------------------------------------------------


SECRET = "pw-s3cr3t-9931"


def test_credentials_are_used_but_never_shown(capsys: pytest.CaptureFixture[str]) -> None:
    async def check(connection: ServerConnection, request: Request) -> Response | None:
        server.seen.append(request.headers.get("Authorization"))
        return None

    with RealServer(hello, process_request=check) as server:
        status, records, err = run_get(capsys, server.url(userinfo=f"alice:{SECRET}@"))
        out = "\n".join(map(str, records)) + err
        status_text = main(["get", server.url(userinfo=f"alice:{SECRET}@")])
        text = capsys.readouterr()
    assert status == 0 and status_text == 0
    assert server.seen == [f"Basic {base64.b64encode(f'alice:{SECRET}'.encode()).decode()}"] * 2
    assert records[0]["url"] == server.url()
    assert SECRET not in out and SECRET not in text.out + text.err


def test_credentials_stay_out_of_errors(capsys: pytest.CaptureFixture[str]) -> None:
    async def refuse(connection: ServerConnection, request: Request) -> Response:
        return connection.respond(401, "who are you\n")

    with RealServer(hello, process_request=refuse) as server:
        url = server.url(userinfo=f"alice:{SECRET}@")
        status, records, err = run_get(capsys, url)
        assert status == 1 and "HTTP 401" in final(records)["error"]
        assert SECRET not in str(records) + err
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    status, records, err = run_get(capsys, f"ws://alice:{SECRET}@127.0.0.1:{port}/")
    assert status == 1 and final(records)["type"] == "connection_refused"
    assert SECRET not in str(records) + err


# -- a body as the first message -----------------------------------------------


async def echo_first(ws: ServerConnection) -> None:
    first = await ws.recv()
    server_seen.append(first)
    await ws.send(first)
    await ws.send("after")
    await ws.close()


server_seen: list[str | bytes] = []


@pytest.fixture
def echo_server() -> Iterator[RealServer]:
    server_seen.clear()
    with RealServer(echo_first) as server:
        yield server


def test_body_is_sent_as_the_first_text_message(echo_server: RealServer, capsys: pytest.CaptureFixture[str]) -> None:
    body = '{"subscribe": "tickër"}'
    status, records, _ = run_get(capsys, echo_server.url(), "-d", body)
    assert status == 0 and server_seen == [body]
    messages = of_kind(records, "message")
    out, *incoming = messages
    assert (out["direction"], out["type"], out["data"], out["size"]) == ("out", "text", body, len(body.encode()))
    assert [(m["direction"], m["data"]) for m in incoming] == [("in", body), ("in", "after")]
    assert [m["seq"] for m in incoming] == [0, 1]
    assert out["t"] <= incoming[0]["t"]
    end = final(records)  # totals count what arrived
    assert end["records"] == 2 and end["bytes"] == len(body.encode()) + len("after")
    assert end["phases"]["first_byte"] == incoming[0]["t"]


def test_binary_body_is_sent_as_a_binary_message(echo_server: RealServer, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    payload = b"\x00\xff\xfe binary"
    path = tmp_path / "body.bin"
    path.write_bytes(payload)
    status, records, _ = run_get(capsys, echo_server.url(), "-d", f"@{path}")
    assert status == 0 and server_seen == [payload]
    out = of_kind(records, "message")[0]
    assert (out["direction"], out["type"], out["size"]) == ("out", "binary", len(payload))
    assert base64.b64decode(out["data_b64"]) == payload


# -- redirects -----------------------------------------------------------------


@pytest.mark.parametrize("location", [f"ws://bob:{SECRET}@127.0.0.1:1/elsewhere", "https://127.0.0.1:1/elsewhere"])
def test_handshake_redirect_is_reported(location: str, capsys: pytest.CaptureFixture[str]) -> None:
    async def move(connection: ServerConnection, request: Request) -> Response:
        return Response(302, "Found", Headers([("Location", location), ("Content-Length", "0")]))

    with RealServer(hello, process_request=move) as server:
        status, records, err = run_get(capsys, server.url())
    error = final(records)
    assert status == 1 and error["type"] == "ws_redirect"
    assert "HTTP 302 Found" in error["error"] and "127.0.0.1:1/elsewhere" in error["error"]
    assert SECRET not in str(records) + err
    assert_sentence(error["error"])


@pytest.mark.parametrize(("script", "words"), [
    ([], "closed the connection before answering the WebSocket handshake"),
    ([b"SMTP ready\r\n\r\n"], "not valid HTTP: invalid HTTP status line: SMTP ready"),
])
def test_handshake_answered_with_nothing_or_garbage(script: list[bytes], words: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with RawServer(script) as server:
        status, records, err = run_get(capsys, server.url.replace("http", "ws", 1))
    error = final(records)
    assert status == 1 and error["type"] == "ws_handshake" and words in error["error"], error
    assert error["phases"]["sent"] is not None
    assert_sentence(error["error"])


def test_body_the_server_closed_before_is_reported_after_what_arrived(capsys: pytest.CaptureFixture[str]) -> None:
    close = frame(CLOSE, struct.pack("!H", 1000))
    with RawWebSocketServer([frame(TEXT, b"one"), frame(TEXT, b"two"), close]) as server:
        status, records, _ = run_get(capsys, server.url, "-d", "subscribe")
    error = final(records)
    assert status == 1 and [(m["direction"], m["data"]) for m in of_kind(records, "message")] == [
        ("in", "one"), ("in", "two")]
    assert error["type"] == "ws_body_not_sent" and "(code 1000) before explorer could send the body" in error["error"]
    assert error["bytes"] == 6 and server.close_codes == [1000]


def test_library_callers_get_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    async def run(url: str) -> list[Record]:
        return await collect(StreamRequest(url, mode="ws"))

    with RealServer(send_mixed) as server:
        records = asyncio.run(run(server.url()))
    kinds = [r.kind for r in records]
    assert kinds[0] is Kind.RESPONSE and kinds[-1] is Kind.END
    summary = records[-1].summary
    assert summary.bytes == sum(wire_size(m) for m in SENT)



# -- timeouts ------------------------------------------------------------------


def test_timeouts_say_which_phase_they_cut(capsys: pytest.CaptureFixture[str]) -> None:
    async def one_then_quiet(ws: ServerConnection) -> None:
        await ws.send("only")
        await ws.wait_closed()

    with RealServer(one_then_quiet) as server:
        status, records, _ = run_get(capsys, server.url(), "--idle-timeout", "0.3")
    error = final(records)
    assert status == 1 and len(of_kind(records, "message")) == 1
    assert error["type"] == "idle_timeout" and "0.3 s" in error["error"] and "after 1 message." in error["error"]
    assert_sentence(error["error"])

    listener = socket.create_server(("127.0.0.1", 0))  # accepts (the kernel does), never answers
    try:
        status, records, _ = run_get(capsys, f"ws://127.0.0.1:{listener.getsockname()[1]}/",
                                     "--connect-timeout", "0.3")
    finally:
        listener.close()
    error = final(records)
    assert status == 1 and error["type"] == "connect_timeout"
    assert "did not answer the WebSocket handshake within the 0.3 s connect timeout" in error["error"]
    assert error["phases"]["sent"] is not None and error["phases"]["headers"] is None
    assert_sentence(error["error"])
