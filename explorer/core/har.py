"""A capture as HAR 1.2 (HTTP Archive), for browser devtools and HAR viewers.

One entry per stream of the capture, and one before it for each redirect hop
it followed (1xx responses are left out). Timings come from the stream's
phases, in milliseconds, laid end to end as HAR wants them: `dns` and
`connect`, `send` up to the request sent, `wait` up to the first byte,
`receive` up to the last; `blocked` and `ssl` are -1 (explorer does not tell
them apart) and `time` is the sum of the rest.

What HAR has no field for goes in underscore fields, HAR's convention for
custom ones: `_chunks` (one per arrival: ms since the entry started, bytes on
the wire, bytes decoded), `_webSocketMessages` as Chrome DevTools writes them,
`_error`, `_trailers` and `_mode`. The body in `content.text` is rebuilt from
the records, kept to `BODY_CAP` bytes (`_truncated` when it was cut, here or
when the capture was saved), base64 when it is not UTF-8.

Headers are written as the capture holds them: credentials masked at capture
time stay masked. Pure: no I/O and no Textual.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any, Iterable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from .. import __version__
from .capture import Capture, Run
from .headers import header_value
from .record import Flag, Kind, Phases, Record, Response, Summary

BODY_CAP = 1 << 20  # bytes of a body written to `content.text` at most
UNKNOWN_MIME = "x-unknown"  # what Chrome writes when a response names no Content-Type
BODY_KINDS = frozenset((Kind.CHUNK, Kind.LINE))
_HOP_KINDS = frozenset((Kind.REDIRECT, Kind.RESPONSE))
_SURROGATE = re.compile("[\ud800-\udfff]")
_DECODED, _NO_NEWLINE, _CUT, _BINARY, _OUTGOING = map(
    int, (Flag.DECODED, Flag.NO_NEWLINE, Flag.CUT, Flag.BINARY, Flag.OUTGOING))


def har(capture: Capture) -> dict[str, Any]:
    """The HAR 1.2 document of `capture`: `{"log": {...}}`, ready for a JSON writer."""
    entries: list[dict[str, Any]] = []
    for run in capture.runs:
        entries.extend(run_entries(run))
    log: dict[str, Any] = {"version": "1.2", "creator": {"name": "explorer", "version": __version__},
                           "entries": entries}
    notes = []
    left_out = unexportable(capture)
    if left_out:
        notes.append(f"{left_out} stream{'s' if left_out > 1 else ''} without a response "
                     f"(the connection failed) {'are' if left_out > 1 else 'is'} left out.")
    if capture.capped:
        notes.append("The capture holds more records than explorer reads back: the rest is left out.")
    if notes:
        log["comment"] = " ".join(notes)
    return {"log": log}


def unexportable(capture: Capture) -> int:
    """How many runs have no response head to make an entry of (a refused connection, a DNS failure)."""
    return sum(1 for run in capture.runs if not any(record.kind in _HOP_KINDS for record in run.records))


def run_entries(run: Run) -> list[dict[str, Any]]:
    """One run's entries: a redirect hop's each, then the response's."""
    entries: list[dict[str, Any]] = []
    final = run.final
    summary = final.summary if final is not None else None
    start = 0.0  # when the current hop began, in seconds since the run's first request
    for position, record in enumerate(run.records):
        if record.kind is Kind.REDIRECT:
            entries.append(_redirect_entry(record, start))
            start = record.t
        elif record.kind is Kind.RESPONSE:
            entries.append(_response_entry(record, run.records[position + 1:], start, summary,
                                           redirected=bool(entries)))
    if entries:
        _note_ending(entries[-1], run, summary)
    return entries


def _redirect_entry(record: Record, start: float) -> dict[str, Any]:
    """A followed redirect: its status and headers; its body was not read, its time is all `wait`."""
    response = record.response
    wait = _ms(max(0.0, record.t - start))
    return {
        "startedDateTime": _iso(response.started_at + start),
        "time": wait,
        "request": _request(response),
        "response": {**_response_head(response), "content": {"size": 0, "mimeType": _mime(response)},
                     "bodySize": -1},
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": wait, "receive": 0, "ssl": -1},
        "_resourceType": "fetch",
        "_mode": response.mode,
    }


def _response_entry(head: Record, after: list[Record], start: float, summary: Summary | None,
                     redirected: bool) -> dict[str, Any]:
    response = head.response
    websocket = _is_websocket(response)
    timings = _timings(summary.phases if summary is not None else Phases(), head, after, start, redirected)
    entry: dict[str, Any] = {
        "startedDateTime": _iso(response.started_at + start),
        "time": round(sum(value for value in timings.values() if value != -1), 3),
        "request": _request(response),
        "response": _response_head(response),
        "cache": {},
        "timings": timings,
        "_resourceType": "websocket" if websocket else "fetch",
        "_mode": response.mode,
    }
    if websocket:
        entry["response"].update({"content": {"size": 0, "mimeType": _mime(response)}, "bodySize": 0})
        entry["_webSocketMessages"] = [_ws_message(record, response.started_at) for record in after
                                       if record.kind is Kind.MESSAGE]
        if summary is not None and summary.close_code is not None:
            entry["_webSocketClose"] = {"code": summary.close_code, "reason": _text(summary.close_reason or "")}
        return entry
    body = [record for record in after if record.kind in BODY_KINDS]
    chunks = [_chunk(record, start) for record in body]
    content = _content(body, response, sum(chunk["decodedSize"] for chunk in chunks))
    body_size = sum(record.size for record in body)
    if any(record.flags & _DECODED for record in body) and content["size"] >= body_size:
        content["compression"] = content["size"] - body_size
    entry["response"].update({"content": content, "bodySize": body_size})
    trailers = [record.value for record in after if record.kind is Kind.TRAILERS]
    if trailers:
        entry["response"]["_trailers"] = _pairs(pair for fields in trailers for pair in fields.items())
    entry["_chunks"] = chunks
    return entry


def _timings(phases: Phases, head: Record, after: list[Record], start: float, redirected: bool) -> dict[str, float]:
    """HAR timings in ms from the phases (seconds since the run's first request), each hop from `start`.

    After a redirect, DNS and connect are -1: the phases keep the last connection
    made, which may belong to an earlier hop.
    """
    dns = None if redirected else phases.dns
    connect = None if redirected else phases.connect
    if dns is not None and connect is not None and phases.sent is not None and dns + connect > phases.sent - start:
        # The spans overlap (aiohttp's connection span starts before it resolves the host): HAR's connect
        # comes after DNS, so it is what is left of the time before the request went out.
        connect = max(0.0, phases.sent - start - dns)
    ready = start + (dns or 0.0) + (connect or 0.0)
    sent = phases.sent if phases.sent is not None else ready
    headers = phases.headers if phases.headers is not None else head.t
    first = min(headers, phases.first_byte) if phases.first_byte is not None else headers
    last = phases.last_byte
    if last is None:
        arrivals = [record.t for record in after if record.kind in BODY_KINDS or record.kind is Kind.MESSAGE]
        last = max(arrivals, default=first)
    return {
        "blocked": -1,
        "dns": -1 if dns is None else _ms(dns),
        "connect": -1 if connect is None else _ms(connect),
        "send": _ms(max(0.0, sent - ready)),
        "wait": _ms(max(0.0, first - sent)),
        "receive": _ms(max(0.0, last - first)),
        "ssl": -1,
    }


def _request(response: Response) -> dict[str, Any]:
    sent = response.request
    url = sent.url if sent is not None else response.url
    return {
        "method": _text(sent.method) if sent is not None else "GET",
        "url": _text(_without_fragment(url)),
        "httpVersion": _http_version(response.http_version),
        "cookies": [],
        "headers": _pairs(sent.headers) if sent is not None else [],
        "queryString": _pairs(parse_qsl(urlsplit(url).query, keep_blank_values=True)),
        # A request explorer knows went out without a body sent none; -1 when the capture does not say.
        "headersSize": -1,
        "bodySize": -1 if sent is None else sent.body_size or 0,
    }


def _response_head(response: Response) -> dict[str, Any]:
    return {
        "status": response.status,
        "statusText": _text(response.reason),
        "httpVersion": _http_version(response.http_version),
        "cookies": [],
        "headers": _pairs(response.headers.items()),
        "redirectURL": _text(header_value(response.headers.items(), "Location")),
        "headersSize": -1,
    }


def _chunk(record: Record, start: float) -> dict[str, Any]:
    """One arrival: ms since the entry started, bytes on the wire, bytes of body they decoded to."""
    item: dict[str, Any] = {"time": _ms(record.t - start), "size": record.size, "decodedSize": _decoded_size(record)}
    if record.stall:
        item["stall"] = True
    if record.partial:
        item["partial"] = True
    return item


def _decoded_size(record: Record) -> int:
    """The body bytes a record stands for; a line's ending is counted (in `size`, or one LF once decoded)."""
    if record.kind is Kind.LINE:
        if not record.flags & _DECODED:
            return record.size
        return record.data_size + (0 if record.flags & _NO_NEWLINE else 1)
    return record.data_size


def _content(body: list[Record], response: Response, size: int) -> dict[str, Any]:
    """The response body as HAR content: UTF-8 text, else base64; cut to `BODY_CAP`."""
    kept = bytearray()
    truncated = False
    lines = False
    for record in body:
        piece = record.data or b""
        if record.kind is Kind.LINE:
            lines = True
            if not record.flags & _NO_NEWLINE:
                piece += b"\n"
        if record.flags & _CUT:
            truncated = True
        room = BODY_CAP - len(kept)
        if len(piece) > room:
            kept += piece[:room]
            truncated = True
        else:
            kept += piece
    content: dict[str, Any] = {"size": size, "mimeType": _mime(response)}
    text = _utf8(bytes(kept), truncated)
    if text is not None:
        content["text"] = text
    else:
        content["text"] = base64.b64encode(kept).decode("ascii")
        content["encoding"] = "base64"
    if truncated:
        content["_truncated"] = True
    if lines:
        content["comment"] = "Read in lines mode: the body is its lines, each ended with LF."
    return content


def _utf8(data: bytes, truncated: bool) -> str | None:
    """`data` as text when it is UTF-8; a cut body may end inside a character, which is dropped."""
    for end in range(len(data), max(len(data) - 4, -1) if truncated else len(data) - 1, -1):
        try:
            return data[:end].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def _ws_message(record: Record, started_at: float) -> dict[str, Any]:
    """A WebSocket message as Chrome DevTools writes it: opcode 1 with text, 2 with base64."""
    data = record.data or b""
    binary = bool(record.flags & _BINARY)
    return {
        "type": "send" if record.flags & _OUTGOING else "receive",
        "time": round(started_at + record.t, 6),
        "opcode": 2 if binary else 1,
        "data": base64.b64encode(data).decode("ascii") if binary else data.decode("utf-8", "replace"),
    }


def _note_ending(entry: dict[str, Any], run: Run, summary: Summary | None) -> None:
    """Say on the run's last entry how the stream ended, when it did not end cleanly."""
    if summary is None:
        entry["comment"] = "The capture ends before this stream did: it has no end record."
    elif summary.error is not None:
        entry["comment"] = _text(summary.error)
        entry["_error"] = {"type": summary.type or "error", "message": _text(summary.error)}
    elif summary.stopped is not None:
        entry["comment"] = _text(f"Stopped early: {summary.stopped}.")


def _is_websocket(response: Response) -> bool:
    return response.mode == "ws" or urlsplit(response.url).scheme in ("ws", "wss")


def _mime(response: Response) -> str:
    return _text(header_value(response.headers.items(), "Content-Type")) or UNKNOWN_MIME


def _http_version(version: str) -> str:
    return version if version.upper().startswith("HTTP/") else f"HTTP/{version}"


def _without_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment="")) if parts.fragment else url


def _pairs(items: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": _text(name), "value": _text(value)} for name, value in items]


def _text(value: str) -> str:
    """A str any UTF-8 writer takes: a lone surrogate (a capture may hold one as `\\udXXX`) becomes U+FFFD."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _iso(epoch: float) -> str:
    """ISO 8601 in UTC, to the millisecond, as browsers write it."""
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
