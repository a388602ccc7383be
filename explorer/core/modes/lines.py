"""lines: our own splitter over `iter_any()`.

aiohttp's `readline` costs about ten times more per line and raises
`LineTooLong` past 2 x read_bufsize. Splitting each read ourselves is fast,
handles `\\n` and `\\r\\n` and a final line without newline, and enforces a
configurable cap that ends the stream with a clear record instead of a crash.
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


async def read(resp: Body, ctx: StreamContext, request: StreamRequest) -> AsyncIterator[Record]:
    t0, seq, last, total, first, cap = ctx.t0, 0, 0.0, 0, None, request.max_line
    timing, line_kind = ctx.timing, Kind.LINE
    readany = resp.content.readany
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
                careful = b"\r" in data or len(data) + pending_size > cap
                if pending:
                    careful = True  # the joined line may end in a CR from an earlier read
                    pending.append(parts[0])
                    parts[0] = b"".join(pending)
                    pending.clear()
                    pending_size = 0
                gap = t - last
                last = t
                flags = timing.note(gap, seq)  # once per read: the lines after the first have gap 0
                if careful:
                    # the careful path: CRLF endings, or a line that may pass the cap
                    for line in parts:
                        size = len(line) + 1
                        if size > cap:
                            raise _too_long(cap, seq)
                        if line[-1:] == b"\r":
                            line = line[:-1]
                        yield Record(line_kind, seq, t, gap, size, line, None, flags)
                        seq += 1
                        gap, flags = 0.0, 0
                else:
                    for line in parts:
                        yield Record(line_kind, seq, t, gap, len(line) + 1, line, None, flags)
                        seq += 1
                        gap, flags = 0.0, 0
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
