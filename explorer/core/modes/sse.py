"""sse: the WHATWG event-stream rules, scanning each byte once.

Lines end in CRLF, LF or a lone CR (a CR at the end of one read may be the
first half of a CRLF split across reads). Comments are skipped, data lines
join with LF, `id` persists across events (unless it holds NUL), `retry`
takes ASCII digits only, a block without data dispatches nothing, and an
unfinished event at EOF is discarded. Each read also yields its `chunk`
record, so keep-alive comments stay visible in the log.

Lines are found in the new bytes only (an unfinished line waits as pieces,
joined once when it ends), so the cost is linear in the stream. A line
longer than `--max-line` or an event whose data grows past `--max-value`
ends the stream with a sentence naming the cap; the events completed
before it are kept.
"""

from __future__ import annotations

import re
from typing import AsyncIterator

from ..body import Body
from ..context import StreamContext
from ..errors import StreamError
from ..record import Kind, Record, SSEEvent
from ..request import DEFAULT_MAX_LINE, DEFAULT_MAX_VALUE, StreamRequest
from .stamp import stamp_reads

_LINE_END = re.compile(r"\r\n|\r|\n")
_LINE_END_BYTES = re.compile(rb"\r\n|\r|\n")
BOM = b"\xef\xbb\xbf"
RETRY_DIGITS = 18  # a longer `retry` is no usable number of milliseconds: ignored like one with a letter


class SSEParser:
    """Incremental event-stream parser: `feed(bytes)` returns the events it completed.

    When a cap is passed, `feed` stops at it, returns the events completed
    before, and sets `problem` to the sentence; the caller ends the stream.
    """

    def __init__(self, max_line: int = DEFAULT_MAX_LINE, max_value: int = DEFAULT_MAX_VALUE) -> None:
        self.max_line = max_line
        self.max_value = max_value
        self._partial: list[bytes] = []  # the unfinished line, as it arrived
        self._partial_size = 0
        self._skip_lf = False
        self._head: bytes | None = b""  # the first bytes while they may be a BOM; None once decided
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self.last_id = ""
        self.retry: int | None = None
        self.comments = 0
        self.events = 0
        self.problem: StreamError | None = None

    def feed(self, data: bytes, final: bool = False) -> list[SSEEvent]:
        if self.problem is not None:
            return []
        if self._head is not None:
            data = self._head + data
            if len(data) < 3 and BOM.startswith(data) and not final:
                self._head = data
                return []
            self._head = None
            if data.startswith(BOM):
                data = data[3:]
        if self._skip_lf and data:
            if data[:1] == b"\n":
                data = data[1:]
            self._skip_lf = False
        if not data:
            return []
        end = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
        events: list[SSEEvent] = []
        if end:
            block = data[:end]
            if self._partial:
                self._partial.append(block)
                block = b"".join(self._partial)
                self._partial.clear()
                self._partial_size = 0
            self._skip_lf = end == len(data) and block[-1] == 0x0D  # a CRLF may be split here
            if len(block) > self.max_line:  # one of these lines may pass the cap: measure each in bytes
                for raw in _LINE_END_BYTES.split(block)[:-1]:
                    if len(raw) > self.max_line:
                        self._too_long()
                        return events
                    self._line(raw.decode("utf-8", "replace"), events)
                    if self.problem is not None:
                        return events
            else:
                for line in _LINE_END.split(block.decode("utf-8", "replace"))[:-1]:
                    self._line(line, events)
                    if self.problem is not None:
                        return events
        if end < len(data):
            tail = data[end:]
            self._partial.append(tail)
            self._partial_size += len(tail)
            if self._partial_size > self.max_line:
                self._too_long()
        return events

    def _line(self, line: str, events: list[SSEEvent]) -> None:
        if not line:
            event = self._dispatch()
            if event is not None:
                events.append(event)
            return
        if line[0] == ":":
            self.comments += 1
            return
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._data_size += len(value) + 1
            if self._data_size > self.max_value + 1:
                self.problem = StreamError(
                    "value_too_large",
                    f"An event's data grew past the {self.max_value:,} byte value cap after {self.events:,} "
                    f"complete event{'s' if self.events != 1 else ''} (raise it with --max-value).")
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self.last_id = value
        elif name == "retry":
            if value.isascii() and value.isdigit() and len(value) <= RETRY_DIGITS:
                self.retry = int(value)

    def _too_long(self) -> None:
        self.problem = StreamError(
            "line_too_long",
            f"A line grew past the {self.max_line:,} byte line cap after {self.events:,} complete "
            f"event{'s' if self.events != 1 else ''} (raise it with --max-line).")

    def _dispatch(self) -> SSEEvent | None:
        data, event = self._data, self._event
        self._data, self._event, self._data_size = [], "", 0
        if not data:
            return None
        self.events += 1
        return SSEEvent(event or "message", "\n".join(data), self.last_id, self.retry)


async def read(resp: Body, ctx: StreamContext, request: StreamRequest) -> AsyncIterator[Record]:
    parser = SSEParser(request.max_line, request.max_value)
    try:
        async for chunk in stamp_reads(resp.content.readany, ctx):
            yield chunk
            for event in parser.feed(chunk.data or b""):
                yield ctx.record(Kind.SSE, chunk.t, value=event)
            if parser.problem is not None:
                raise parser.problem
        parser.feed(b"", final=True)  # an unfinished event at EOF is discarded
    finally:
        ctx.mode_summary["comments"] = parser.comments
        ctx.mode_summary["events"] = parser.events
