"""Running `explorer get` in-process and reading its JSONL."""

from __future__ import annotations

import itertools
import json
import statistics
from typing import Any

import pytest

from explorer.cli import main


def run_get(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]], str]:
    """Run `explorer get ARGS --format jsonl`; return exit status, records, stderr."""
    status = main(["get", *args, "--format", "jsonl"])
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines() if line.strip()]
    return status, records, captured.err


def of_kind(records: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in records if r["kind"] == kind]


def gaps(records: list[dict[str, Any]]) -> list[float]:
    times = [r["t"] for r in records]
    return [b - a for a, b in zip(times, times[1:])]


def assert_paced(times: list[float], interval: float) -> None:
    """Arrivals a server wrote `interval` apart, judged so that a busy machine cannot break it.

    `times` are seconds since the request was sent, one per write, in order.
    The server sleeps `interval` between writes, so the last arrival cannot
    come before (n - 1) intervals, and most gaps stay near `interval` however
    late everything runs: the median gap must be at least half of it (a stream
    sent all at once has gaps near 0). No upper bound: load only makes things
    later.
    """
    assert len(times) >= 2 and times == sorted(times), times
    assert times[-1] >= (len(times) - 1) * interval * 0.99, times
    spacing = [b - a for a, b in itertools.pairwise(times)]
    assert statistics.median(spacing) >= interval / 2, spacing
