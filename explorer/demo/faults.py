"""Fault endpoints, for demoing how a client copes with a misbehaving server."""

from __future__ import annotations

import asyncio
import socket
import struct

from aiohttp import web

from .streaming import open_stream
from .tutorial import Params, write_paced


class Abandoned(ConnectionError):
    """Raised after a handler deliberately broke its own connection."""


async def _lines_then(request: web.Request, p: Params):  # type: ignore[no-untyped-def]
    out = await open_stream(request)
    await write_paced(out, p, lambda i: f"Line {i} before the fault\n")
    return out


def _transport(request: web.Request) -> asyncio.Transport:
    transport = request.transport
    if transport is None:
        raise Abandoned("client already gone")
    return transport


async def truncated(request: web.Request, p: Params) -> web.StreamResponse:
    """Some good chunks, then a chunk header promising more bytes than ever come."""
    out = await _lines_then(request, p)
    transport = _transport(request)
    # Bypass aiohttp's writer: announce 0x100 bytes, send 12, hang up.
    transport.write(b"100\r\nonly a piece")
    await asyncio.sleep(0.05)
    transport.close()
    raise Abandoned(f"truncated after {out.chunks} chunks")


async def stall(request: web.Request, p: Params) -> web.StreamResponse:
    """Some data, then silence for `stall` seconds, then the rest."""
    out = await _lines_then(request, p)
    await asyncio.sleep(p["stall"])
    await out.write("Line after the stall\n")
    return await out.finish()


async def reset(request: web.Request, p: Params) -> web.StreamResponse:
    """Some data, then a TCP reset (SO_LINGER 0) instead of a clean end."""
    out = await _lines_then(request, p)
    await asyncio.sleep(0.05)
    transport = _transport(request)
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    raise Abandoned(f"reset after {out.chunks} chunks")


async def long_line(request: web.Request, p: Params) -> web.StreamResponse:
    """A short line, one line of `size` bytes without a newline until its end, a short line."""
    out = await open_stream(request)
    await out.write("short line before\n")
    remaining = int(p["size"])
    block = b"x" * 65536
    while remaining > 0:
        piece = block[: min(remaining, len(block))]
        await out.write(piece)
        remaining -= len(piece)
    await out.write("\nshort line after\n")
    return await out.finish()


async def status(request: web.Request, p: Params) -> web.Response:
    """An HTTP error status with a small body, as a failing API would send."""
    code = int(p["code"])
    return web.json_response({"error": f"demo error {code}", "hint": "the body is still shown"}, status=code)
