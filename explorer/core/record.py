"""Records: the unit every face of explorer speaks, and their JSONL form."""

from __future__ import annotations

import base64
from typing import Any, Iterator

DATA_KINDS = ("chunk", "line", "event", "sse", "message")


class Record:
    """One thing that happened in a stream.

    `kind` is response, chunk, line, event, sse, message, end or error. `seq`
    counts records of the same kind from 0; `t` is seconds since the request
    was sent, stamped when the read returned; `gap` is seconds since the
    previous record of the same kind; `size` is bytes on the wire. `data` is
    the payload bytes, `extra` the kind's own fields (see DESIGN section 2).
    A plain slotted class: the engine creates millions of these.
    """

    __slots__ = ("kind", "seq", "t", "gap", "size", "data", "extra")

    def __init__(
        self,
        kind: str,
        seq: int,
        t: float,
        gap: float,
        size: int,
        data: bytes | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.seq = seq
        self.t = t
        self.gap = gap
        self.size = size
        self.data = data
        self.extra = extra

    def get(self, key: str, default: Any = None) -> Any:
        """A kind-specific field, or `default`."""
        return self.extra.get(key, default) if self.extra else default

    @property
    def events(self) -> list[tuple[str, str, Any]]:
        """For `event` records: the ijson (prefix, event, value) triples this read completed."""
        return self.get("events", [])

    def __repr__(self) -> str:
        return (
            f"Record({self.kind!r}, seq={self.seq}, t={self.t:.4f}, gap={self.gap:.4f}, "
            f"size={self.size}, data={self.data!r:.60}, extra={self.extra!r:.120})"
        )


def payload_fields(data: bytes | None) -> dict[str, str]:
    """`data` as text when it is valid UTF-8, else `data_b64`."""
    if data is None:
        return {}
    try:
        return {"data": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"data_b64": base64.b64encode(data).decode("ascii")}


def to_json_objects(record: Record) -> Iterator[dict[str, Any]]:
    """The JSONL objects for one record (an `event` batch expands to one per event)."""
    base = {"kind": record.kind, "seq": record.seq, "t": round(record.t, 6), "gap": round(record.gap, 6), "size": record.size}
    if record.kind == "event":
        for n, (prefix, event, value) in enumerate(record.events):
            yield {
                **base,
                "seq": record.seq + n,
                "size": record.size if n == 0 else 0,
                "prefix": prefix,
                "event": event,
                "value": _jsonable(value),
            }
        return
    obj = {**base, **payload_fields(record.data)}
    if record.extra:
        obj.update((k, _jsonable(v)) for k, v in record.extra.items())
    yield obj


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return payload_fields(value).get("data", base64.b64encode(value).decode("ascii"))
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)  # Decimal and friends
