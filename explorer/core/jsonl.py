"""The JSONL form of records (the `explorer get --format jsonl` contract) and a file that records them.

One object per record, except an `event` batch, which is one object per
ijson event. Captures and stdout use the same functions, so a capture and
`get`'s output agree line for line.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from typing import IO, Any, Iterator

from .record import Flag, Kind, Record, Response, SSEEvent, Summary

# Summary fields printed only when the mode reports them.
_OPTIONAL = ("events", "comments", "members", "framing", "close_code", "close_reason", "stopped", "error", "type")


def payload_fields(data: bytes | None) -> dict[str, str]:
    """`data` as text when it is valid UTF-8, else `data_b64`."""
    if data is None:
        return {}
    try:
        return {"data": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"data_b64": base64.b64encode(data).decode("ascii")}


def to_json_objects(record: Record) -> Iterator[dict[str, Any]]:
    """The JSONL objects for one record."""
    base: dict[str, Any] = {"kind": record.kind.value, "seq": record.seq, "t": round(record.t, 6),
                            "gap": round(record.gap, 6), "size": record.size}
    value = record.value
    if record.kind is Kind.EVENT:
        for n, (prefix, event, item) in enumerate(value):
            yield {**base, "seq": record.seq + n, "size": record.size if n == 0 else 0,
                   "prefix": prefix, "event": event, "value": _jsonable(item)}
        return
    if isinstance(value, Response):
        yield {**base, **dataclasses.asdict(value)}
    elif isinstance(value, Summary):
        yield {**base, **summary_fields(value)}
    elif isinstance(value, SSEEvent):
        yield {**base, **dataclasses.asdict(value)}
    else:
        yield {**base, **payload_fields(record.data), **flag_fields(record)}


def flag_fields(record: Record) -> dict[str, Any]:
    """A data record's flags and sizes, as JSONL fields."""
    flags = record.flags
    fields: dict[str, Any] = {}
    if record.kind is Kind.MESSAGE:
        fields["type"] = "binary" if flags & Flag.BINARY else "text"
        fields["direction"] = "out" if flags & Flag.OUTGOING else "in"
    if flags & (Flag.FRAMED | Flag.UNFRAMED):
        fields["framed"] = bool(flags & Flag.FRAMED)
    if flags & Flag.PARTIAL:
        fields["partial"] = True
    if flags & Flag.NO_NEWLINE:
        fields["newline"] = False
    if flags & Flag.DECODED:
        fields["decoded_size"] = record.data_size
    if flags & Flag.UNDECODED:
        fields["undecoded"] = True
    if flags & Flag.STALL:
        fields["stall"] = True
    if flags & Flag.CUT:
        fields["truncated"] = True
    return fields


def summary_fields(summary: Summary) -> dict[str, Any]:
    """An end or error record's fields: totals, phases, gaps, and what the mode reported."""
    fields: dict[str, Any] = {
        "records": summary.records,
        "bytes": summary.bytes,
        "duration": summary.duration,
        "ttfb": summary.ttfb,
        "phases": dataclasses.asdict(summary.phases),
    }
    for name in _OPTIONAL:
        value = getattr(summary, name)
        if value is not None:
            fields[name] = value
    fields.update(dataclasses.asdict(summary.gaps))
    return fields


def _jsonable(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)  # Decimal and friends


def jsonl_lines(record: Record) -> list[str]:
    """The JSONL lines for one record (an ijson batch is one line per event)."""
    return [json.dumps(obj, ensure_ascii=False) for obj in to_json_objects(record)]


class JsonlRecorder:
    """Appends records to a file, line-buffered: a kill leaves at most a cut last line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._out: IO[str] = open(self.path, "a", encoding="utf-8", buffering=1)

    def write(self, record: Record) -> None:
        self._out.write("\n".join(jsonl_lines(record)) + "\n")

    def close(self) -> None:
        self._out.close()
