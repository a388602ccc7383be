"""Benchmark plumbing: the demo server in its own process, and best-of-N timing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Awaitable, Callable, Iterator


def rss_mb(pid: int) -> float:
    """Resident set size of a process, in MB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def demo_server_process(pin_client: bool = True) -> Iterator[str]:
    """`explorer serve --port 0` in a child process, so server and client each get a core.

    With two or more cores the server is pinned to the first and this process
    to the second, which keeps run-to-run noise down. `pin_client=False` gives
    this process every core back, as on a person's machine: the app's engine
    process and UI then run side by side instead of taking turns on one core.
    """
    cores = sorted(os.sched_getaffinity(0))
    pin = len(cores) >= 2
    proc = subprocess.Popen([sys.executable, "-m", "explorer", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=(lambda: os.sched_setaffinity(0, {cores[0]})) if pin else None)
    if pin and pin_client:
        os.sched_setaffinity(0, {cores[1]})
    try:
        first = proc.stdout.readline()
        if not first.startswith("explorer demo server on "):
            raise RuntimeError(f"demo server did not start: {first!r} {proc.stderr.read()}")
        yield first.split()[4]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def best_of(runs: int, fn: Callable[[], Awaitable[int]]) -> tuple[float, int]:
    """Run `fn` `runs` times; return the fastest seconds and the unit count it reported."""
    best, units = float("inf"), 0
    for _ in range(runs):
        start = time.perf_counter()
        units = await fn()
        best = min(best, time.perf_counter() - start)
    return best, units


async def interleaved(runs: int, a: Callable[[], Awaitable[int]], b: Callable[[], Awaitable[int]]
                      ) -> tuple[tuple[float, int], tuple[float, int]]:
    """Best of `runs` for `a` and for `b`, alternating a, b, a, b so drift hits both alike."""
    best_a, best_b = (float("inf"), 0), (float("inf"), 0)
    for _ in range(runs):
        run_a, run_b = await best_of(1, a), await best_of(1, b)
        best_a, best_b = min(best_a, run_a), min(best_b, run_b)
    return best_a, best_b


async def run_command(argv: list[str]) -> float:
    """Run one whole process with stdout to /dev/null; its wall-clock seconds (it must exit 0)."""
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(*argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = await proc.communicate()
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"{argv[:4]} exited {proc.returncode}: {err.decode(errors='replace')[-500:]}")
    return seconds


async def interleaved_commands(runs: int, commands: dict[str, list[str]]) -> dict[str, float]:
    """Best wall-clock seconds of each command over `runs` rounds, one of each per round in turn."""
    best = dict.fromkeys(commands, float("inf"))
    for _ in range(runs):
        for name, argv in commands.items():
            best[name] = min(best[name], await run_command(argv))
    return best
