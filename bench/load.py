"""The demo server under load: streaming and WebSocket clients, some leaving early.

    python3 bench/load.py [--http 200] [--ws 50] [--leave 0.25]

Runs `explorer serve` in its own process, then: every client that stays must
get complete, correct data; the server's RSS must return near its start; its
stderr must hold no traceback; and with endless streams open it must shut
down within 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time

import aiohttp
import websockets

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import rss_mb

COUNT, INTERVAL = 20, 0.05




async def http_client(session: aiohttp.ClientSession, base: str, leave: bool) -> str:
    async with session.get(f"{base}/ndjson?count={COUNT}&interval={INTERVAL}") as resp:
        lines = []
        async for line in resp.content:
            lines.append(json.loads(line))
            if leave and len(lines) == 3:
                return "left"
    return "ok" if lines == [{"id": i, "name": f"Item {i}"} for i in range(COUNT)] else "BAD"


async def ws_client(base: str, leave: bool) -> str:
    url = base.replace("http://", "ws://") + f"/ws/ticker?count={COUNT}&interval={INTERVAL}"
    async with websockets.connect(url, proxy=None) as ws:
        messages = []
        async for message in ws:
            messages.append(message)
            if leave and len(messages) == 3:
                return "left"
    texts = [json.loads(m)["seq"] for m in messages if isinstance(m, str)]
    ok = len(messages) == COUNT and texts == [i for i in range(COUNT) if i % 4 != 3] and ws.close_code == 1000
    return "ok" if ok else "BAD"


async def load(base: str, pid: int, http: int, ws: int, leave: float) -> None:
    rng = random.Random(1)
    start_rss = rss_mb(pid)
    peak = [start_rss]

    async def watch() -> None:
        while True:
            peak[0] = max(peak[0], rss_mb(pid))
            await asyncio.sleep(0.1)

    watcher = asyncio.create_task(watch())
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(http_client(session, base, rng.random() < leave) for _ in range(http)),
            *(ws_client(base, rng.random() < leave) for _ in range(ws)),
            return_exceptions=True,
        )
        elapsed = time.perf_counter() - started
        await asyncio.sleep(2)
        async with session.get(base + "/events") as resp:
            events = await resp.json()
    watcher.cancel()
    outcomes = [r if isinstance(r, str) else f"error {r!r}" for r in results]
    stayed = [o for o in outcomes if o != "left"]
    print(f"{http} HTTP + {ws} WebSocket clients in {elapsed:.2f} s: "
          f"{outcomes.count('ok')} complete and correct, {outcomes.count('left')} left early, "
          f"{len(stayed) - outcomes.count('ok')} wrong or failed")
    cancelled = sum(1 for e in events if e["outcome"].startswith(("cancelled", "client disconnected")))
    print(f"server event log: {len(events)} streams recorded, {cancelled} ended by a departing client")
    after = rss_mb(pid)
    print(f"server RSS: start {start_rss:.1f} MB, peak {peak[0]:.1f} MB, 2 s after {after:.1f} MB")
    for outcome in sorted(set(outcomes) - {"ok", "left"}):
        print("  failure:", outcome)


async def hold_endless(base: str, n: int) -> list:
    session = aiohttp.ClientSession()
    responses = []
    for _ in range(n):
        resp = await session.get(base + "/endless?interval=0.05")
        await resp.content.readline()
        responses.append(resp)
    return [session, responses]


def main(http: int, ws: int, leave: float) -> None:
    cores = sorted(os.sched_getaffinity(0))
    proc = subprocess.Popen([sys.executable, "-m", "explorer", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=(lambda: os.sched_setaffinity(0, {cores[0]})) if len(cores) > 1 else None)
    base = proc.stdout.readline().split()[4]

    async def run() -> None:
        await load(base, proc.pid, http, ws, leave)
        session, _ = await hold_endless(base, 20)
        started = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        while proc.poll() is None and time.perf_counter() - started < 10:
            await asyncio.sleep(0.01)
        print(f"shutdown with 20 endless streams open: {time.perf_counter() - started:.2f} s, "
              f"exit status {proc.returncode}")
        await session.close()

    asyncio.run(run())
    stderr = proc.stderr.read()
    print("tracebacks in the server's stderr:", stderr.count("Traceback"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--http", type=int, default=200)
    parser.add_argument("--ws", type=int, default=50)
    parser.add_argument("--leave", type=float, default=0.25, help="share of clients that leave after 3 items")
    args = parser.parse_args()
    main(args.http, args.ws, args.leave)
