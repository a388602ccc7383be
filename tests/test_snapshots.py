"""A few SVG snapshots of the real app streaming from the real demo server."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Iterator

import pytest

from explorer.core import StreamRequest
from explorer.demo import DemoServer

from .apps import until_ended
from .deterministic import FIXED_URL, DeterministicApp, recorded_ndjson

SIZE = (120, 40)


@pytest.fixture(scope="module")
def demo_thread() -> Iterator[str]:
    """The demo server in its own thread and loop (snap_compare tests are synchronous)."""
    loop = asyncio.new_event_loop()
    server = DemoServer()
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started.wait(5)
    yield server.url
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


async def until_done(pilot) -> None:  # type: ignore[no-untyped-def]
    await until_ended(pilot)
    await pilot.pause(0.1)  # one more flush draws the status line


NDJSON = [f'{{"id": {i}, "name": "Item {i}"}}\n'.encode() for i in range(6)]


def test_json_mode_on_ndjson(snap_compare) -> None:
    """A recorded stream: one read per line, which a live stream cannot promise (reads may merge)."""
    path = "/ndjson?count=6&interval=0.01"
    app = DeterministicApp(StreamRequest(FIXED_URL + path, mode="json"), FIXED_URL + path, recorded_ndjson(NDJSON))
    assert snap_compare(app, terminal_size=SIZE, run_before=until_done)


def test_wire_mode_chunk_framing(snap_compare, demo_thread: str) -> None:
    path = "/chunks?count=8"
    app = DeterministicApp(StreamRequest(demo_thread + path, mode="wire"), FIXED_URL + path)
    assert snap_compare(app, terminal_size=SIZE, run_before=until_done)


def test_refused_connection_error(snap_compare) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = DeterministicApp(StreamRequest(f"http://127.0.0.1:{port}/"), f"{FIXED_URL}/")
    assert snap_compare(app, terminal_size=SIZE, run_before=until_done)
