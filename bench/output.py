"""`explorer get` output (JSONL and text) against the engine alone and HTTPie, as whole processes.

    python3 bench/output.py [--lines 1000000] [--mb 1024] [--runs 3]

Every contender is its own process reading the same stream of a separate-process
demo server (`bench/common.py`), stdout to /dev/null, alternating runs, best of
`--runs`. The engine alone is a process that imports the same engine and drops
every record: the rate `explorer get` would have if writing cost nothing.
Targets (issue 15), 64-byte lines: JSONL and text at least 0.5 of the engine
alone and at least 10x HTTPie `--stream`; 64 KiB reads: JSONL at least 0.8 of
the engine's bytes per second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import demo_server_process, interleaved_commands

ENGINE_ONLY = """
import asyncio, sys
from explorer.core import StreamRequest, open_stream

async def main(url, mode):
    last = None
    async for last in open_stream(StreamRequest(url, mode=mode)):
        pass
    assert last is not None and last.kind == "end", last
asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def explorer_get(url: str, mode: str, fmt: str) -> list[str]:
    return [sys.executable, "-m", "explorer", "get", url, "-m", mode, "--format", fmt]


def engine_alone(url: str, mode: str) -> list[str]:
    return [sys.executable, "-c", ENGINE_ONLY, url, mode]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000, help="64-byte lines per run (default 1,000,000)")
    parser.add_argument("--mb", type=int, default=1024, help="MiB of 64 KiB reads per run (default 1024)")
    parser.add_argument("--runs", type=int, default=3, help="best of N alternating runs (default 3)")
    args = parser.parse_args()
    http = shutil.which("http")
    with demo_server_process() as base:
        lines_url = f"{base}/firehose?size=65536&line=64&total={args.lines * 64}"
        reads_url = f"{base}/firehose?size=65536&total={args.mb * 1024 * 1024}"
        print(f"64-byte lines: {args.lines:,} records per run, lines mode")
        contenders = {"engine alone": engine_alone(lines_url, "lines"),
                      "get --format jsonl": explorer_get(lines_url, "lines", "jsonl"),
                      "get --format text": explorer_get(lines_url, "lines", "text")}
        best = asyncio.run(interleaved_commands(args.runs, contenders))
        rates = {name: args.lines / seconds for name, seconds in best.items()}
        if http:  # about 50x slower: a tenth of the lines, its rate compared
            few = max(1, args.lines // 10)
            few_url = f"{base}/firehose?size=65536&line=64&total={few * 64}"
            httpie = [http, "--ignore-stdin", "--stream", "--print=b", "GET", few_url]
            rates["HTTPie --stream"] = few / asyncio.run(interleaved_commands(1, {"httpie": httpie}))["httpie"]
        engine = rates["engine alone"]
        for name, rate in rates.items():
            print(f"  {name:<20} {rate:>12,.0f} records/s   this/engine {rate / engine:5.2f}")
        if http:
            for name in ("get --format jsonl", "get --format text"):
                print(f"  {name} vs HTTPie --stream: {rates[name] / rates['HTTPie --stream']:.1f}x")
        print(f"64 KiB reads: {args.mb:,} MiB per run, any mode")
        contenders = {"engine alone": engine_alone(reads_url, "any"),
                      "get --format jsonl": explorer_get(reads_url, "any", "jsonl")}
        best = asyncio.run(interleaved_commands(args.runs, contenders))
        total = args.mb * 1024 * 1024
        for name, seconds in best.items():
            print(f"  {name:<20} {total / seconds / 1e6:>9,.0f} MB/s  ({seconds:6.2f} s)"
                  f"  this/engine {best['engine alone'] / seconds:5.2f}")


if __name__ == "__main__":
    main()
