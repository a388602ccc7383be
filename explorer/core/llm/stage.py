"""The engine's LLM stage: recognises a shape in the first JSON objects of a stream, then turns each
object into token records stamped with the arrival of the read that brought it.

It reads the objects three read modes make: an SSE event's data (sse), a
line (lines) and a top-level JSON value rebuilt from ijson's events (json,
for NDJSON). Each token record goes right after the record it came from.
Until a shape is recognised only `LOOK` records are looked at; then the
stage gives up (`off`) and `open_stream` stops calling it, so a stream that
is no LLM stream pays for a few parses at most.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..record import Kind, LlmSummary, Record
from ..request import StreamRequest
from . import recognise
from .metrics import LlmMeter
from .shape import ShapeDecoder

LOOK = 8  # records (SSE events, lines, json reads) looked at for a shape before a stream is taken for no LLM stream
OBJECT_EVENTS = 100_000  # json mode: ijson events of one value rebuilt at most (a bigger one is skipped)
MODES = frozenset(("sse", "lines", "json"))
# What a decoder may raise on an object of untrusted shape that its checks did not foresee: the object is
# skipped rather than the stream ended (a provider's own error report is a StreamError, and ends it).
_MALFORMED = (TypeError, AttributeError, KeyError, IndexError, ValueError, RecursionError)


class LlmStage:
    """Token records from one stream's records, and its `LlmSummary` at the end."""

    def __init__(self, request: StreamRequest) -> None:
        self.request = request
        self.decoder: ShapeDecoder | None = None
        self.meter: LlmMeter | None = None
        self.looked = 0
        self.off = False
        self._builder: _ValueBuilder | None = None

    def feed(self, record: Record) -> list[Record]:
        """The token records that `record` brings (raises `StreamError` when the stream reports an error)."""
        kind = record.kind
        if kind is Kind.SSE:
            sse = record.sse
            objects = _objects(sse.data) if sse.data.startswith("{") else []
            event = sse.event
        elif kind is Kind.LINE:
            data = record.data or b""
            objects = _objects(data) if data.lstrip()[:1] == b"{" else []
            event = ""
        elif kind is Kind.EVENT:
            if self._builder is None:
                self._builder = _ValueBuilder()
            objects = self._builder.feed(record.events)
            event = ""
        else:
            return []
        tokens: list[Record] = []
        for obj in objects:
            try:
                decoder = self.decoder or self._recognise(obj, event)
                said = decoder.feed(obj, event) if decoder is not None else []
            except _MALFORMED:  # an object no provider sends (a field of the wrong type): not a token
                continue
            meter = self.meter
            assert meter is not None or not said
            for token in said:
                tokens.append(meter.token(record.t, token))  # type: ignore[union-attr]
        if self.decoder is None:
            self.looked += 1
            self.off = self.looked >= LOOK
            if self.off:
                self._builder = None
        return tokens

    def _recognise(self, obj: dict[str, Any], event: str) -> ShapeDecoder | None:
        found = recognise(obj, event)
        if found is not None:
            shape, self.decoder = found
            self.meter = LlmMeter(shape, self.request.stall_seconds, self.request.max_value)
        return self.decoder

    def summary(self, last_byte: float | None) -> LlmSummary | None:
        """The stream's serving metrics (None when it showed no shape); E2E is the response's last byte."""
        if self.meter is None or self.decoder is None:
            return None
        meter, decoder = self.meter, self.decoder
        meter.usage_tokens, meter.model, meter.stop_reason = decoder.usage_tokens, decoder.model, decoder.stop_reason
        return meter.summary(last_byte)


def stage_for(mode: str, request: StreamRequest) -> LlmStage | None:
    """A stage for a stream read in `mode` (the mode auto resolved to), or None where no shape can show."""
    return LlmStage(request) if mode in MODES else None


def _objects(text: str | bytes) -> list[dict[str, Any]]:
    """The object a line or an event's data holds (none when it holds no JSON object)."""
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        return []
    return [obj] if isinstance(obj, dict) else []


class _ValueBuilder:
    """Top-level JSON values rebuilt from ijson events (json mode reads NDJSON as a series of them)."""

    def __init__(self) -> None:
        from ijson.common import ObjectBuilder  # json mode has loaded ijson already

        self._make = ObjectBuilder
        self._builder = ObjectBuilder()
        self._events = 0

    def feed(self, events: tuple[tuple[str, str, Any], ...]) -> list[dict[str, Any]]:
        done = []
        for prefix, event, value in events:
            self._events += 1
            if self._events <= OBJECT_EVENTS:
                self._builder.event(event, value)
            if prefix == "" and event not in ("start_map", "start_array", "map_key"):  # a top-level value ends
                if self._events <= OBJECT_EVENTS and isinstance(self._builder.value, dict):
                    done.append(self._builder.value)
                self._builder, self._events = self._make(), 0
        return done
