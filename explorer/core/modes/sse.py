"""sse: the WHATWG event-stream rules over an incremental UTF-8 decoder.

Lines end in CRLF, LF or a lone CR (a CR at the end of one read may be the
first half of a CRLF split across reads). Comments are skipped, data lines
join with LF, `id` persists across events (unless it holds NUL), `retry`
takes ASCII digits only, a block without data dispatches nothing, and an
unfinished event at EOF is discarded. Each read also yields its `chunk`
record, so keep-alive comments stay visible in the log.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import AsyncIterator

from ..body import Body
from ..context import StreamContext
from ..record import Kind, Record, SSEEvent
from ..request import StreamRequest
from .stamp import stamp_reads

_LINE_END = re.compile(r"\r\n|\r|\n")


class SSEParser:
    """Incremental event-stream parser: `feed(bytes)` returns the events it completed."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._buffer = ""
        self._skip_lf = False
        self._started = False
        self._data: list[str] = []
        self._event = ""
        self.last_id = ""
        self.retry: int | None = None
        self.comments = 0

    def feed(self, data: bytes, final: bool = False) -> list[SSEEvent]:
        text = self._decoder.decode(data, final)
        if not self._started and text:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        if self._skip_lf and text:
            if text.startswith("\n"):
                text = text[1:]
            self._skip_lf = False
        if not text:
            return []
        buffer = self._buffer + text
        lines = _LINE_END.split(buffer)
        self._buffer = lines.pop()
        self._skip_lf = buffer.endswith("\r")
        events = []
        for line in lines:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            self.comments += 1
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self.last_id = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self.retry = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        data, event = self._data, self._event
        self._data, self._event = [], ""
        if not data:
            return None
        return SSEEvent(event or "message", "\n".join(data), self.last_id, self.retry)


def llm_token(data: str) -> str | None:
    """The text an LLM streaming event carries, if it looks like one.

    Understands chat-completion deltas (`choices[0].delta.content`), completion
    chunks (`choices[0].text`) and content-block deltas (`delta.text`).
    """
    if not data.startswith("{"):
        return None
    try:
        obj = json.loads(data)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    choices = obj.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        delta = choices[0].get("delta")
        if isinstance(delta, dict) and isinstance(delta.get("content"), str):
            return delta["content"]
        if isinstance(choices[0].get("text"), str):
            return choices[0]["text"]
    delta = obj.get("delta")
    if isinstance(delta, dict) and isinstance(delta.get("text"), str):
        return delta["text"]
    return None


async def read(resp: Body, ctx: StreamContext, request: StreamRequest) -> AsyncIterator[Record]:
    parser = SSEParser()
    events = 0
    async for chunk in stamp_reads(resp.content.readany, ctx):
        yield chunk
        for event in parser.feed(chunk.data or b""):
            yield ctx.record(Kind.SSE, chunk.t, value=event)
            events += 1
    parser.feed(b"", final=True)  # an unfinished event at EOF is discarded
    ctx.mode_summary["comments"] = parser.comments
    ctx.mode_summary["events"] = events
