"""The engine and the demo server run on loops of their own: a busy UI cannot delay a stamp."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest

from explorer.core import StreamRequest
from explorer.demo import BackgroundDemoServer
from explorer.loop_thread import LoopThread

from .apps import app_for, until, until_ended

BLOCK = 0.3  # seconds the UI thread is held


def capture_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def test_records_keep_flowing_while_the_ui_thread_is_blocked(tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    async with BackgroundDemoServer() as server:
        request = StreamRequest(server.url + "/tick?count=50&interval=0.02", mode="lines")
        app = app_for(request, output=str(capture))
        async with app.run_test() as pilot:
            session = app.main.session
            await until(pilot, lambda: session.stats.records >= 3)
            before = len(capture_lines(capture))
            blocked_from = time.perf_counter()
            time.sleep(BLOCK)  # the UI thread does nothing else meanwhile: no flush, no frame
            blocked_to = time.perf_counter()
            during = len(capture_lines(capture))
            origin = session.timing.origin
            await until_ended(pilot)
            assert session.state == "done"
    assert origin is not None
    assert during > before  # the engine wrote the capture while the UI could not run
    lines = [r for r in capture_lines(capture) if r["kind"] == "line"]
    assert [r["seq"] for r in lines] == list(range(50))
    inside = [r for r in lines if blocked_from - origin <= r["t"] <= blocked_to - origin]
    assert len(inside) >= 2  # stamped while the UI was held, not when it woke
    assert max(r["gap"] for r in lines[1:]) < BLOCK  # no stamp waited for the UI


async def test_the_demo_server_paces_from_its_own_thread() -> None:
    """The demo's handlers run on the server's thread, not on the loop that started it."""
    async with BackgroundDemoServer() as server:
        seen: list[str] = []
        server.event_log.subscribe(lambda event: seen.append(threading.current_thread().name))
        reader, writer = await asyncio.open_connection("127.0.0.1", server.server.port)
        writer.write(b"GET /chunks?count=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        body = await reader.read()
        writer.close()
        await until_true(lambda: bool(seen))
    assert body.startswith(b"HTTP/1.1 200")
    assert seen and all(name == "explorer-demo" for name in seen)
    assert not server.running


async def until_true(condition, limit: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(limit / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


async def test_cancelling_the_waiter_cancels_the_work_on_the_other_loop() -> None:
    thread = LoopThread("test-loop")
    ended = threading.Event()
    started = threading.Event()

    async def work() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        finally:
            ended.set()

    waiter = asyncio.ensure_future(thread.run(work()))
    await asyncio.to_thread(started.wait, 30)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert await asyncio.to_thread(ended.wait, 30)
    assert await thread.run(asyncio.sleep(0, result="again")) == "again"  # the loop goes on
    thread.stop()
    assert thread._thread is None


async def test_stopping_the_thread_ends_what_still_runs() -> None:
    thread = LoopThread("test-loop")
    ended = threading.Event()

    async def endless() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            ended.set()

    future = thread.submit(endless())
    await asyncio.to_thread(thread.stop)
    assert ended.is_set() and future.cancelled()
