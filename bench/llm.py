"""The LLM stage's cost: each shape's demo stream read in its mode with token records, and without.

    python3 bench/llm.py [--tokens 2000] [--runs 5]

Each demo shape sends `--tokens` answer tokens (plus thinking and a tool
call) with no pacing. The reference is the same stream read in the same mode
with the stage switched off (the records an explorer without LLM support
would make); the ratio is the reference's time over the stage's (1.0: free).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from functools import partial

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import explorer.core.stream as stream_module
from bench.common import demo_server_process, interleaved
from explorer.core import StreamRequest, open_stream
from explorer.core.llm.stage import stage_for

SHAPES = ("openai-chat", "openai-responses", "anthropic", "gemini", "ollama")


async def read(url: str, with_stage: bool) -> int:
    """Consume every record; return the token records (the reference: the data records)."""
    stream_module.stage_for = stage_for if with_stage else (lambda mode, request: None)
    count = tokens = 0
    async for record in open_stream(StreamRequest(url, mode="auto")):
        count += 1
        tokens += record.kind == "token"
    if record.kind != "end":
        raise RuntimeError(f"stream failed: {record}")
    return tokens if with_stage else count


async def main(base: str, tokens: int, runs: int) -> None:
    print(f"{'shape':<20}{'without':>14}{'with tokens':>14}{'ratio':>8}")
    for shape in SHAPES:
        url = f"{base}/llm/{shape}?tokens={tokens}&ttft=0&itl=0&jitter=0&stall=0&thinking=1&tools=1"
        (off_s, off_n), (on_s, on_n) = await interleaved(runs, partial(read, url, False), partial(read, url, True))
        print(f"{shape:<20}{off_s * 1000:>11.1f} ms{on_s * 1000:>11.1f} ms{off_s / on_s:>8.2f}   "
              f"({on_n:,} tokens, {on_n / on_s:,.0f} tokens/s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=2000, help="answer tokens per stream (default 2000, the cap)")
    parser.add_argument("--runs", type=int, default=5, help="best of N interleaved runs (default 5)")
    args = parser.parse_args()
    with demo_server_process() as base_url:
        asyncio.run(main(base_url, args.tokens, args.runs))
