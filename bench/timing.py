"""Stamp accuracy: how late each face stamps a tick the server sent every 20 ms.

    python3 bench/timing.py [--ticks 250] [--interval 0.02]

The demo server (its own process, pinned to core 0; this process keeps every core) serves `/tick`: NDJSON lines
`{"seq": i, "sent": <time.time() at send>}`. The stamp error of a tick is
its arrival wall time minus `sent`. Arrival wall time is perf_counter mapped
to the wall clock with one `time.time()` anchor per run, as the engine does
(`started_at + t`). Measured in one run, one stream after the other:

1. floor: a raw aiohttp loop, every line of a read stamped when `iter_any()` returns;
2. `explorer get URL --mode lines -o FILE` as its own process (arrival from the capture);
3. the app headless (`run_test`, 120x40), idle, with `-o FILE`;
4. the app's compare screen: ticks on side A while side B renders a firehose of 64-byte lines;
5. the app as in 3 while the terminal is resized every 100 ms.

Gap inflation is, over consecutive ticks, arrival gap minus send gap.

Targets (issue 12): app idle p99 within 1 ms of the raw loop's; app rendering
a firehose on the other side of compare p99 <= 5 ms; no gap inflated by more
than 5 ms while resizing; connect, headers (TTFB) and total in the app within
2 ms of `explorer get`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from itertools import cycle
from pathlib import Path
from time import perf_counter
from typing import Any, Iterable

import aiohttp

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import demo_server_process
from explorer.core import Kind, Record, StreamRequest
from explorer.options import Options
from explorer.tui.app import ExplorerApp
from explorer.tui.compare import CompareScreen, StreamPane
from explorer.tui.widgets.chunk_log import ChunkLog

Tick = tuple[float, float]  # (sent, arrival), epoch seconds
SCRATCH = Path("/tmp/bench-timing")
SIZE = (120, 40)
RESIZES = ((80, 24), (200, 60), (120, 40))
LIMIT = 60.0  # seconds past the expected stream length: only a hang gets here
PHASES = ("connect", "headers", "first_byte", "end after last byte")  # the last: total - last_byte


def tick_sent(line: bytes | str) -> float:
    return float(json.loads(line)["sent"])


def errors_ms(ticks: list[Tick]) -> list[float]:
    return sorted((arrival - sent) * 1000 for sent, arrival in ticks)


def quantile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank quantile of an already sorted list."""
    return sorted_values[min(len(sorted_values) - 1, max(0, round(q * len(sorted_values) + 0.5) - 1))]


def gap_inflation_ms(ticks: list[Tick]) -> float:
    """The largest (arrival gap - send gap) over consecutive ticks."""
    ordered = sorted(ticks)
    return max(((a1 - a0) - (s1 - s0)) * 1000 for (s0, a0), (s1, a1) in zip(ordered, ordered[1:]))


# -- 1. the floor -----------------------------------------------------------------


async def raw_loop(url: str) -> list[Tick]:
    """aiohttp alone: every complete line of a read gets the read's stamp."""
    ticks: list[Tick] = []
    async with aiohttp.ClientSession() as http:
        t0 = perf_counter()
        anchor = time.time()
        async with http.get(url) as response:
            rest = b""
            async for data in response.content.iter_any():
                now = anchor + (perf_counter() - t0)
                *lines, rest = (rest + data).split(b"\n")
                ticks.extend((tick_sent(line), now) for line in lines if line)
    return ticks


# -- captures (the `-o` JSONL contract) ---------------------------------------------


def read_capture(path: Path) -> tuple[list[Tick], dict[str, Any]]:
    """The ticks of a capture (arrival = started_at + t) and its end record."""
    started_at, ticks, final = 0.0, [], None
    for text in path.read_text().splitlines():
        record = json.loads(text)
        if record["kind"] == "response":
            if started_at:
                raise RuntimeError(f"{path} holds more than one stream")
            started_at = record["started_at"]
        elif record["kind"] == "line":
            ticks.append((tick_sent(record["data"]), started_at + record["t"]))
        elif record["kind"] in ("end", "error"):
            final = record
    if final is None or final["kind"] != "end":
        raise RuntimeError(f"{path}: the stream did not end cleanly: {final}")
    return ticks, final


def capture_ended(path: Path) -> bool:
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return False
    return bool(lines) and json.loads(lines[-1])["kind"] in ("end", "error")


async def until(pilot: Any, condition: Any, limit: float) -> None:
    deadline = perf_counter() + limit
    while not condition():
        if perf_counter() > deadline:
            raise RuntimeError("the stream did not end in time (the app hung?)")
        await pilot.pause(0.05)


# -- 2. explorer get, 3. and 5. the app -----------------------------------------------


async def explorer_get(url: str, capture: Path) -> tuple[list[Tick], dict[str, Any]]:
    """The whole `explorer get` process, writing its capture."""
    capture.unlink(missing_ok=True)  # -o appends
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "explorer", "get", url, "--mode", "lines", "-o", str(capture),
        stdout=asyncio.subprocess.DEVNULL)
    if await proc.wait() != 0:
        raise RuntimeError(f"explorer get exited with {proc.returncode}")
    return read_capture(capture)


async def app_alone(url: str, capture: Path, limit: float, resize: bool = False) -> tuple[list[Tick], dict[str, Any]]:
    """The real app with `-o`, idle or resized every 100 ms, until its capture ends."""
    capture.unlink(missing_ok=True)  # -o appends
    app = ExplorerApp(Options(StreamRequest(url, mode="lines"), output=str(capture)), start=True)
    async with app.run_test(size=SIZE) as pilot:
        resizer = asyncio.create_task(keep_resizing(pilot)) if resize else None
        try:
            await until(pilot, lambda: capture_ended(capture), limit)
        finally:
            if resizer is not None:
                resizer.cancel()
    return read_capture(capture)


async def keep_resizing(pilot: Any) -> None:
    """Resize the terminal every 100 ms (on a fixed schedule) until cancelled."""
    start = perf_counter()
    for n, size in enumerate(cycle(RESIZES), 1):
        await asyncio.sleep(max(0.0, start + n * 0.1 - perf_counter()))
        await pilot.resize_terminal(*size)


# -- 4. compare: ticks on side A, a firehose on side B ------------------------------------


def side_records(pane: StreamPane) -> tuple[float | None, list[Record], Record | None]:
    """What a compare pane holds: its response's started_at, its log's records, its end or error record.

    The only place this bench reaches into the app's internals (no `-o` on compare panes).
    """
    response = pane.session.response
    started_at = response.response.started_at if response is not None else None
    records = [row for row in pane.query_one(ChunkLog).rows if isinstance(row, Record)]
    final = next((r for r in reversed(records[-3:]) if r.kind in (Kind.END, Kind.ERROR)), None)
    return started_at, records, final


async def app_compare(tick_url: str, firehose_url: str, limit: float) -> list[Tick]:
    compare = (Options(StreamRequest(tick_url, mode="lines")), Options(StreamRequest(firehose_url, mode="lines")))
    app = ExplorerApp(compare=compare)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CompareScreen), 10.0)
        pane = app.screen.query_one("#side-a", StreamPane)
        await until(pilot, lambda: side_records(pane)[2] is not None, limit)
        started_at, records, final = side_records(pane)
        firehose = app.screen.query_one("#side-b", StreamPane).session.stats.records
    if started_at is None or final is None or final.kind is not Kind.END:
        raise RuntimeError(f"compare side A did not end cleanly: {final and final.value}")
    if not firehose:
        raise RuntimeError("compare side B received nothing: no firehose to render")
    return [(tick_sent(r.data), started_at + r.t) for r in records if r.kind is Kind.LINE and r.data]


# -- the run ------------------------------------------------------------------------------


def phase_value(end: dict[str, Any], phase: str) -> float | None:
    """A phase of an end record; the total less the last byte is what the client adds to the server's pace."""
    phases = end["phases"]
    if phase == "end after last byte":
        total, last = phases.get("total"), phases.get("last_byte")
        return None if total is None or last is None else total - last
    return phases.get(phase)


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.2f}"


def report(rows: Iterable[tuple[str, list[Tick]]], expected: int) -> dict[str, tuple[float, float, float]]:
    """Print p50/p99/max stamp error and gap inflation per scenario; return the figures."""
    print(f"{'scenario':<34}{'ticks':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'p99-floor':>11}{'max gap+ ms':>13}")
    figures: dict[str, tuple[float, float, float]] = {}
    floor_p99 = 0.0
    for name, ticks in rows:
        errors = errors_ms(ticks)
        p50, p99, worst = quantile(errors, 0.5), quantile(errors, 0.99), errors[-1]
        floor_p99 = floor_p99 if figures else p99
        figures[name] = (p99, p99 - floor_p99, gap_inflation_ms(ticks))
        missing = "" if len(ticks) == expected else f"  ({expected - len(ticks)} missing)"
        print(f"{name:<34}{len(ticks):>6}{p50:>9.2f}{p99:>9.2f}{worst:>9.2f}{p99 - floor_p99:>11.2f}"
              f"{figures[name][2]:>13.2f}{missing}")
    return figures


async def main(base: str, count: int, interval: float) -> None:
    SCRATCH.mkdir(parents=True, exist_ok=True)
    tick_url = f"{base}/tick?count={count}&interval={interval}"
    firehose_url = f"{base}/firehose?size=65536&line=64&total=0"
    limit = count * interval + LIMIT
    began = perf_counter()
    print(f"{count} ticks {interval * 1000:g} ms apart per scenario; stamp error = arrival - sent, "
          "arrival = perf_counter on one time.time() anchor")
    floor = await raw_loop(tick_url)
    get_ticks, get_end = await explorer_get(tick_url, SCRATCH / "get.jsonl")
    idle_ticks, idle_end = await app_alone(tick_url, SCRATCH / "app-idle.jsonl", limit)
    compare_ticks = await app_compare(tick_url, firehose_url, limit)
    resize_ticks, _ = await app_alone(tick_url, SCRATCH / "app-resize.jsonl", limit, resize=True)
    figures = report([("raw aiohttp loop (floor)", floor), ("explorer get (own process)", get_ticks),
                      ("app idle", idle_ticks), ("app, compare beside a firehose", compare_ticks),
                      ("app, resized every 100 ms", resize_ticks)], count)

    print(f"\n{'phase (ms)':<14}{'explorer get':>14}{'app idle':>12}{'app - get':>12}")
    worst_phase = 0.0
    for phase in PHASES:
        a, b = phase_value(get_end, phase), phase_value(idle_end, phase)
        diff = None if a is None or b is None else b - a
        worst_phase = max(worst_phase, abs(diff or 0.0))
        print(f"{phase:<14}{ms(a):>14}{ms(b):>12}{ms(diff):>12}")

    def check(ok: bool) -> str:
        return "ok  " if ok else "MISS"

    print("\ntargets")
    idle, fire, resize = figures["app idle"], figures["app, compare beside a firehose"], \
        figures["app, resized every 100 ms"]
    print(f"  {check(idle[1] <= 1.0)} app idle p99 within 1 ms of the floor's: {idle[1]:+.2f} ms")
    print(f"  {check(fire[0] <= 5.0)} compare beside a firehose p99 <= 5 ms: {fire[0]:.2f} ms")
    print(f"  {check(resize[2] <= 5.0)} no gap inflated by more than 5 ms while resizing: {resize[2]:.2f} ms")
    print(f"  {check(worst_phase * 1000 <= 2.0)} phases within 2 ms of explorer get: worst {worst_phase * 1000:.2f} ms")
    print(f"\nrun took {perf_counter() - began:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ticks", type=int, default=250, help="ticks per scenario (default 250)")
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between ticks (default 0.02)")
    args = parser.parse_args()
    with demo_server_process(pin_client=False) as base_url:
        asyncio.run(main(base_url, args.ticks, args.interval))
