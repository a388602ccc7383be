"""lines: our own splitter over `iter_any()`.

aiohttp's `readline` costs about ten times more per line and raises
`LineTooLong` past 2 x read_bufsize. Splitting each read ourselves is fast,
handles `\\n` and `\\r\\n` and a final line without newline, and enforces a
configurable cap that ends the stream with a clear record instead of a crash.

Every line of a read is its own `Record`, stamped with the read's time; the
lines after the first have gap 0 and flags 0 (the timing stage counts them
from the record index). Their records are filled slot by slot after
`object.__new__`: calling `Record(...)` (its `__init__` frame) cost a sixth
of a line. The CR test and the cap check run per line only in reads that
hold a CR or a line that may pass the cap.
"""

from __future__ import annotations

from time import perf_counter
from typing import AsyncIterator

from ..body import Body
from ..context import StreamContext
from ..errors import StreamError
from ..format import plural
from ..record import Flag, Kind, Record
from ..request import StreamRequest


def _too_long(cap: int, lines: int) -> StreamError:
    return StreamError(
        "line_too_long",
        f"A line grew past the {cap:,} byte line cap after {plural(lines, 'complete line')} "
        "(raise it with --max-line).",
    )


def _within_cap(parts: list[bytes], cap: int) -> int:
    """How many lines, from the first, fit the cap (their size, with the newline, is at most `cap`)."""
    if max(map(len, parts)) < cap:
        return len(parts)
    return next(i for i, line in enumerate(parts) if len(line) >= cap)


async def read(resp: Body, ctx: StreamContext, request: StreamRequest) -> AsyncIterator[Record]:
    t0, seq, last, total, first, cap = ctx.t0, 0, 0.0, 0, None, request.max_line
    timing, line_kind = ctx.timing, Kind.LINE
    readany = resp.content.readany
    new, cls = object.__new__, Record
    pending: list[bytes] = []
    pending_size = 0
    try:
        while data := await readany():
            t = perf_counter() - t0
            total += len(data)
            if first is None:
                first = t
            parts = data.split(b"\n")
            tail = parts.pop()
            if parts:
                if pending:
                    pending.append(parts[0])
                    parts[0] = b"".join(pending)
                    pending.clear()
                    pending_size = 0
                fit = len(parts)
                if len(data) >= cap or len(parts[0]) >= cap:
                    fit = _within_cap(parts, cap)  # the line at `fit` ends the stream, after the ones before it
                gap = t - last
                last = t
                flags = timing.note(gap, seq)  # once per read: the lines after the first have gap 0
                if fit:
                    # the first line may end in a CR from an earlier read; a CR ends a line only before its LF,
                    # and the size counts it
                    line = parts[0]
                    size = len(line) + 1
                    if line[-1:] == b"\r":
                        line = line[:-1]
                    yield Record(line_kind, seq, t, gap, size, line, None, flags)
                    rest = parts[1:fit]
                    if b"\r" in data:
                        for seq, line in enumerate(rest, seq + 1):  # noqa: B020 (seq is the record in flight)
                            size = len(line) + 1
                            if line[-1:] == b"\r":
                                line = line[:-1]
                            record = new(cls)
                            record.kind = line_kind
                            record.seq = seq
                            record.t = t
                            record.gap = 0.0
                            record.size = size
                            record.data = line
                            record.value = None
                            record.flags = 0
                            record.full_size = None
                            yield record
                    else:
                        # the hot loop: the same record, without the CR test
                        for seq, line in enumerate(rest, seq + 1):  # noqa: B020
                            record = new(cls)
                            record.kind = line_kind
                            record.seq = seq
                            record.t = t
                            record.gap = 0.0
                            record.size = len(line) + 1
                            record.data = line
                            record.value = None
                            record.flags = 0
                            record.full_size = None
                            yield record
                    seq += 1
                if fit < len(parts):
                    raise _too_long(cap, seq)
            if tail:
                pending.append(tail)
                pending_size += len(tail)
                if pending_size > cap:
                    raise _too_long(cap, seq)
        if pending:
            line = b"".join(pending)
            t = perf_counter() - t0
            gap = t - last
            yield Record(line_kind, seq, t, gap, len(line), line, None, Flag.NO_NEWLINE | timing.note(gap, seq))
            seq += 1
    finally:
        ctx.tally(seq, total, first, last)
