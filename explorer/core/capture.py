"""Reading a JSONL capture back into records: the inverse of `jsonl.py`.

A capture is what `get -o`, the app's `-o` or its save wrote: one object per
record (an `event` read as one object per ijson event), runs one after the
other (`--append`, or several runs of the app), each from its response to its
`end` or `error`. A run cut short (a killed process) has no end; its last line
may be cut, and is then left out. Numbers come back exact (ijson values as
int and Decimal), text as it was (the escapes JSONL wrote decode back).

The file is untrusted like any stream: a line that is no record of ours gets a
sentence naming its line, and the records kept are capped (`MAX_RECORDS`).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from .modes import MODES
from .record import (
    DATA_KINDS,
    FINAL_KINDS,
    Flag,
    GapSummary,
    JsonEvent,
    Kind,
    LlmSummary,
    Phases,
    Record,
    Response,
    SentRequest,
    SSEEvent,
    Summary,
    Token,
)

MAX_RECORDS = 2_000_000  # records read back from one capture at most (a longer capture is read that far)
MAX_LINE = 64 << 20  # bytes of one capture line at most
_HEAD_KINDS = frozenset((Kind.RESPONSE, Kind.INFORMATIONAL, Kind.REDIRECT))


MAX_SECONDS = 1e11  # a time in a capture past this (epoch seconds in the year 5138) is no time explorer wrote
MAX_COUNT = 1 << 62  # a count or size past this is no count explorer wrote


class CaptureError(Exception):
    """A capture that cannot be read, in one sentence."""


def _count(value: object) -> int:
    """A whole number explorer wrote (seq, size, status, totals): checked, as the file is untrusted."""
    if isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= MAX_COUNT:
        raise ValueError(value)
    return value


def _seconds(value: object) -> float:
    """A time or duration explorer wrote: a finite number of bounded size."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or not -MAX_SECONDS <= value <= MAX_SECONDS:
        raise ValueError(value)
    return float(value)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(value)
    return value


def _maybe(check: Any, value: object) -> Any:
    return None if value is None else check(value)


@dataclass
class Run:
    """One stream of a capture: its records in order; `complete` when it ends in an `end` or `error`."""

    records: list[Record] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return bool(self.records) and self.records[-1].kind in FINAL_KINDS

    @property
    def response(self) -> Response | None:
        """The run's (final) response, if it got one."""
        for record in self.records:
            if record.kind is Kind.RESPONSE:
                return record.response
        return None

    @property
    def final(self) -> Record | None:
        return self.records[-1] if self.complete else None


@dataclass
class Capture:
    """A capture's runs, and whether its records passed the cap."""

    runs: list[Run]
    capped: bool = False


def read_capture(path: str | Path, max_records: int = MAX_RECORDS) -> Capture:
    """The runs of the capture at `path` (raises `CaptureError`)."""
    name = str(path)
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise CaptureError(f"Cannot read the capture {name!r}: {error.strerror or error}.") from None
    runs: list[Run] = []
    count, capped, latest = 0, False, 0.0
    with handle:
        for record in _records(handle, name):
            if not runs or runs[-1].complete:
                runs.append(Run())
                latest = 0.0
            if record.kind in DATA_KINDS:  # explorer stamps data in order; a hand-made file may not
                if record.t < latest:
                    record.t = latest
                latest = record.t
            runs[-1].records.append(record)
            count += 1
            if count >= max_records:
                capped = True
                break
    if not runs:
        raise CaptureError(f"The capture {name!r} holds no records.")
    return Capture(runs, capped)


def _records(handle: Any, name: str) -> Iterator[Record]:
    """The records of the lines of `handle`, ijson events of one read regrouped into one record."""
    events: list[JsonEvent] = []
    head: Record | None = None
    lines = iter(handle.readline, b"")
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE:
            raise CaptureError(f"Line {number:,} of {name!r} is longer than the {MAX_LINE >> 20} MiB line cap.")
        if not line.endswith(b"\n") and not line.strip():
            break
        try:
            obj = json.loads(line, parse_float=Decimal)
        except ValueError:
            if not line.endswith(b"\n"):  # the cut last line of a killed run
                break
            raise CaptureError(f"Line {number:,} of {name!r} is not JSON: it is no explorer capture.") from None
        try:
            kind = Kind(obj["kind"])
            if kind is Kind.EVENT:
                if head is not None and (obj["gap"] != 0 or obj["size"] != 0 or float(obj["t"]) != head.t):
                    head.value = tuple(events)
                    yield head
                    head = None
                if head is None:
                    head, events = _base(obj, kind), []
                    if obj.get("truncated"):
                        head.flags |= Flag.CUT
                events.append((obj["prefix"], obj["event"], obj["value"]))
                continue
            if head is not None:
                head.value = tuple(events)
                yield head
                head = None
            yield _record(obj, kind)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError, ArithmeticError, binascii.Error):
            raise CaptureError(f"Line {number:,} of {name!r} is not an explorer record "
                               f"(kind {str(obj.get('kind') if isinstance(obj, dict) else None)[:40]!r}).") from None
    if head is not None:
        head.value = tuple(events)
        yield head


def _base(obj: dict[str, Any], kind: Kind) -> Record:
    t = _seconds(obj["t"])
    if t < 0:
        raise ValueError(t)
    return Record(kind, _count(obj["seq"]), t, _seconds(obj["gap"]), _count(obj["size"]))


def _record(obj: dict[str, Any], kind: Kind) -> Record:
    record = _base(obj, kind)
    if kind in _HEAD_KINDS:
        record.value = _response(obj)
    elif kind in FINAL_KINDS:
        record.value = _summary(obj)
    elif kind is Kind.SSE:
        record.value = SSEEvent(_text(obj["event"]), _text(obj["data"]), _text(obj["id"]), _maybe(_count, obj["retry"]))
        if obj.get("truncated"):
            record.flags |= Flag.CUT
            record.full_size = _maybe(_count, obj.get("data_length"))
    elif kind is Kind.TOKEN:
        record.value = Token(_text(obj["text"]), _text(obj["channel"]), _maybe(_count, obj.get("call")),
                             _maybe(_text, obj.get("shape")))
        if obj.get("truncated"):
            record.flags |= Flag.CUT
            record.full_size = _maybe(_count, obj.get("text_length"))
    elif kind is Kind.TRAILERS:
        record.value = {_text(name): _text(value) for name, value in obj["trailers"].items()}
    else:  # bytes: chunk, line, message, framing, control
        record.data = _payload(obj)
        record.flags |= _flags(obj, kind)
        if kind is Kind.CONTROL:
            record.value = _text(obj["frame"])
        elif "extensions" in obj:
            record.value = _text(obj["extensions"])
        if "decoded_size" in obj and obj["decoded_size"] != len(record.data or b""):
            record.full_size = _count(obj["decoded_size"])
    if obj.get("stall"):
        record.flags |= Flag.STALL
    return record


def _payload(obj: dict[str, Any]) -> bytes | None:
    if "data" in obj:
        return _text(obj["data"]).encode("utf-8", "surrogatepass")
    if "data_b64" in obj:
        return base64.b64decode(_text(obj["data_b64"]), validate=True)
    return None


def _flags(obj: dict[str, Any], kind: Kind) -> int:
    flags = 0
    if kind is Kind.MESSAGE and obj.get("type") == "binary":
        flags |= Flag.BINARY
    if obj.get("direction") == "out":
        flags |= Flag.OUTGOING
    if "framed" in obj:
        flags |= Flag.FRAMED if obj["framed"] else Flag.UNFRAMED
    for name, flag in (("partial", Flag.PARTIAL), ("piece", Flag.PIECE), ("undecoded", Flag.UNDECODED),
                       ("truncated", Flag.CUT), ("decoded_size", Flag.DECODED)):
        if obj.get(name) is not None and obj.get(name) is not False:
            flags |= flag
    if obj.get("newline") is False:
        flags |= Flag.NO_NEWLINE
    return int(flags)


def _response(obj: dict[str, Any]) -> Response:
    sent = obj.get("request")
    request = None
    if isinstance(sent, dict):
        request = SentRequest(_text(sent["method"]), _text(sent["url"]),
                              [(_text(n), _text(v)) for n, v in sent["headers"]],
                              _maybe(_count, sent.get("body_size")), _text(sent.get("route", "direct")))
    mode = _text(obj["mode"])
    if mode not in MODES:
        raise ValueError(mode)
    started_at = _seconds(obj["started_at"])
    if started_at < 0:
        raise ValueError(started_at)
    return Response(_count(obj["status"]), _text(obj["reason"]), _text(obj["http_version"]),
                    {_text(name): _text(value) for name, value in obj["headers"].items()}, _text(obj["url"]),
                    mode, started_at, request)


def _checked_fields(obj: dict[str, Any], names: Any) -> dict[str, Any]:
    """The named fields: times as floats, counts as ints, text as text (each checked), absent ones None."""
    out: dict[str, Any] = {}
    for name in names:
        value = obj.get(name)
        if isinstance(value, Decimal):
            value = _seconds(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            value = _count(value)
        elif value is not None and not isinstance(value, (str, bool)):
            raise ValueError(value)
        out[name] = value
    return out


def _summary(obj: dict[str, Any]) -> Summary:
    phases = Phases(**_checked_fields(obj["phases"], [f.name for f in fields(Phases)]))
    gap_names = [f.name for f in fields(GapSummary)]
    gaps = GapSummary(**{name: value for name, value in _checked_fields(obj, gap_names).items() if value is not None})
    llm = None
    if isinstance(obj.get("llm"), dict):
        llm = LlmSummary(**_checked_fields(obj["llm"], [f.name for f in fields(LlmSummary) if f.name in obj["llm"]]))
    optional = ("events", "comments", "members", "framing", "close_code", "close_reason", "stopped", "error", "type")
    extra = {name: obj[name] for name in optional if name in obj}
    for name, value in extra.items():
        if name in ("events", "comments", "members", "close_code"):
            _count(value)
        else:
            _text(value)
    return Summary(records=_count(obj["records"]), bytes=_count(obj["bytes"]), duration=_seconds(obj["duration"]),
                   ttfb=_maybe(_seconds, obj.get("ttfb")), phases=phases, gaps=gaps, llm=llm, **extra)
