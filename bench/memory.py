"""RSS over time while explorer ingests endless streams, through `explorer get` and the app headless.

    python3 bench/memory.py [--seconds 30]

Each run is its own process, sampled once a second from /proc. Target
(issue 6): RSS growth under 50 MB after 10 million records, in both faces.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import demo_server_process, rss_mb  # noqa: E402

STREAMS = [
    ("small records", "/firehose?size=65536&line=64&total=0", "lines"),
    ("64 KiB records", "/firehose?size=65536&total=0", "any"),
]




def sample(proc: subprocess.Popen, seconds: float) -> list[float]:
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        samples.append(rss_mb(proc.pid))
        time.sleep(1)
    return samples


def run_get(url: str, mode: str, seconds: float) -> tuple[list[float], int]:
    """`explorer get` writing JSONL to a pipe we only count lines of."""
    proc = subprocess.Popen([sys.executable, "-m", "explorer", "get", url, "--mode", mode, "--format", "jsonl",
                             "--max-time", str(seconds)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines = [0]

    def count() -> None:
        while block := proc.stdout.read(1 << 20):
            lines[0] += block.count(b"\n")

    counter = threading.Thread(target=count, daemon=True)
    counter.start()
    samples = sample(proc, seconds + 5)
    proc.wait()
    counter.join(5)
    return samples, lines[0] - 2  # minus response and end


def run_app(url: str, mode: str, seconds: float) -> tuple[list[float], int]:
    proc = subprocess.Popen([sys.executable, __file__, "--child-app", url, mode, str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    samples = sample(proc, seconds + 10)
    out, _ = proc.communicate(timeout=30)
    return samples, int(out.strip().splitlines()[-1])


async def child_app(url: str, mode: str, seconds: float) -> None:
    """The app headless, streaming for `seconds`, then report the records it showed."""
    from explorer.core import StreamRequest
    from explorer.options import Options
    from explorer.tui.app import ExplorerApp

    app = ExplorerApp(Options(StreamRequest(url, mode=mode, max_time=seconds)), start=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        print(app.main.session.stats.records, flush=True)


def report(face: str, name: str, samples: list[float], records: int) -> None:
    warm = samples[min(10, len(samples) - 1)]  # warm-up: the first ten seconds
    growth = samples[-1] - warm
    trace = " ".join(f"{s:.0f}" for s in samples[::max(1, len(samples) // 12)])
    print(f"{face:<12} {name:<15} {records:>12,} records  RSS after warm-up {warm:6.1f} MB, "
          f"end {samples[-1]:6.1f} MB, growth {growth:+6.1f} MB   [{trace}]")


def main(seconds: float) -> None:
    with demo_server_process() as base:
        for name, path, mode in STREAMS:
            samples, records = run_get(base + path, mode, seconds)
            report("explorer get", name, samples, records)
            samples, records = run_app(base + path, mode, seconds)
            report("app", name, samples, records)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child-app":
        asyncio.run(child_app(sys.argv[2], sys.argv[3], float(sys.argv[4])))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30, help="seconds per run (default 30)")
    main(parser.parse_args().seconds)
