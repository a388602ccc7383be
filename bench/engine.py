"""The engine against the raw library loop on the same demo stream, in one run.

    python3 bench/engine.py [--mb 256] [--runs 3] [--modes lines,chunked]

Prints throughput of each pair and the ratio engine / raw. Targets (issue 3):
any, chunked(1024), wire and ws at least 0.8; lines at least 3x aiohttp's own
line iteration; json at least 0.6 of ijson fed the same reads directly.
Issue 15 raises two: lines at least 5x, chunked(1024) at least 0.95.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import aiohttp
import ijson
import websockets

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import demo_server_process, interleaved
from explorer.core import StreamRequest, open_stream

MODES = ("any", "chunked", "wire", "lines", "json", "ws")


async def engine(url: str, mode: str, **options: object) -> int:
    """Consume every record, as cheaply as the raw loops consume theirs; return the data units."""
    record = None
    async for item in open_stream(StreamRequest(url, mode=mode, **options)):  # type: ignore[arg-type]
        record = item
    if record is None or record.kind != "end":
        raise RuntimeError(f"stream failed: {record}")
    return record.summary.events or record.summary.records


async def raw_http(url: str, how: str) -> int:
    count = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
        async with session.get(url) as resp:
            content = resp.content
            if how == "any":
                async for _ in content.iter_any():
                    count += 1
            elif how == "chunked":
                async for _ in content.iter_chunked(1024):
                    count += 1
            elif how == "wire":
                async for _, end in content.iter_chunks():
                    count += end
            elif how == "lines":
                async for _ in content:
                    count += 1
            elif how == "json":
                events = ijson.sendable_list()
                parser = ijson.parse_coro(events, multiple_values=True)  # exact numbers, as the engine
                async for data in content.iter_any():
                    parser.send(data)
                    count += len(events)
                    del events[:]
                parser.close()
                count += len(events)
    return count


async def raw_ws(url: str) -> int:
    count = 0
    async with websockets.connect(url, proxy=None, max_size=16 * 1024 * 1024, ping_interval=None) as ws:
        async for _ in ws:
            count += 1
    return count


async def main(base: str, mb: int, runs: int, modes: set[str] | None = None) -> None:
    total = mb * 1024 * 1024
    firehose = f"{base}/firehose?size=65536&total={total}"
    lines = f"{base}/firehose?size=65536&line=64&total={total // 16}"
    ndjson = f"{base}/firehose/ndjson?size=65536&total={total // 64}"
    ticker = base.replace("http://", "ws://") + "/ws/ticker?count=100000&interval=0"
    pairs = [
        ("any", "bytes", total, lambda: raw_http(firehose, "any"), lambda: engine(firehose, "any")),
        ("chunked(1024)", "bytes", total, lambda: raw_http(firehose, "chunked"), lambda: engine(firehose, "chunked")),
        ("wire", "bytes", total, lambda: raw_http(firehose, "wire"), lambda: engine(firehose, "wire")),
        ("lines (vs aiohttp readline)", "bytes", total // 16, lambda: raw_http(lines, "lines"),
         lambda: engine(lines, "lines")),
        ("json (vs ijson direct)", "bytes", total // 64, lambda: raw_http(ndjson, "json"),
         lambda: engine(ndjson, "json")),
        ("ws", "messages", 100_000, lambda: raw_ws(ticker), lambda: engine(ticker, "ws")),
    ]
    if modes is not None:
        pairs = [pair for pair in pairs if pair[0].split(" ")[0].split("(")[0] in modes]
    print(f"ijson backend: {ijson.backend}, aiohttp {aiohttp.__version__}, websockets {websockets.__version__}")
    print(f"{'mode':<30}{'raw':>16}{'engine':>16}{'ratio':>8}")
    for name, unit, amount, raw, ours in pairs:
        (raw_s, raw_n), (our_s, our_n) = await interleaved(runs, raw, ours)
        if unit == "bytes":
            raw_rate, our_rate = f"{amount / raw_s / 1e6:.0f} MB/s", f"{amount / our_s / 1e6:.0f} MB/s"
        else:
            raw_rate, our_rate = f"{amount / raw_s / 1e3:.0f} k/s", f"{amount / our_s / 1e3:.0f} k/s"
        print(f"{name:<30}{raw_rate:>16}{our_rate:>16}{raw_s / our_s:>8.2f}   ({raw_n} vs {our_n} units)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=1024, help="megabytes per any/chunked/wire run (default 1024)")
    parser.add_argument("--runs", type=int, default=5, help="best of N interleaved runs (default 5)")
    parser.add_argument("--modes", help=f"comma-separated modes to run (default all: {','.join(MODES)})")
    args = parser.parse_args()
    chosen = set(args.modes.split(",")) if args.modes else None
    if chosen is not None and not chosen <= set(MODES):
        parser.error(f"unknown modes: {', '.join(sorted(chosen - set(MODES)))} (known: {', '.join(MODES)})")
    with demo_server_process() as base_url:
        asyncio.run(main(base_url, args.mb, args.runs, chosen))
