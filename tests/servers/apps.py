"""Third-party servers explorer must be exact on, run as `python apps.py NAME` in a child process.

Each one binds 127.0.0.1 port 0, prints `PORT <n>` once it listens (the
parent then probes it with a real request before using it), and serves
until its stdin closes (so it dies with the test process) or it is
terminated. What they send is fixed by the constants below, which the tests
import as the expected content. Framework imports stay inside the functions:
importing this module for its constants loads no server library.

- `uvicorn`: Starlette under uvicorn. `/gzip/ndjson` is a StreamingResponse
  behind GZipMiddleware (paced NDJSON, compressed per piece with a sync
  flush; its first and last wire chunks decode to nothing); `/plain` is the
  same kind of stream uncompressed; `/sse` is sse-starlette's
  EventSourceResponse.
- `flask`: a Flask generator response under werkzeug's threaded dev server
  (HTTP/1.1, so chunked), NDJSON with numbers floats cannot hold.
- `websockets`: the websockets library's asyncio server, sending
  `WS_MESSAGES` and closing with `WS_CLOSE`.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import threading
import time
from typing import Any

PACE = 0.02  # seconds between paced pieces

# Eight NDJSON pieces, each well over GZipMiddleware's minimum_size, with values floats would lose.
GZIP_PIECES = [
    (
        f'{{"seq": {i}, "big": {2**70 + i}, "exact": 0.1000000000000000055511151231257827, '
        f'"text": "pi\\u00e8ce {i} \u00e9\u00e8", "pad": "{"abcdefgh" * (12 + i)}"}}\n'
    ).encode()
    for i in range(8)
]
GZIP_MINIMUM_SIZE = 100

PLAIN_PIECES = [f"plain piece {i}: {'.' * (i * 7)}\n".encode() for i in range(6)]

FLASK_LINES = [
    b'{"n": 1180591620717411303424, "neg": -1180591620717411303425}\n',  # 2**70 and -(2**70 + 1)
    b'{"exact": 0.1000000000000000055511151231257827, "tiny": 1e-400}\n',
    b'{"huge": 1e999, "list": [1, 2.50, -0.0, 12345678901234567890123]}\n',
    b'{"text": "caf\\u00e9 \xe2\x9c\x93", "nested": {"a": [true, false, null]}}\n',
]


def sse_items() -> list[Any]:
    """What the SSE route yields: sse-starlette events with mixed separators, a comment and raw bytes."""
    from sse_starlette import ServerSentEvent

    return [
        ServerSentEvent(comment="ping"),
        ServerSentEvent("first", id="1", event="greeting", retry=2500),
        ServerSentEvent("line one\nline two\r\nline three", id="2", event="multi"),
        ServerSentEvent("lone carriage returns", sep="\r"),
        ServerSentEvent("bare line feeds", event="lf", sep="\n"),
        {"data": "from a dict", "id": "3"},
        ServerSentEvent("  two leading spaces, one is stripped"),
        b"data:no space after the colon\r\nid\r\nretry: soon\r\n\r\n",  # empty id resets it; bad retry ignored
        ServerSentEvent(comment="multi\nline comment"),
        ServerSentEvent("caf\u00e9 \u2713 \U0001f389", event="unicode"),
    ]


WS_MESSAGES: list[str | bytes] = [
    "hello",
    "h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e \U0001f389",
    bytes(range(256)),
    "",
    "\u00e9" * 1000,
]
WS_CLOSE = (1000, "done")
CHAT_KEY = "sk-test-4f9c2b7e1d3a55ee0f3a9"  # the chat server takes only this key
CHAT_COOKIE = "c00kie-5ecret-value-77aa"  # and sets this cookie
CHAT_TOKENS = ["Hel", "lo", " from", " the", " stream", "!"]
LLM_SCRIPT = dict(tokens=12, seed=3, thinking=True, tools=True)  # the demo script the LLM-shaped routes send


def llm_frames(shape: str) -> list[bytes]:
    """The frames of `LLM_SCRIPT` in `shape`, as the demo's builders write them from the provider's docs."""
    from explorer.demo.llm_shapes import frames, script

    return frames(shape, script(**LLM_SCRIPT))  # type: ignore[arg-type]


def sse_fields(frame: bytes) -> dict[str, str]:
    """An SSE frame's event name and data, for sse-starlette to write again in its own framing."""
    fields = dict(line.split(": ", 1) for line in frame.decode().splitlines() if line)
    return {"event": fields["event"], "data": fields["data"]} if "event" in fields else {"data": fields["data"]}


def starlette_app() -> Any:
    from sse_starlette import EventSourceResponse
    from starlette.applications import Starlette
    from starlette.middleware.gzip import GZipMiddleware
    from starlette.responses import PlainTextResponse, StreamingResponse
    from starlette.routing import Mount, Route

    async def paced(pieces: list[bytes]) -> Any:
        for i, piece in enumerate(pieces):
            if i:
                await asyncio.sleep(PACE)
            yield piece

    async def ndjson(request: Any) -> StreamingResponse:
        # An empty first piece: the headers and the gzip header go out at once, and that
        # first wire chunk decodes to nothing until the data follows a pace later.
        count = int(request.query_params.get("count", len(GZIP_PIECES)))
        return StreamingResponse(paced([b"", *GZIP_PIECES[:count]]), media_type="application/x-ndjson")

    async def plain(request: Any) -> StreamingResponse:
        return StreamingResponse(paced(PLAIN_PIECES), media_type="text/plain")

    async def sse(request: Any) -> EventSourceResponse:
        async def events() -> Any:
            for i, item in enumerate(sse_items()):
                if i:
                    await asyncio.sleep(PACE / 4)
                yield item
        return EventSourceResponse(events(), ping=0)

    async def health(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def chat(request: Any) -> Any:
        """Shaped like a chat-completions API: it checks what it received and says what was wrong."""
        from starlette.responses import JSONResponse

        received = await request.body()
        problems = []
        if request.method != "POST":
            problems.append(f"method {request.method}")
        if request.headers.get("authorization") != f"Bearer {CHAT_KEY}":
            problems.append("authorization")
        if request.headers.get("content-type") != "application/json":
            problems.append("content-type")
        try:
            body = json.loads(received)
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("stream") is not True or not body.get("messages"):
            problems.append("body")
        if problems:
            return JSONResponse({"error": {"message": "wrong " + ", ".join(problems)}}, status_code=400)

        async def chunks() -> Any:
            for i, token in enumerate(CHAT_TOKENS):
                if i:
                    await asyncio.sleep(PACE / 4)
                delta = {"choices": [{"index": 0, "delta": {"content": token}}]}
                yield {"data": json.dumps(delta)}
            yield {"data": "[DONE]"}
        return EventSourceResponse(chunks(), ping=0, headers={"Set-Cookie": f"session={CHAT_COOKIE}; HttpOnly"})

    async def messages(request: Any) -> EventSourceResponse:
        """Anthropic-shaped: the demo's Messages frames, written by sse-starlette (CRLF lines, its own pings)."""
        async def events() -> Any:
            for i, frame in enumerate(llm_frames("anthropic")):
                if i:
                    await asyncio.sleep(PACE / 4)
                yield sse_fields(frame)
        return EventSourceResponse(events(), ping=0)

    gzipped = GZipMiddleware(Starlette(routes=[Route("/ndjson", ndjson)]), minimum_size=GZIP_MINIMUM_SIZE)
    return Starlette(routes=[
        Route("/health", health),
        Route("/plain", plain),
        Route("/sse", sse),
        Route("/v1/chat/completions", chat, methods=["GET", "POST"]),
        Route("/v1/messages", messages, methods=["GET", "POST"]),
        Mount("/gzip", app=gzipped),
    ])


def run_uvicorn() -> None:
    import uvicorn

    sock = listening_socket()
    server = uvicorn.Server(uvicorn.Config(starlette_app(), log_level="warning", lifespan="off", access_log=False))
    announce(sock)  # connections wait in the backlog until uvicorn accepts; the parent probes /health
    server.run(sockets=[sock])


def run_flask() -> None:
    from flask import Flask, Response
    from werkzeug.serving import make_server

    app = Flask("explorer-test")

    @app.get("/ndjson")
    def ndjson() -> Response:
        def lines() -> Any:
            for i, line in enumerate(FLASK_LINES):
                if i:
                    time.sleep(PACE)
                yield line
        return Response(lines(), mimetype="application/x-ndjson")

    @app.post("/api/chat")
    def ollama_chat() -> Response:
        """Ollama-shaped: the demo's /api/chat lines from a Flask generator."""
        def lines() -> Any:
            for i, line in enumerate(llm_frames("ollama")):
                if i:
                    time.sleep(PACE / 4)
                yield line
        return Response(lines(), mimetype="application/x-ndjson")

    @app.get("/health")
    def health() -> str:
        return "ok"

    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever(poll_interval=0.1)


def run_websockets() -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def handler(ws: ServerConnection) -> None:
        for i, message in enumerate(WS_MESSAGES):
            if i:
                await asyncio.sleep(PACE / 4)
            await ws.send(message)
        await ws.close(*WS_CLOSE)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            announce(next(iter(server.sockets)))
            await asyncio.Event().wait()

    asyncio.run(main())


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def announce(sock: socket.socket) -> None:
    print(f"PORT {sock.getsockname()[1]}", flush=True)


def exit_with_parent() -> None:
    """Exit as soon as stdin closes: the test process ended, however it ended."""
    def watch() -> None:
        sys.stdin.buffer.read()
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


RUNNERS = {"uvicorn": run_uvicorn, "flask": run_flask, "websockets": run_websockets}

if __name__ == "__main__":
    exit_with_parent()
    RUNNERS[sys.argv[1]]()
