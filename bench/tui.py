"""The app headless (run_test) against the engine alone on the same stream, plus keypress latency.

    python3 bench/tui.py [--mb 128] [--runs 3] [--line 64]

Targets (issue 4): app at least 0.7 of the engine alone, at least 100,000
records a second, and a keypress handled within 100 ms while ingesting.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from time import perf_counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import demo_server_process
from explorer.core import StreamRequest, open_stream
from explorer.options import Options
from explorer.tui.app import ExplorerApp
from explorer.tui.main_screen import MainScreen


class TimedScreen(MainScreen):
    """The real main screen, noting when each follow-toggle keypress is handled."""

    handled: list[float] = []

    def action_toggle_follow(self) -> None:
        self.handled.append(perf_counter())
        super().action_toggle_follow()


class TimedApp(ExplorerApp):
    def __init__(self, request: StreamRequest) -> None:
        super().__init__(Options(request), start=False)
        self.handled: list[float] = []

    def get_default_screen(self) -> MainScreen:
        screen = TimedScreen(self.options)
        screen.handled = self.handled
        return screen


async def engine_alone(request: StreamRequest) -> tuple[float, int]:
    """The engine feeding a plain list, as the app's worker does."""
    sink: list = []
    start = perf_counter()
    async for record in open_stream(request):
        sink.append(record)
        if len(sink) > 100_000:
            sink.clear()
    return perf_counter() - start, record.summary.records


async def app_run(request: StreamRequest, press_every: float) -> tuple[float, int, list[float]]:
    """Time the app from Start until the end record reaches the screen; press ctrl+f meanwhile."""
    app = TimedApp(request)
    latencies: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        session = app.main.session
        session.warm()
        await asyncio.sleep(1.0)  # the engine process has loaded: what is timed is streaming, not start-up
        start = perf_counter()
        app.main.action_start()
        next_press = start + press_every
        log = app.main.log_widget
        # done once the end record and, after it, the phases note are on screen
        while session.final is None or len(log.rows) < 2 or log.rows[-2] is not session.final:
            await asyncio.sleep(0.005)
            if perf_counter() >= next_press and session.state == "streaming":
                pressed = perf_counter()
                before = len(app.handled)
                await pilot.press("ctrl+f")
                if len(app.handled) > before:
                    latencies.append(app.handled[-1] - pressed)
                next_press = perf_counter() + press_every
        elapsed = perf_counter() - start
        if session.state == "error":
            raise RuntimeError(session.final.summary.error if session.final else "error")
        return elapsed, session.stats.records, latencies


async def main(base: str, mb: int, line: int, runs: int) -> None:
    url = f"{base}/firehose?size=65536&line={line}&total={mb * 1024 * 1024}"
    request = StreamRequest(url, mode="lines")
    best_engine, best_app, all_latencies, records = float("inf"), float("inf"), [], 0
    for _ in range(runs):
        seconds, records = await engine_alone(request)
        best_engine = min(best_engine, seconds)
        seconds, shown, latencies = await app_run(request, press_every=0.2)
        best_app = min(best_app, seconds)
        all_latencies += latencies
        assert shown == records, (shown, records)
    print(f"stream: {mb} MiB of {line}-byte lines = {records:,} line records, lines mode")
    print(f"engine alone : {records / best_engine:>12,.0f} records/s  ({best_engine:.2f} s)")
    print(f"app headless : {records / best_app:>12,.0f} records/s  ({best_app:.2f} s)")
    print(f"ratio app/engine: {best_engine / best_app:.2f}")
    if all_latencies:
        ms = sorted(x * 1000 for x in all_latencies)
        print(f"keypress while ingesting: {len(ms)} presses, median {statistics.median(ms):.1f} ms, "
              f"max {ms[-1]:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=128, help="megabytes per run (default 128)")
    parser.add_argument("--line", type=int, default=64, help="bytes per line (default 64)")
    parser.add_argument("--runs", type=int, default=5, help="best of N interleaved runs (default 5)")
    args = parser.parse_args()
    with demo_server_process(pin_client=False) as base_url:
        asyncio.run(main(base_url, args.mb, args.line, args.runs))
