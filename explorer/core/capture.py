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

from .record import (
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


class CaptureError(Exception):
    """A capture that cannot be read, in one sentence."""


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
    count, capped = 0, False
    with handle:
        for record in _records(handle, name):
            if not runs or runs[-1].complete:
                runs.append(Run())
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
        except (KeyError, TypeError, ValueError, AttributeError, binascii.Error):
            raise CaptureError(f"Line {number:,} of {name!r} is not an explorer record "
                               f"(kind {str(obj.get('kind') if isinstance(obj, dict) else None)[:40]!r}).") from None
    if head is not None:
        head.value = tuple(events)
        yield head


def _base(obj: dict[str, Any], kind: Kind) -> Record:
    return Record(kind, int(obj["seq"]), float(obj["t"]), float(obj["gap"]), int(obj["size"]))


def _record(obj: dict[str, Any], kind: Kind) -> Record:
    record = _base(obj, kind)
    if kind in _HEAD_KINDS:
        record.value = _response(obj)
    elif kind in FINAL_KINDS:
        record.value = _summary(obj)
    elif kind is Kind.SSE:
        record.value = SSEEvent(obj["event"], obj["data"], obj["id"], obj["retry"])
        if obj.get("truncated"):
            record.flags |= Flag.CUT
            record.full_size = obj.get("data_length")
    elif kind is Kind.TOKEN:
        record.value = Token(obj["text"], obj["channel"], obj.get("call"), obj.get("shape"))
        if obj.get("truncated"):
            record.flags |= Flag.CUT
            record.full_size = obj.get("text_length")
    elif kind is Kind.TRAILERS:
        record.value = dict(obj["trailers"])
    else:  # bytes: chunk, line, message, framing, control
        record.data = _payload(obj)
        record.flags |= _flags(obj, kind)
        if kind is Kind.CONTROL:
            record.value = obj["frame"]
        elif "extensions" in obj:
            record.value = obj["extensions"]
        if "decoded_size" in obj and obj["decoded_size"] != len(record.data or b""):
            record.full_size = int(obj["decoded_size"])
    if obj.get("stall"):
        record.flags |= Flag.STALL
    return record


def _payload(obj: dict[str, Any]) -> bytes | None:
    if "data" in obj:
        return str(obj["data"]).encode("utf-8", "surrogatepass")
    if "data_b64" in obj:
        return base64.b64decode(obj["data_b64"], validate=True)
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
        request = SentRequest(sent["method"], sent["url"], [(str(n), str(v)) for n, v in sent["headers"]],
                              sent.get("body_size"), sent.get("route", "direct"))
    return Response(int(obj["status"]), str(obj["reason"]), str(obj["http_version"]),
                    {str(name): str(value) for name, value in obj["headers"].items()}, str(obj["url"]),
                    str(obj["mode"]), float(obj["started_at"]), request)


def _floats(obj: dict[str, Any], names: Any) -> dict[str, Any]:
    return {name: float(obj[name]) if isinstance(obj.get(name), Decimal) else obj.get(name) for name in names}


def _summary(obj: dict[str, Any]) -> Summary:
    phases = Phases(**_floats(obj["phases"], [f.name for f in fields(Phases)]))
    gap_names = [f.name for f in fields(GapSummary)]
    gaps = GapSummary(**{name: value for name, value in _floats(obj, gap_names).items() if value is not None})
    llm = None
    if isinstance(obj.get("llm"), dict):
        llm = LlmSummary(**_floats(obj["llm"], [f.name for f in fields(LlmSummary) if f.name in obj["llm"]]))
    optional = ("events", "comments", "members", "framing", "close_code", "close_reason", "stopped", "error", "type")
    return Summary(records=int(obj["records"]), bytes=int(obj["bytes"]), duration=float(obj["duration"]),
                   ttfb=None if obj.get("ttfb") is None else float(obj["ttfb"]), phases=phases, gaps=gaps,
                   llm=llm, **{name: obj[name] for name in optional if name in obj})
