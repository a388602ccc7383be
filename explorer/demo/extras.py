"""Handlers beyond the tutorials: SSE, an LLM-style token stream, live gzip,
httpbin-compatible endpoints, a firehose and a tick stream for timing."""

from __future__ import annotations

import asyncio
import json
import random
import time
import zlib

from aiohttp import web

from .streaming import STREAM, open_stream
from .tutorial import Params, paced_sleep, write_paced

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def sse(request: web.Request, p: Params) -> web.StreamResponse:
    """Server-sent events with ids, event types, multi-line data, retry and keep-alives."""
    out = await open_stream(request, "text/event-stream", headers=SSE_HEADERS)
    await out.write(": explorer demo event stream\nretry: 3000\n\n")
    for i in range(int(p["count"])):
        if i:
            await paced_sleep(p)
            if i % 3 == 0:
                await out.write(": keep-alive\n\n")
        if i % 4 == 3:
            event = f"id: {i}\nevent: report\ndata: report {i}, line one\ndata: report {i}, line two\n\n"
        else:
            event = f"id: {i}\nevent: tick\ndata: {json.dumps({'n': i, 'time': round(time.time(), 3)})}\n\n"
        await out.write(event)
    await out.write("event: done\ndata: bye\n\n")
    return await out.finish()


LLM_TEXT = (
    "Streaming lets a client show each token the moment the model produces it. "
    "Every piece below is one server-sent event carrying a chat completion delta, "
    "and the stream ends with a DONE sentinel, just like the APIs you already use. "
    "Watch the gaps: they follow the tokens-per-second knob, with a little jitter."
)


def llm_tokens(text: str = LLM_TEXT) -> list[str]:
    """Split text into word-ish tokens, keeping the spaces."""
    tokens, word = [], ""
    for ch in text:
        if ch == " " and word:
            tokens.append(word)
            word = ""
        word += ch
    return tokens + ([word] if word else [])


async def llm(request: web.Request, p: Params) -> web.StreamResponse:
    """An LLM-style token stream: chat-completion deltas over SSE, ending with [DONE]."""
    out = await open_stream(request, "text/event-stream", headers=SSE_HEADERS)
    rng = random.Random(int(p["seed"]))
    tokens = llm_tokens()[: int(p["tokens"])]
    created = int(time.time())
    for i, token in enumerate(tokens):
        await asyncio.sleep(rng.uniform(0.5, 1.5) / p["tps"])
        delta = {"role": "assistant", "content": token} if i == 0 else {"content": token}
        chunk = {
            "id": "chatcmpl-demo",
            "object": "chat.completion.chunk",
            "created": created,
            "model": "explorer-demo",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        }
        await out.write(f"data: {json.dumps(chunk)}\n\n")
    final = {"id": "chatcmpl-demo", "object": "chat.completion.chunk", "created": created,
             "model": "explorer-demo", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    await out.write(f"data: {json.dumps(final)}\n\n")
    await out.write("data: [DONE]\n\n")
    return await out.finish()


async def gzip_stream(request: web.Request, p: Params) -> web.StreamResponse:
    """Gzip produced live: one sync-flushed piece per line, finished with Z_FINISH.

    `enable_compression()` would buffer until EOF, so we compress ourselves.
    """
    out = await open_stream(request, headers={"Content-Encoding": "gzip"})
    compressor = zlib.compressobj(wbits=31)
    for i in range(int(p["count"])):
        if i:
            await paced_sleep(p)
        line = f"Compressed line {i}: the client sees it as soon as it is flushed\n".encode()
        await out.write(compressor.compress(line) + compressor.flush(zlib.Z_SYNC_FLUSH))
    await out.write(compressor.flush(zlib.Z_FINISH))
    return await out.finish()


async def drip(request: web.Request, p: Params) -> web.StreamResponse:
    """httpbin's /drip: `numbytes` asterisks spread over `duration`, with a Content-Length."""
    await asyncio.sleep(p["delay"])
    numbytes = int(p["numbytes"])
    response = web.StreamResponse(status=int(p["code"]))
    response.content_type = "application/octet-stream"
    response.content_length = numbytes
    request[STREAM] = None
    await response.prepare(request)
    pause = p["duration"] / numbytes if numbytes else 0
    for i in range(numbytes):
        if i and pause:
            await asyncio.sleep(pause)
        await response.write(b"*")
    await response.write_eof()
    return response


async def stream_n(request: web.Request, p: Params) -> web.StreamResponse:
    """httpbin's /stream/{n}: n JSON lines describing the request."""
    out = await open_stream(request, "application/json")
    base = {
        "url": str(request.url),
        "args": dict(request.query),
        "headers": dict(request.headers),
        "origin": request.remote or "",
    }
    for i in range(int(p["n"])):
        await out.write(json.dumps({**base, "id": i}) + "\n")
    return await out.finish()


async def firehose(request: web.Request, p: Params) -> web.StreamResponse:
    """As fast as the loop allows: `total` bytes (0 = endless) in writes of `size` bytes,
    with a newline ending every `line` bytes (0: one at the end of each write)."""
    out = await open_stream(request, "application/octet-stream", charset=None)
    size, total, line = int(p["size"]), int(p["total"]), int(p["line"]) or int(p["size"])
    text = (b"0123456789abcdef" * (line // 16 + 1))[: line - 1] + b"\n"
    block = (text * (size // line + 1))[:size]
    sent = 0
    while total == 0 or sent < total:
        piece = block if total == 0 or total - sent >= size else block[: total - sent]
        await out.write(piece)
        sent += len(piece)
    return await out.finish()


async def ndjson_firehose(request: web.Request, p: Params) -> web.StreamResponse:
    """NDJSON as fast as the loop allows: `total` bytes of small objects in `size`-byte writes."""
    out = await open_stream(request, "application/x-ndjson")
    size, total = int(p["size"]), int(p["total"])
    lines, length, i = [], 0, 0
    while length < size:
        line = json.dumps({"id": i, "name": f"Item {i}", "ok": i % 2 == 0, "score": i / 4, "tags": ["a", "b"]}) + "\n"
        lines.append(line.encode())
        length += len(lines[-1])
        i += 1
    block = b"".join(lines)
    sent = 0
    while total == 0 or sent < total:
        await out.write(block)
        sent += len(block)
    return await out.finish()


ECHO_MAX_BODY = 1024 * 1024


async def echo(request: web.Request, p: Params) -> web.StreamResponse:
    """The request body streamed back in `size`-byte chunks, with the method and content type first."""
    body = await read_capped(request, ECHO_MAX_BODY)
    out = await open_stream(request)
    await out.write(f"{request.method} {request.content_type} {len(body)} bytes\n")
    for start in range(0, len(body), int(p["size"])):
        await out.write(body[start:start + int(p["size"])])
    return await out.finish()


async def read_capped(request: web.Request, limit: int) -> bytes:
    """The whole request body, or HTTP 413 naming `limit` before any response has started.

    A Content-Length over the limit is refused unread; a chunked body is read
    up to one byte past it.
    """
    too_large = web.HTTPRequestEntityTooLarge(
        limit, text=f"The request body is larger than the {limit}-byte limit of {request.path}.\n"
    )
    if (request.content_length or 0) > limit:
        raise too_large
    body = bytearray()
    while len(body) <= limit:
        piece = await request.content.read(limit + 1 - len(body))
        if not piece:
            break
        body += piece
    if len(body) > limit:
        raise too_large
    return bytes(body)


async def tick(request: web.Request, p: Params) -> web.StreamResponse:
    """NDJSON ticks carrying the server's send time (`sent`, epoch seconds), for stamp accuracy."""
    out = await open_stream(request, "application/x-ndjson")
    await write_paced(out, p, lambda i: json.dumps({"seq": i, "sent": time.time()}) + "\n")
    return await out.finish()


async def endless(request: web.Request, p: Params) -> web.StreamResponse:
    """A counter that never ends: one line per interval until the client leaves."""
    out = await open_stream(request)
    i = 0
    while True:
        await out.write(f"Line {i} at {time.strftime('%H:%M:%S')}\n")
        i += 1
        await paced_sleep(p)
