"""json: the ijson push parser fed every read, with `multiple_values` so one
document, an array streamed element by element, nested documents and NDJSON
all work.

Each read yields its `chunk` record, then one `event` record carrying the batch
of ijson events that read completed, all stamped with the read's arrival time.
A record per event would cost more than ijson itself.
"""

from __future__ import annotations

from time import perf_counter
from typing import AsyncIterator

import ijson
from aiohttp import ClientResponse

from ..context import StreamContext
from ..errors import StreamError
from ..record import Kind, Record
from ..request import StreamRequest


def _reason(error: Exception) -> str:
    return " ".join(str(error).strip().split("\n")[0].split()).rstrip(".") or error.__class__.__name__


async def read(resp: ClientResponse, ctx: StreamContext, request: StreamRequest) -> AsyncIterator[Record]:
    t0, seq, last, event_seq, event_last, first = ctx.t0, 0, 0.0, 0, 0.0, None
    timing, chunk, event = ctx.timing, Kind.CHUNK, Kind.EVENT
    events = ijson.sendable_list()
    parser = ijson.parse_coro(events, multiple_values=True, use_float=True)
    readany = resp.content.readany
    offset = 0
    error: Exception | None = None
    try:
        while data := await readany():
            t = perf_counter() - t0
            gap = t - last
            yield Record(chunk, seq, t, gap, len(data), data, None, timing.note(gap, seq))
            if first is None:
                first = t
            seq += 1
            last = t
            try:
                parser.send(data)
            except Exception as exc:  # ijson raises JSONError or IncompleteJSONError, yajl others
                error = exc
            if events:
                yield Record(event, event_seq, t, t - event_last, 0, None, tuple(events))
                event_seq += len(events)
                event_last = t
                del events[:]
            if error is not None:
                raise StreamError(
                    "invalid_json",
                    f"Invalid JSON in bytes {offset}-{offset + len(data)} (read #{seq - 1}): {_reason(error)}.",
                )
            offset += len(data)
        try:
            parser.close()
        except Exception as exc:
            raise StreamError("invalid_json", f"The JSON ended early after {offset} bytes: {_reason(exc)}.") from None
        if events:
            t = perf_counter() - t0
            yield Record(event, event_seq, t, t - event_last, 0, None, tuple(events))
            event_seq += len(events)
    finally:
        ctx.tally(seq, offset, first, last)
        ctx.mode_summary["events"] = event_seq
