"""What the demo server refuses: bodiless statuses with a body, oversized echo
bodies, slow request heads, foreign Host names and foreign WebSocket origins.

Raw sockets where a client library would hide the bytes; every wait has a
generous limit that only catches a hang.
"""

from __future__ import annotations

import asyncio
import json
from typing import AsyncIterator

import aiohttp
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from explorer.demo import DemoServer
from explorer.demo.extras import ECHO_MAX_BODY

HANG = 30  # seconds: far past any timeout under test
QUICK = 2.0  # the head timeout of the `quick` server


async def exchange(port: int, request: bytes, body: bytes = b"") -> bytes:
    """Send `request` (and `body`) on a fresh connection; everything received until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request + body)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), HANG)
    finally:
        writer.close()


def head(path: str, host: str | None, *lines: str, method: str = "GET") -> bytes:
    fields = ([f"Host: {host}"] if host is not None else []) + [*lines, "Connection: close"]
    return (f"{method} {path} HTTP/1.1\r\n" + "".join(f"{f}\r\n" for f in fields) + "\r\n").encode()


def status_of(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


def body_of(raw: bytes) -> bytes:
    return raw.partition(b"\r\n\r\n")[2]


@pytest.fixture
async def quick() -> AsyncIterator[DemoServer]:
    """A demo server that gives a request head two seconds: short for a test, long past how late a loaded
    machine serves a request that was sent whole (the timer starts when the connection is made)."""
    async with DemoServer(head_timeout=QUICK) as server:
        yield server


# /drip?code=


@pytest.mark.parametrize("code", [100, 101, 199, 204, 304])
async def test_drip_refuses_statuses_that_cannot_carry_a_body(demo: DemoServer, code: int) -> None:
    raw = await exchange(demo.port, head(f"/drip?code={code}&numbytes=3&duration=0", f"127.0.0.1:{demo.port}"))
    assert status_of(raw) == 400, raw[:200]
    text = body_of(raw).decode()
    assert "Parameter 'code' must be between 200 and 599 except 204 and 304" in text, text
    assert f"got {code}." in text


@pytest.mark.parametrize("code", [200, 404, 500])
async def test_drip_still_sends_other_statuses_with_their_body(demo_url: str, code: int) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(demo_url + f"/drip?code={code}&numbytes=3&duration=0") as resp:
            assert resp.status == code
            assert await resp.read() == b"***"


async def test_catalog_lists_the_refused_drip_codes(demo_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(demo_url + "/") as resp:
            entries = await resp.json()
    code = next(e for e in entries if e["route"] == "/drip")["params"]["code"]
    assert code["min"] == 200 and code["exclude"] == [204, 304]


# /echo body limit


async def test_echo_refuses_a_content_length_over_the_limit_before_answering(demo: DemoServer) -> None:
    size = 2 * 1024 * 1024
    raw = await exchange(demo.port, head("/echo", "127.0.0.1", f"Content-Length: {size}", method="POST"),
                         b"x" * size)
    assert raw.startswith(b"HTTP/1.1 413 "), raw[:200]
    assert str(ECHO_MAX_BODY).encode() in body_of(raw)


def chunked(body: bytes, piece: int = 64 * 1024) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i:i + piece]), body[i:i + piece]) for i in range(0, len(body), piece)]
    return b"".join(parts) + b"0\r\n\r\n"


async def test_echo_refuses_a_chunked_body_over_the_limit_with_413_not_200(demo: DemoServer) -> None:
    raw = await exchange(demo.port, head("/echo", "127.0.0.1", "Transfer-Encoding: chunked", method="POST"),
                         chunked(b"x" * (2 * 1024 * 1024)))
    assert raw.startswith(b"HTTP/1.1 413 "), raw[:200]
    assert str(ECHO_MAX_BODY).encode() in body_of(raw) and b"200" not in raw.split(b"\r\n", 1)[0]


async def test_echo_takes_a_chunked_body_of_exactly_the_limit(demo_url: str) -> None:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(16):
            yield b"y" * (ECHO_MAX_BODY // 16)

    async with aiohttp.ClientSession() as session:
        async with session.post(demo_url + "/echo?size=65536", data=body()) as resp:
            assert resp.status == 200
            data = await resp.read()
    assert data.startswith(f"POST application/octet-stream {ECHO_MAX_BODY} bytes\n".encode())
    assert len(data) == data.index(b"\n") + 1 + ECHO_MAX_BODY


# request head timeout


async def test_a_half_sent_request_head_is_disconnected_after_the_head_timeout(quick: DemoServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", quick.port)
    try:
        writer.write(b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), HANG) == b""  # closed, no answer
    finally:
        writer.close()


async def test_a_trickled_head_after_a_first_request_is_disconnected_too(quick: DemoServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", quick.port)

    async def trickle() -> None:
        for byte in b"GET /hello HTTP/1.1\r\nX-Slow: " + b"a" * 10_000:
            writer.write(bytes([byte]))
            await asyncio.sleep(0.05)

    trickling = asyncio.create_task(trickle())
    try:
        writer.write(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received = await asyncio.wait_for(reader.read(), HANG)
        assert received.startswith(b"HTTP/1.1 200 ") and received.count(b"HTTP/1.1") == 1
    finally:
        trickling.cancel()
        writer.close()


async def test_streams_and_websockets_outlive_the_head_timeout(quick: DemoServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(quick.url + "/tick?count=6&interval=0.5") as resp:  # 2.5 s, past QUICK
            ticks = [json.loads(line) for line in (await resp.read()).splitlines()]
    assert [t["seq"] for t in ticks] == [0, 1, 2, 3, 4, 5]
    async with websockets.connect(quick.url.replace("http", "ws") + "/ws/echo", proxy=None) as ws:
        await ws.send("one")
        assert await ws.recv() == "one"
        await asyncio.sleep(QUICK + 0.5)
        await ws.send("two")
        assert await ws.recv() == "two"


# Host


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example", "", "a@127.0.0.1"])
async def test_a_foreign_host_is_refused_with_421(demo: DemoServer, host: str) -> None:
    raw = await exchange(demo.port, head("/hello", host.format(port=demo.port)))
    assert status_of(raw) == 421, raw[:200]
    text = body_of(raw).decode()
    assert "does not name this demo server" in text and text.endswith(".\n")
    assert any(e["outcome"].startswith("refused 421") for e in demo.event_log.snapshot())


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "[::1]:{port}", "127.0.0.1"])
async def test_a_loopback_host_is_served(demo: DemoServer, host: str) -> None:
    raw = await exchange(demo.port, head("/stream/1", host.format(port=demo.port)))
    assert status_of(raw) == 200, raw[:200]


async def test_a_request_without_host_is_served(demo: DemoServer) -> None:
    raw = await exchange(demo.port, b"GET /stream/1 HTTP/1.0\r\n\r\n")  # HTTP/1.0: no chunks, ends at close
    assert status_of(raw) == 200, raw[:200]
    assert json.loads(body_of(raw))["id"] == 0


async def test_a_server_opened_up_serves_any_host_but_still_checks_origin() -> None:
    async with DemoServer("0.0.0.0") as server:
        raw = await exchange(server.port, head("/stream/1", "evil.example"))
        assert status_of(raw) == 200, raw[:200]
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(f"ws://127.0.0.1:{server.port}/ws/echo", origin="http://evil.example",
                                     proxy=None)
        assert refused.value.response.status_code == 403


# WebSocket Origin


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1.evil.example", "null",
                                    "file://", "http://localhost@evil.example"])
async def test_a_websocket_from_a_foreign_origin_is_refused_before_the_upgrade(demo: DemoServer, origin: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(demo.url.replace("http", "ws") + "/ws/echo", origin=origin, proxy=None)
    response = refused.value.response
    assert response.status_code == 403 and "Upgrade" not in response.headers
    assert b"WebSocket Origin" in response.body


@pytest.mark.parametrize("origin", [None, "http://127.0.0.1:{port}", "http://localhost:{port}", "http://[::1]:{port}"])
async def test_a_websocket_without_origin_or_from_loopback_is_upgraded(demo: DemoServer, origin: str | None) -> None:
    kwargs = {"origin": origin.format(port=demo.port)} if origin else {}
    async with websockets.connect(demo.url.replace("http", "ws") + "/ws/echo", proxy=None, **kwargs) as ws:
        await ws.send("hi")
        assert await ws.recv() == "hi"
