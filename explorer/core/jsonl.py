"""The JSONL form of records (the `explorer get --format jsonl` contract) and a file that records them.

One object per record, except an `event` batch, which is one object per
ijson event: the first carries the read's gap, the rest 0, as in the text
output. Captures and stdout use the same functions, so a capture and
`get`'s output agree line for line.

orjson writes the lines. Numbers stay exact (ints of any size, Decimals as
ijson read them), and besides what JSON must escape, every C1 control, DEL,
bidi control and invisible separator is written as `\\uXXXX`, so printing a
capture cannot move a terminal's cursor or reorder its text.

Any str can be written. A lone surrogate (which no UTF-8 encoder takes, and
which network text cannot hold: header bytes are read as latin-1, the rest
as UTF-8 that replaces or refuses invalid bytes) is kept as its JSON escape
`\\udXXX` in a value, so `json.loads` gives the same str back; in a key it
becomes U+FFFD, as orjson takes only str keys.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from contextlib import suppress
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import orjson

from .batches import ReadBatches
from .format import json_number
from .record import Flag, Kind, Record, Response, SSEEvent, Summary, Token

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
    """The JSONL objects for one record (an ijson event's `value` as ijson gave it: int or Decimal, exact)."""
    base: dict[str, Any] = {"kind": record.kind.value, "seq": record.seq, "t": round(record.t, 6),
                            "gap": round(record.gap, 6), "size": record.size}
    value = record.value
    if record.kind is Kind.EVENT:  # one object per ijson event; the read's gap and size go on the first
        if record.cut:  # the app kept its strings to a cap
            base["truncated"] = True
        for n, (prefix, event, item) in enumerate(value):
            if n == 0:
                yield {**base, "prefix": prefix, "event": event, "value": item}
            else:
                yield {**base, "seq": record.seq + n, "gap": 0.0, "size": 0, "prefix": prefix, "event": event,
                       "value": item}
        return
    if isinstance(value, Response):
        yield {**base, **dataclasses.asdict(value)}
    elif isinstance(value, Summary):
        yield {**base, **summary_fields(value)}
    elif isinstance(value, SSEEvent):
        if record.cut:  # kept by the app to a cap: say so, with the data's full length
            yield {**base, **dataclasses.asdict(value), "truncated": True, "data_length": record.full_size}
        else:
            yield {**base, **dataclasses.asdict(value)}
    elif isinstance(value, Token):
        yield {**base, **token_fields(record, value)}
    elif record.kind is Kind.TRAILERS:
        yield {**base, "trailers": value}
    elif record.kind is Kind.CONTROL:  # a WebSocket ping, pong or close frame (a close's code and reason as text)
        yield {**base, "frame": value, **payload_fields(record.data),
               "direction": "out" if int(record.flags) & _OUTGOING else "in"}
    elif value is not None:  # a wire chunk's extensions
        yield {**base, **payload_fields(record.data), **flag_fields(record), "extensions": value}
    else:
        yield {**base, **payload_fields(record.data), **flag_fields(record)}


# The flags as plain ints: `int & IntFlag` builds an IntFlag each time, about 1.5 us.
_BINARY, _OUTGOING, _FRAMED, _UNFRAMED, _PARTIAL, _NO_NEWLINE, _DECODED, _UNDECODED, _STALL, _CUT, _PIECE = map(
    int, (Flag.BINARY, Flag.OUTGOING, Flag.FRAMED, Flag.UNFRAMED, Flag.PARTIAL, Flag.NO_NEWLINE, Flag.DECODED,
          Flag.UNDECODED, Flag.STALL, Flag.CUT, Flag.PIECE))


def flag_fields(record: Record) -> dict[str, Any]:
    """A data record's flags and sizes, as JSONL fields."""
    flags = int(record.flags)
    fields: dict[str, Any] = {}
    if record.kind is Kind.MESSAGE:
        fields["type"] = "binary" if flags & _BINARY else "text"
        fields["direction"] = "out" if flags & _OUTGOING else "in"
    if not flags:
        return fields
    if flags & (_FRAMED | _UNFRAMED):
        fields["framed"] = bool(flags & _FRAMED)
    if flags & _PARTIAL:
        fields["partial"] = True
    if flags & _PIECE:
        fields["piece"] = True
    if flags & _NO_NEWLINE:
        fields["newline"] = False
    if flags & _DECODED:
        fields["decoded_size"] = record.data_size
    if flags & _UNDECODED:
        fields["undecoded"] = True
    if flags & _STALL:
        fields["stall"] = True
    if flags & _CUT:
        fields["truncated"] = True
    return fields


def token_fields(record: Record, token: Token) -> dict[str, Any]:
    """A token's fields: its text and channel, the tool call it belongs to, the stream's shape (on the first),
    a stall before it, a cut."""
    fields: dict[str, Any] = {"text": token.text, "channel": token.channel}
    if token.call is not None:
        fields["call"] = token.call
    if token.shape is not None:
        fields["shape"] = token.shape
    if record.stall:
        fields["stall"] = True
    if record.cut:
        fields["truncated"] = True
        fields["text_length"] = record.full_size
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
    if summary.llm is not None:
        fields["llm"] = dataclasses.asdict(summary.llm)
    return fields


# What JSONL escapes beyond what orjson does (C0 controls, quote, backslash): the characters `sanitize`
# neutralises too. DEL and C1 controls move terminals; bidi controls reorder text; the rest hide.
ESCAPED = frozenset((0x7F, *range(0x80, 0xA0), 0x061C, 0x200B, 0x200E, 0x200F, *range(0x2028, 0x202F), 0x2060,
                     *range(0x2066, 0x206A), 0xFEFF))
_ESCAPES = {chr(code).encode(): b"\\u%04x" % code for code in ESCAPED}
# Their UTF-8 forms. orjson's output holds them raw only inside strings, where `\uXXXX` means the same.
_UNSAFE = re.compile(b"\x7f|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8b\x8e\x8f\xa8-\xae]|\xe2\x81[\xa0\xa6-\xa9]"
                     b"|\xef\xbb\xbf")
_INT_RANGE = range(-(2**63), 2**64)  # what orjson writes as a number itself


def _escape(match: re.Match[bytes]) -> bytes:
    return _ESCAPES[match[0]]


def _default(value: Any) -> Any:
    """orjson's hook for what it does not write itself: a Decimal as its exact number, anything else as text."""
    if isinstance(value, Decimal):
        return orjson.Fragment(json_number(value)) if value.is_finite() else str(value)
    return str(value)


def _portable(value: Any) -> Any:
    """`value` with what orjson refuses made writable: ints past 64 bits as exact numbers, strings holding
    lone surrogates as JSON text that escapes them (`"\\ud800"`)."""
    if isinstance(value, dict):
        return {_text_key(key): _portable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_portable(item) for item in value]
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return orjson.Fragment(json.dumps(value))  # ASCII only: every surrogate as \udXXX
        return value
    if type(value) is int and value not in _INT_RANGE:
        return orjson.Fragment(json_number(value))
    return value


def _text_key(key: Any) -> Any:
    if isinstance(key, str):  # a key cannot be a fragment: a lone surrogate in it becomes U+FFFD
        return key.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return key


def dump_bytes(obj: Any) -> bytes:
    """One JSON text, UTF-8, with numbers exact and every control, bidi and invisible character escaped as
    `\\uXXXX`."""
    try:
        out = orjson.dumps(obj, default=_default)
    except TypeError:  # orjson.JSONEncodeError: an int past 64 bits, a lone surrogate
        out = orjson.dumps(_portable(obj), default=_default)
    if not out.isascii() or b"\x7f" in out:  # isascii and find run at memory speed; the regex does not
        out = _UNSAFE.sub(_escape, out)
    return out


def dumps(obj: Any) -> str:
    """`dump_bytes` as text."""
    return dump_bytes(obj).decode("utf-8")


_PLAIN_KINDS = {Kind.LINE: b"line", Kind.CHUNK: b"chunk"}
_PLAIN_LINE = b'{"kind":"%b","seq":%d,"t":%b,"gap":%b,"size":%d,"data":%b}\n'
_QUOTED_LINE = _PLAIN_LINE.replace(b"%b}", b'"%b"}')  # for payloads quoted together, their quotes cut off


class _Stamps(dict[float, bytes]):
    """Stamps as JSON numbers, each made once: the lines split from one read share theirs (round() is slow)."""

    def __missing__(self, t: float) -> bytes:
        text = self[t] = orjson.dumps(round(t, 6))
        return text


def jsonl_bytes(record: Record) -> bytes:
    """The JSONL lines of one record, each ending in a newline, as UTF-8."""
    return jsonl_batch([record])


def jsonl_batch(records: list[Record]) -> bytes:
    """The JSONL lines of `records` (the records of one read, as a rule), each ending in a newline, as UTF-8.

    UTF-8 lines and chunks without flags (most records) are written from a template, their payloads quoted
    by one orjson call: the same bytes as the general path (a test holds them equal) at a fraction of its
    cost.
    """
    kinds = _PLAIN_KINDS
    if not [record for record in records  # _plain, inlined: a call per record costs a third of the rest
            if record.kind not in kinds or record.flags or record.value is not None or record.data is None]:
        return _plain_run(records)
    out: list[bytes] = []
    run: list[Record] = []
    for record in records:
        if _plain(record):
            run.append(record)
            continue
        if run:
            out.append(_plain_run(run))
            run = []
        out.extend([dump_bytes(obj) + b"\n" for obj in to_json_objects(record)])
    if run:
        out.append(_plain_run(run))
    return b"".join(out)


def _plain(record: Record) -> bool:
    """A line or chunk with a payload and nothing else to say."""
    return record.kind in _PLAIN_KINDS and not record.flags and record.value is None and record.data is not None


def _plain_run(run: list[Record]) -> bytes:
    """Lines and chunks with no flags, as JSONL, from a template.

    Small payloads are quoted by one orjson call for the run: joined with
    NUL, which JSON writes as `\\u0000`, and split there (unless a payload
    holds NUL or that escape's text itself). Large ones are quoted one by
    one, which copies each payload fewer times. A payload that is not UTF-8
    sends the run to the general path.
    """
    payloads: list[bytes] = [record.data for record in run]  # type: ignore[misc]
    try:
        if sum(map(len, payloads)) > SMALL_PAYLOADS * len(payloads):
            line, quoted = _PLAIN_LINE, [orjson.dumps(payload.decode("utf-8")) for payload in payloads]
        else:
            joined = b"\0".join(payloads)
            if joined.count(b"\0") != len(payloads) - 1 or b"\\u0000" in joined:
                return _one_by_one(run)
            line, quoted = _QUOTED_LINE, orjson.dumps(joined.decode("utf-8"))[1:-1].split(b"\\u0000")
    except UnicodeDecodeError:
        return _one_by_one(run)
    kinds, stamps = _PLAIN_KINDS, _Stamps()
    out = b"".join([line % (kinds[record.kind], record.seq, stamps[record.t],
                            stamps[record.gap] if record.gap else b"0.0", record.size, text)
                    for record, text in zip(run, quoted)])
    if not out.isascii() or b"\x7f" in out:  # unsafe characters sit only inside the strings
        out = _UNSAFE.sub(_escape, out)
    return out


SMALL_PAYLOADS = 4096  # bytes per payload, on average, up to which a run's payloads are quoted together


def _one_by_one(run: list[Record]) -> bytes:
    return b"".join([dump_bytes(obj) + b"\n" for record in run for obj in to_json_objects(record)])


def jsonl_lines(record: Record) -> list[str]:
    """The JSONL lines for one record (an ijson batch is one line per event)."""
    return [dumps(obj) for obj in to_json_objects(record)]


class JsonlRecorder:
    """Appends records to a file, written once per engine read (`ReadBatches`): a kill loses at most the
    records of the read in flight, and leaves at most a cut last line.

    A write that fails (a full disk, `/dev/full`) raises its OSError once and
    is remembered in `failed`; `close` then closes without raising it again.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._out: BinaryIO = open(self.path, "ab")
        self._batches = ReadBatches(self._out, jsonl_batch)

    @property
    def failed(self) -> OSError | None:
        return self._batches.failed

    def write(self, record: Record) -> None:
        self._batches.add(record)

    def close(self) -> None:
        """Write what is queued and close the file (closed even when that fails); raise a failure not raised
        before."""
        if self._out.closed:
            return
        raised = self.failed
        try:
            self._batches.flush()
            self._out.close()
        except OSError:
            with suppress(OSError):
                self._out.close()
            if raised is None:
                raise
