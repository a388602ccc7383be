"""Running `explorer get` in-process and reading its JSONL."""

from __future__ import annotations

import json
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
