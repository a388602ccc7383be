"""Handlers for every example of the two aiohttp streaming tutorials.

"Implement Stream Responses with aiohttp" and "Using Chunked Transfer
Encoding with aiohttp", each example turned into a live endpoint whose knobs
are query parameters. Every `write()` here is exactly one HTTP chunk.
"""

from __future__ import annotations

import asyncio
import json
import random
import zlib
from typing import AsyncIterator, Callable

import ijson
from aiohttp import web

from .streaming import ChunkStream, open_stream

Params = dict[str, float]


async def paced_sleep(p: Params, rng: random.Random | None = None) -> None:
    """Sleep `interval` plus up to `jitter` seconds."""
    delay = p["interval"]
    if p.get("jitter"):
        delay += (rng or random).uniform(0, p["jitter"])
    await asyncio.sleep(delay)


async def write_paced(out: ChunkStream, p: Params, line: Callable[[int], str]) -> None:
    """Write `line(i)` for i in range(count), one chunk each, `interval` (+ jitter) apart."""
    for i in range(int(p["count"])):
        if i:
            await paced_sleep(p)
        await out.write(line(i))


async def hello(request: web.Request, p: Params) -> web.StreamResponse:
    """'Hello, ' then 'World!' as two writes of one StreamResponse."""
    out = await open_stream(request)
    await out.write("Hello, ")
    await asyncio.sleep(p["interval"])
    await out.write("World!")
    return await out.finish()


async def chunks(request: web.Request, p: Params) -> web.StreamResponse:
    """N chunks `Chunk i` written in a loop with no delay."""
    out = await open_stream(request)
    for i in range(int(p["count"])):
        await out.write(f"Chunk {i}\n")
    return await out.finish()


async def async_chunks(request: web.Request, p: Params) -> web.StreamResponse:
    """N chunks `Async Chunk i` with a delay between them."""
    out = await open_stream(request)
    await write_paced(out, p, lambda i: f"Async Chunk {i}\n")
    return await out.finish()


async def _generate(p: Params) -> AsyncIterator[str]:
    for i in range(int(p["count"])):
        if i:
            await paced_sleep(p)
        yield f"Generated Chunk {i}\n"


async def generated(request: web.Request, p: Params) -> web.StreamResponse:
    """An async generator feeding the response, one chunk per item."""
    out = await open_stream(request)
    async for piece in _generate(p):
        await out.write(piece)
    return await out.finish()


async def ndjson(request: web.Request, p: Params) -> web.StreamResponse:
    """NDJSON objects `{"id": i, "name": "Item i"}`, one per line and chunk."""
    out = await open_stream(request, "application/x-ndjson")
    await write_paced(out, p, lambda i: json.dumps({"id": i, "name": f"Item {i}"}) + "\n")
    return await out.finish()


def sensor_readings(p: Params) -> AsyncIterator[str]:
    """Seeded temperature readings, one per interval."""

    async def readings() -> AsyncIterator[str]:
        rng = random.Random(int(p["seed"]))
        for i in range(int(p["count"])):
            if i:
                await paced_sleep(p, rng)
            yield f"Temperature: {rng.uniform(18.0, 28.0):.2f}°C\n"

    return readings()


async def sensor(request: web.Request, p: Params) -> web.StreamResponse:
    """A simulated temperature sensor, one reading per interval."""
    out = await open_stream(request)
    async for reading in sensor_readings(p):
        await out.write(reading)
    return await out.finish()


async def sensor_zlib(request: web.Request, p: Params) -> web.StreamResponse:
    """The sensor readings, each compressed on its own with `zlib.compress`."""
    out = await open_stream(request, "application/octet-stream", charset=None)
    async for reading in sensor_readings(p):
        await out.write(zlib.compress(reading.encode()))
    return await out.finish()


async def cancellable(request: web.Request, p: Params) -> web.StreamResponse:
    """A long stream meant to be abandoned: the app's guard records how it ended."""
    out = await open_stream(request)
    await write_paced(out, p, lambda i: f"Tick {i}: leave whenever you like\n")
    return await out.finish()


async def rate_limited(request: web.Request, p: Params) -> web.StreamResponse:
    """Output paced by a token bucket: bursts up to `burst`, then `rate` per second."""
    out = await open_stream(request)
    loop = asyncio.get_running_loop()
    rate, burst = p["rate"], p["burst"]
    tokens, last = burst, loop.time()
    for i in range(int(p["count"])):
        now = loop.time()
        tokens = min(burst, tokens + (now - last) * rate)
        last = now
        if tokens < 1:
            await asyncio.sleep((1 - tokens) / rate)
            tokens, last = 1.0, loop.time()
        tokens -= 1
        await out.write(f"Item {i} (bucket {tokens:.2f} left)\n")
    return await out.finish()


def _compare_lines(p: Params) -> list[str]:
    return [f"Line {i}: produced after {i * p['interval']:.2f}s\n" for i in range(int(p["count"]))]


async def compare_chunked(request: web.Request, p: Params) -> web.StreamResponse:
    """Lines streamed as they are produced, each its own chunk."""
    out = await open_stream(request)
    for i, line in enumerate(_compare_lines(p)):
        if i:
            await asyncio.sleep(p["interval"])
        await out.write(line)
    return await out.finish()


async def compare_buffered(request: web.Request, p: Params) -> web.Response:
    """The same lines, held back until all exist, then sent with a Content-Length."""
    lines = _compare_lines(p)
    await asyncio.sleep(p["interval"] * max(0, len(lines) - 1))
    return web.Response(text="".join(lines))


async def json_array(request: web.Request, p: Params) -> web.StreamResponse:
    """A JSON array streamed element by element with explicit chunked encoding."""
    out = await open_stream(request, "application/json")
    await out.write("[")
    for i in range(int(p["count"])):
        await paced_sleep(p)
        prefix = "," if i else ""
        await out.write(prefix + json.dumps({"index": i, "value": i * i, "label": f"element {i}"}))
    await out.write("]\n")
    return await out.finish()


def nested_document(depth: int, breadth: int) -> object:
    """A deterministic nested document used by the recursive writer."""
    if depth <= 0:
        return {"leaf": True, "values": list(range(breadth))}
    return {"depth": depth, "children": [nested_document(depth - 1, breadth) for _ in range(breadth)]}


async def _write_json(out, value: object, delay: float) -> None:  # type: ignore[no-untyped-def]
    """Write `value` recursively, one token group per chunk, pausing between them."""
    if isinstance(value, dict):
        await out.write("{")
        for n, (key, item) in enumerate(value.items()):
            await asyncio.sleep(delay)
            await out.write(("," if n else "") + json.dumps(key) + ":")
            await _write_json(out, item, delay)
        await out.write("}")
    elif isinstance(value, list):
        await out.write("[")
        for n, item in enumerate(value):
            if n:
                await out.write(",")
            await _write_json(out, item, delay)
        await out.write("]")
    else:
        await out.write(json.dumps(value))


async def json_nested(request: web.Request, p: Params) -> web.StreamResponse:
    """A nested JSON document written recursively, token group by token group."""
    out = await open_stream(request, "application/json")
    await _write_json(out, nested_document(int(p["depth"]), int(p["breadth"])), p["interval"])
    await out.write("\n")
    return await out.finish()


SAMPLE_DOCUMENT = {
    "name": "explorer",
    "streams": [
        {"mode": "json", "events": True, "rate": 25.5},
        {"mode": "sse", "events": True, "rate": None},
    ],
    "tags": ["chunked", "timing"],
}


async def ijson_events(request: web.Request, p: Params) -> web.StreamResponse:
    """The ijson events of a sample document, one `prefix event value` line each."""
    out = await open_stream(request)
    document = json.dumps(SAMPLE_DOCUMENT).encode()
    for n, (prefix, event, value) in enumerate(ijson.parse(document, use_float=True)):
        if n:
            await asyncio.sleep(p["interval"])
        await out.write(f"{prefix} {event} {json.dumps(value)}\n")
    return await out.finish()
