"""What the UI and the engine say to each other: run, stop and send orders one way, batches the other."""

from __future__ import annotations

import pickle
import struct
from dataclasses import dataclass
from typing import Any

from ..core.record import Kind, Record
from ..core.request import StreamRequest
from ..core.timing import TimingStage
from .stats import StreamStats

HEADER = struct.Struct("!I")  # each message on the engine's socket: its length, then its pickle


def frame(message: object) -> bytes:
    """A message as sent on the engine's socket."""
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


@dataclass(frozen=True, slots=True)
class RunOrder:
    """Read `request` as run number `run`, writing every record to the JSONL file `capture` if given."""

    run: int
    request: StreamRequest
    capture: str | None = None


@dataclass(frozen=True, slots=True)
class StopOrder:
    """Stop run number `run` (what it made so far stays with the UI)."""

    run: int


@dataclass(frozen=True, slots=True)
class SendOrder:
    """Send `data` on run number `run`'s WebSocket: a text message, or binary when `binary` (or not UTF-8).

    Ignored when the run has no WebSocket open (not yet, no more, or an HTTP stream).
    """

    run: int
    data: bytes
    binary: bool = False


@dataclass(frozen=True, slots=True)
class Batch:
    """The newest records of a run since its last batch, with the run's figures over all of them.

    `records` holds the run's first records up to its response, then at most
    `SHIP_TAIL` of the newest; `skipped` counts those left out so far in the
    run (a firehose makes far more than a screen can show), and `gap_at` is
    where this batch's would be. `done` marks the run's last batch:
    its last record is the run's `end` or `error`.
    """

    run: int
    records: list[Record]
    stats: StreamStats
    timing: TimingStage
    skipped: int = 0
    done: bool = False
    gap_at: int = 0  # where in `records` the records this batch skipped would be

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled with its records as columns: three times faster than record by record."""
        records = self.records
        columns = ([r.kind.value for r in records], [r.seq for r in records], [r.t for r in records],
                   [r.gap for r in records], [r.size for r in records], [r.data for r in records],
                   [r.value for r in records], [r.flags for r in records], [r.full_size for r in records])
        return _batch, (self.run, columns, self.stats, self.timing, self.skipped, self.done, self.gap_at)


@dataclass(frozen=True, slots=True)
class CaptureFailed:
    """Writing run `run`'s capture to `path` failed: the run goes on without it."""

    run: int
    path: str
    error: OSError


_KINDS = {kind.value: kind for kind in Kind}


def _batch(run: int, columns: tuple[list[Any], ...], stats: StreamStats, timing: TimingStage, skipped: int,
           done: bool, gap_at: int) -> Batch:
    """A batch back from its pickled form."""
    kinds, *fields, full_sizes = columns
    records = list(map(Record, map(_KINDS.__getitem__, kinds), *fields))
    for record, full_size in zip(records, full_sizes):
        if full_size is not None:
            record.full_size = full_size
    return Batch(run, records, stats, timing, skipped, done, gap_at)
