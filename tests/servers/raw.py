"""A raw-socket server (asyncio.start_server on its own loop in a thread) that writes exact bytes.

Each request is answered by the script of its path: bytes are written as
they are (each write drained), a float is a pause in seconds, and a `None`
script closes the connection without answering. Every request head that
arrived in full is counted in `requests`, so a test can prove how many
requests reached the server. One request per connection; the connection
closes after the script.

The `*_ROUTES` below are the fixtures for what frameworks will not send:
1xx responses, trailers, chunk extensions, stacked encodings, a redirect
chain, a redirect to file:, a 20 KB header block.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
from typing import Self, Sequence

Step = bytes | float
Script = Sequence[Step] | None

PAUSE = 0.005  # between pieces, so the client sees the framing split across reads


class ThreadedServer:
    """A raw TCP server on 127.0.0.1 (port chosen by the OS) on its own loop in a thread; use as a context
    manager. Each connection's request head is read and counted in `requests`, then `_answer` plays the
    response; the connection closes after it. A client that goes away ends its connection quietly."""

    GRACE = 0.0  # seconds answers still playing may take to finish when the server stops

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []  # (method, target) of every request head received
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._connection, "127.0.0.1", 0), self._loop).result(timeout=30)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        if self._tasks and self.GRACE:  # let answers that are closing finish, then stop any still playing
            await asyncio.wait(list(self._tasks), timeout=self.GRACE)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")[:2]
            self.requests.append((method, target))
            await self._answer(head, target, reader, writer)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass  # the client went away (reset, broken pipe) or sent no usable request
        except asyncio.CancelledError:
            pass  # shutting down: asyncio's stream callback would log a cancelled handler as an error
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, asyncio.CancelledError):
                pass
            self._tasks.discard(task)

    async def _answer(self, head: bytes, target: str, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


class ScriptServer(ThreadedServer):
    """Serve `routes` (fixed scripts of bytes and pauses) on 127.0.0.1; use as a context manager."""

    GRACE = 5.0

    def __init__(self, routes: dict[str, Script] | None = None) -> None:
        super().__init__()
        self.routes: dict[str, Script] = dict(routes or {})

    async def _answer(self, head: bytes, target: str, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        length = _content_length(head)
        if length:
            await reader.readexactly(length)
        script = self.routes.get(target.split("?")[0], NOT_FOUND)
        if script is not None:
            for step in script:
                if isinstance(step, bytes):
                    writer.write(step)
                    await writer.drain()
                else:
                    await asyncio.sleep(step)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


NOT_FOUND: Script = [b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"]

TEXT = ("Stacked codings: the text explorer must show, decoded. \u00e9\u2713 " * 40).encode()


def chunk(data: bytes, ext: str = "") -> bytes:
    return b"%x%s\r\n%s\r\n" % (len(data), ext.encode(), data)


def split_every(data: bytes, size: int) -> list[Step]:
    """`data` in pieces of `size` bytes, a pause between them."""
    steps: list[Step] = []
    for i in range(0, len(data), size):
        steps += [data[i:i + size], PAUSE]
    return steps


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"

INFORMATIONAL: Script = [
    b"HTTP/1.1 100 Continue\r\n\r\n",
    PAUSE,
    b"HTTP/1.1 103 Early Hints\r\n"
    b"Link: </style.css>; rel=preload; as=style\r\n"
    b"Link: </script.js>; rel=preload; as=script\r\n"
    b"X-Hint: early\r\n\r\n",
    PAUSE,
    CHUNKED_HEAD + b"\r\n",
    chunk(b"hello"),
    PAUSE,
    chunk(b" after hints"),
    b"0\r\n\r\n",
]

TRAILERS: Script = [
    CHUNKED_HEAD + b"Trailer: X-Checksum, X-Count\r\n\r\n",
    chunk(b"first "),
    PAUSE,
    chunk(b"second", ";sig=1"),
    PAUSE,
    b"0\r\nX-Checksum: abc\r\n",
    PAUSE,
    b"X-Count: 2\r\n\r\n",
]

# Extensions as sent after the size digits, a size line cut across writes, upper-case hex, leading zeros.
EXTENSIONS: Script = [
    CHUNKED_HEAD + b"\r\n",
    *split_every(chunk(b"hello", ";name=value"), 4),
    chunk(b" world"),
    PAUSE,
    b'A;a=1;b="two words"\r\n, and more\r\n',  # 10 bytes, size in upper-case hex
    PAUSE,
    b"00b;lead=zeros\r\neleven byte\r\n",  # 11 bytes
    b"0\r\n\r\n",
]

GZIP_GZIP = gzip.compress(gzip.compress(TEXT))
STACKED_CONTENT: Script = [
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip, gzip\r\n"
    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    *[step for i in range(0, len(GZIP_GZIP), 97) for step in (chunk(GZIP_GZIP[i:i + 97]), PAUSE)],
    b"0\r\n\r\n",
]

GZIP_ONCE = gzip.compress(TEXT)
TRANSFER_GZIP: Script = [
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n",
    *[step for i in range(0, len(GZIP_ONCE), 101) for step in (chunk(GZIP_ONCE[i:i + 101]), PAUSE)],
    b"0\r\n\r\n",
]

REDIRECTS: dict[str, Script] = {
    "/start": [b"HTTP/1.1 302 Found\r\nLocation: /middle\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"],
    # "/middle" names the absolute URL, so it is added once the port is known (see `redirect_routes`).
    "/end": [b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\nConnection: close\r\n\r\n",
             b"arrived\n"],
    "/to-file": [b"HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\n"
                 b"Connection: close\r\n\r\n"],
}


def redirect_routes(port: int) -> dict[str, Script]:
    middle = f"HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:{port}/end\r\n" \
             "Content-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nmoved"
    return {**REDIRECTS, "/middle": [middle.encode()]}


# About 22 KB of response headers: big cookies and a long CSP, as real sites send.
BIG_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n"
    + b"".join(b"Set-Cookie: c%d=%s; Path=/\r\n" % (i, b"v" * 3000) for i in range(4))
    + b"Content-Security-Policy: default-src 'self'; " + b" ".join(b"https://cdn%d.example" % i for i in range(500))
    + b"\r\n\r\n"
)
BIG_HEADERS: Script = [BIG_HEAD, b"big ok"]

RAW_ROUTES: dict[str, Script] = {
    "/informational": INFORMATIONAL,
    "/trailers": TRAILERS,
    "/extensions": EXTENSIONS,
    "/gzip-gzip": STACKED_CONTENT,
    "/transfer-gzip": TRANSFER_GZIP,
    "/no-answer": None,
    "/big-headers": BIG_HEADERS,
}
