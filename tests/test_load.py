"""A smaller load check: many clients at once, some leaving, against the in-process demo server."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time

import aiohttp
import pytest
import websockets

from explorer.demo import DemoServer


async def test_many_clients_some_leaving(demo: DemoServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rng = random.Random(3)

    async def http_client(session: aiohttp.ClientSession, leave: bool) -> str:
        async with session.get(demo.url + "/ndjson?count=10&interval=0.02") as resp:
            items = []
            async for line in resp.content:
                items.append(json.loads(line))
                if leave and len(items) == 2:
                    return "left"
        return "ok" if [i["id"] for i in items] == list(range(10)) else "bad"

    async def ws_client(leave: bool) -> str:
        async with websockets.connect(demo.url.replace("http", "ws") + "/ws/ticker?count=10&interval=0.02",
                                      proxy=None) as ws:
            got = []
            async for message in ws:
                got.append(message)
                if leave and len(got) == 2:
                    return "left"
        return "ok" if len(got) == 10 and ws.close_code == 1000 else "bad"

    leaving = [rng.random() < 0.3 for _ in range(50)]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        results = await asyncio.gather(*(http_client(session, leave) for leave in leaving[:40]),
                                       *(ws_client(leave) for leave in leaving[40:]))
    assert results.count("bad") == 0
    assert results.count("left") == sum(leaving) and results.count("ok") == 50 - sum(leaving)
    deadline = time.monotonic() + 10
    while True:
        events = demo.event_log.snapshot()
        left = [e for e in events if e["outcome"] != "completed"]
        completed = [e for e in events if e["outcome"] == "completed"]
        if len(left) + len(completed) >= 40 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.02)
    assert len(completed) == leaving[:40].count(False)
    assert len(left) == sum(leaving[:40])
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    started = time.perf_counter()
    await demo.stop()
    assert time.perf_counter() - started < 15  # prompt: no waiting out aiohttp's 60 s shutdown timeout
