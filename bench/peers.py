"""`explorer get` against the tools people already use, as whole processes on the same streams.

    python3 bench/peers.py [--repeats 5] [--mb 512] [--lines 200000] [--messages 100000]

Each stream comes from a separate-process demo server (`bench/common.py`: the
server on the first core, the clients on the second). Per stream, every
installed peer and `explorer get` run alternately, stdout to /dev/null; each run
is timed from process start to exit, with its CPU time (user + system, from
`wait4`). Prints each tool's rate and CPU per unit, and explorer's ratio to each
peer (above 1: explorer is faster) as min, median and max over the repeats.

Peers, where installed: curl (`-sN`, bytes), HTTPie (`--stream`, lines), and
for WebSocket messages websocat (`-n -U`) or, where websocat has no package,
npm's wscat (`WSCAT=/path/to/wscat`, or on PATH). Beside curl runs a bare
aiohttp read loop as its own process: the floor of any client built on aiohttp.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import demo_server_process

EXPLORER = [sys.executable, "-m", "explorer", "get"]
# Not a peer but the floor of any aiohttp client: its own read loop, as a process, dropping every read.
AIOHTTP_LOOP = """
import asyncio, sys, aiohttp

async def main(url):
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
        async with session.get(url) as response:
            async for _ in response.content.iter_any():
                pass
asyncio.run(main(sys.argv[1]))
"""


@dataclass
class Run:
    seconds: float
    cpu: float  # user + system seconds of the process


def measure(argv: list[str]) -> Run:
    """One whole process, stdout to /dev/null and stdin held open (wscat ends at EOF on stdin; HTTPie is told
    to ignore it)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.stdin:
        proc.stdin.close()
    if proc.returncode:
        raise RuntimeError(f"{argv[:3]} exited {proc.returncode}: {err.decode(errors='replace')[-400:]}")
    return Run(seconds, usage.ru_utime + usage.ru_stime)


def spread(values: list[float]) -> str:
    return f"min {min(values):6.2f}  median {statistics.median(values):6.2f}  max {max(values):6.2f}"


def compare(title: str, units: int, unit: tuple[str, str], explorer: list[str], peers: dict[str, list[str]],
            repeats: int) -> None:
    """Alternate explorer and each peer `repeats` times; print rates, CPU per unit and ratios."""
    if not peers:
        print(f"{title}: no peer installed, skipped")
        return
    runs: dict[str, list[Run]] = {"explorer get": [], **{name: [] for name in peers}}
    for _ in range(repeats):
        runs["explorer get"].append(measure(explorer))
        for name, argv in peers.items():
            runs[name].append(measure(argv))
    many, one = unit
    print(f"{title}: {units:,} {many} per run, {repeats} runs each")
    for name, done in runs.items():
        rates = [units / run.seconds for run in done]
        cpu = [run.cpu / units * 1e6 for run in done]
        print(f"  {name:<14} {statistics.median(rates):>14,.0f} {many}/s   CPU {statistics.median(cpu):7.2f} us/"
              f"{one}   (rate {min(rates):,.0f} to {max(rates):,.0f})")
    for name in peers:
        speed = [peer.seconds / ours.seconds for ours, peer in zip(runs["explorer get"], runs[name])]
        cpu = [ours.cpu / peer.cpu for ours, peer in zip(runs["explorer get"], runs[name])]
        print(f"  explorer rate / {name:<8} {spread(speed)}")
        print(f"  explorer CPU / {name:<9} {spread(cpu)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="runs of each tool per stream (default 5)")
    parser.add_argument("--mb", type=int, default=2048, help="MiB of the bytes stream (default 2048)")
    parser.add_argument("--lines", type=int, default=200_000, help="64-byte lines (default 200,000)")
    parser.add_argument("--messages", type=int, default=100_000, help="WebSocket messages (default 100,000)")
    args = parser.parse_args()
    curl, http = shutil.which("curl"), shutil.which("http")
    websocat, wscat = shutil.which("websocat"), os.environ.get("WSCAT") or shutil.which("wscat")
    with demo_server_process() as base:
        total = args.mb * 1024 * 1024
        reads = f"{base}/firehose?size=65536&total={total}"
        peers = {"curl -sN": [curl, "-sN", reads]} if curl else {}
        peers["aiohttp loop"] = [sys.executable, "-c", AIOHTTP_LOOP, reads]
        compare("bytes (64 KiB writes), explorer text output in any mode", args.mb, ("MiB", "MiB"),
                EXPLORER + [reads, "-m", "any"], peers, args.repeats)
        lines = f"{base}/firehose?size=65536&line=64&total={args.lines * 64}"
        httpie = {"HTTPie": [http, "--ignore-stdin", "--stream", "--print=b", "GET", lines]} if http else {}
        compare("64-byte lines, explorer text output in lines mode", args.lines, ("lines", "line"),
                EXPLORER + [lines, "-m", "lines"], httpie, args.repeats)
        ticker = base.replace("http://", "ws://") + f"/ws/ticker?count={args.messages}&interval=0"
        peers = {}
        if websocat:
            peers["websocat"] = [websocat, "-n", "-U", ticker]
        elif wscat:
            peers["wscat"] = [wscat, "-c", ticker]
        compare("WebSocket ticker, explorer text output", args.messages, ("messages", "message"),
                EXPLORER + [ticker], peers, args.repeats)


if __name__ == "__main__":
    main()
