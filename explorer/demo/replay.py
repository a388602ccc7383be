"""Captures served back: a `get -o` capture as a demo endpoint at its recorded timing (`explorer serve --replay`).

`load(path, route)` reads a capture (core/capture.py) and plans its replay
(`Replay`): what to send, when, and how it ends. The headers go as long after
the request as the server took to answer it (from the request sent to the
headers, so not the original DNS and connect time), and the data is timed from
the headers: the wait before the first byte and every gap after it are the
recorded ones.

- HTTP: the recorded status, reason and headers (hop-by-hop fields left out),
  then one `write()` per recorded chunk, read or line: aiohttp makes each
  write one HTTP chunk, so a wire-mode capture keeps its framing. A
  Content-Length body is served with Content-Length. A stream that ended in
  an error is cut the same way: what arrived, then a closed (or reset)
  connection.
- WebSocket: the messages the server sent, text or binary, then its close
  code and reason.

What the capture cannot give back (chunk boundaries in lines mode, bytes it
kept decoded, payloads cut to a cap) is said in the endpoint's "watch" text.
Header values are sent as captured: secrets masked then stay masked.

Serving is replay_serve.py; aiohttp.web loads when a replay is served, not when this module is imported.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.capture import Capture, CaptureError, Run, read_capture
from ..core.format import plural
from ..core.record import Flag, Kind, Record, Response
from ..core.sanitize import sanitize
from .catalog import CATALOG, Endpoint

if TYPE_CHECKING:
    from aiohttp import web

    from .catalog import Handler

# Fields that describe one connection or the framing of the original body, never the content.
HOP_BY_HOP = frozenset(("connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                        "upgrade", "content-length"))
WS_HANDSHAKE = frozenset(("sec-websocket-accept", "sec-websocket-extensions", "sec-websocket-protocol"))
_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # what no header field may carry (a tab may)
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # a header name
_PATH = re.compile(r"(/[A-Za-z0-9._~-]+)+")
_SENDABLE_CLOSE = frozenset((*range(1000, 1004), *range(1007, 1015), *range(3000, 5000)))
NO_BODY = frozenset((204, 304))
MAX_HEAD_WAIT = 60.0  # seconds a replay waits before its headers at most (a client's idle timeout would end it first)


class ReplayError(Exception):
    """A capture that cannot be served, or a path it cannot take, in one sentence."""


@dataclass(frozen=True, slots=True)
class Send:
    """One write: `at` seconds after the headers; `raw` bytes go straight to the socket (a chunk cut short)."""

    at: float
    data: bytes
    binary: bool = False
    raw: bool = False


@dataclass(frozen=True)
class Replay:
    """What a replay sends and how it ends; `notes` say what is faithful and what the capture lacks."""

    file: str
    mode: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    sends: tuple[Send, ...]
    end_at: float  # seconds after the headers when the stream ended (or broke off)
    ending: str = "end"  # "end", "close" (the connection cut mid-body) or "reset"
    head_wait: float = 0.0  # seconds the server took from the request to the headers
    websocket: bool = False
    content_length: int | None = None  # serve a Content-Length body (else chunked)
    close_code: int | None = None  # WebSocket: the close to send; None drops the connection
    close_reason: str = ""
    protocols: tuple[str, ...] = ()  # WebSocket subprotocol the original server chose
    methods: tuple[str, ...] = ("GET",)
    notes: tuple[str, ...] = ()

    @property
    def watch(self) -> str:
        return " ".join(self.notes)


@dataclass(frozen=True)
class ReplayEndpoint(Endpoint):
    """A catalog entry whose handler serves a `Replay` (the handler closes over it instead of naming a function)."""

    replay: Replay | None = field(default=None, compare=False)

    def load_handler(self) -> Handler:
        replay = self.replay
        assert replay is not None, "a replay endpoint holds its replay"

        from .replay_serve import serve_http, serve_websocket  # aiohttp.web: loaded when a replay is served

        async def handler(request: web.Request, values: dict[str, float]) -> web.StreamResponse:
            return await (serve_websocket(replay, request) if replay.websocket else serve_http(replay, request))

        handler.__doc__ = f"Replay {replay.file} at its recorded timing."
        return handler


# -- loading -----------------------------------------------------------------


def default_route(path: str | Path) -> str:
    """`/replay/<file stem>`, the stem cut to URL-safe characters."""
    stem = re.sub(r"[^A-Za-z0-9._~-]+", "-", Path(path).stem).strip("-.") or "capture"
    return f"/replay/{stem[:80]}"


def load(path: str | Path, route: str | None = None) -> ReplayEndpoint:
    """The capture at `path` as an endpoint at `route` (default: `default_route`, made unique); raises ReplayError."""
    try:
        capture = read_capture(path)
    except CaptureError as error:
        raise ReplayError(str(error)) from None
    name = sanitize(Path(path).name, 60)
    replay = plan(capture, name)
    if route is None:
        base = route = default_route(path)
        n = 1
        while CATALOG.route_taken(route):
            n += 1
            route = f"{base}-{n}"
    elif not _PATH.fullmatch(route):
        raise ReplayError(f"--path must be a path like /my-stream (letters, digits and - . _ ~ between slashes), "
                          f"not {sanitize(route, 60)!r}.")
    elif CATALOG.route_taken(route):
        raise ReplayError(f"The path {route} is taken by the demo server: choose another --path.")
    return ReplayEndpoint(route, f"Replay: {name}", replay.mode, replay.watch, "replay.<capture>",
                          group="replay", methods=replay.methods, replay=replay)


def add(files: list[str], paths: list[str]) -> list[ReplayEndpoint]:
    """Load each capture (the n-th path names the n-th file) and add it to the catalog: all of them, or none."""
    if len(paths) > len(files):
        raise ReplayError("Each --path names the endpoint of one --replay FILE: give as many files as paths.")
    added: list[ReplayEndpoint] = []
    try:
        for index, file in enumerate(files):
            endpoint = load(file, paths[index] if index < len(paths) else None)
            CATALOG.add(endpoint)
            added.append(endpoint)
    except BaseException:
        remove(added)
        raise
    return added


def remove(endpoints: list[ReplayEndpoint]) -> None:
    for endpoint in endpoints:
        CATALOG.remove(endpoint)


def plan(capture: Capture, name: str) -> Replay:
    """How to replay the first run of `capture` that got a response (raises ReplayError)."""
    runs = [run for run in capture.runs if run.response is not None]
    if not runs:
        raise ReplayError(f"The capture {name!r} holds no response: there is nothing to replay.")
    run = runs[0]
    response = run.response
    assert response is not None
    head = next(r for r in run.records if r.kind is Kind.RESPONSE)
    notes: list[str] = []
    websocket = response.mode == "ws" and response.status == 101
    replay = _websocket(run, response, head.t, name, notes) if websocket else _http(run, response, head.t, name, notes)
    if len(capture.runs) > 1:
        notes.append(f"The file holds {len(capture.runs)} runs: this is the first one with a response.")
    if capture.capped:
        notes.append("The capture passed the record cap: the replay stops where reading it stopped.")
    sent = run.final.summary.phases.sent if run.final is not None else None
    head_wait = min(max(0.0, head.t - sent), MAX_HEAD_WAIT) if sent is not None else 0.0
    sends, end_at, cut = _gaps_capped(replay.sends, replay.end_at)
    if cut:
        notes.append(f"Silences longer than {MAX_HEAD_WAIT:g} s are cut to {MAX_HEAD_WAIT:g} s "
                     "(a client's idle timeout would end the stream first).")
    return dataclasses.replace(replay, sends=sends, end_at=end_at, head_wait=head_wait, notes=tuple(notes))


def _gaps_capped(sends: tuple[Send, ...], end_at: float) -> tuple[tuple[Send, ...], float, bool]:
    """The sends with every silence (before each send and before the end) cut to `MAX_HEAD_WAIT` at most."""
    shift, last, out = 0.0, 0.0, []
    for send in sends:
        gap = send.at - last
        if gap > MAX_HEAD_WAIT:
            shift += gap - MAX_HEAD_WAIT
        last = send.at
        out.append(dataclasses.replace(send, at=send.at - shift) if shift else send)
    if end_at - last > MAX_HEAD_WAIT:
        shift += end_at - last - MAX_HEAD_WAIT
    return tuple(out), end_at - shift, shift > 0


def _http(run: Run, response: Response, t0: float, name: str, notes: list[str]) -> Replay:
    if not 200 <= response.status <= 599:
        raise ReplayError(f"The capture {name!r} answered HTTP {response.status}: only a final response (200 to 599) "
                          "can be replayed.")
    records = run.records
    data = [r for r in records if r.kind is Kind.CHUNK] or [r for r in records if r.kind is Kind.LINE]
    headers = _header_dict(response)
    codings = [c.strip().lower() for c in headers.get("content-encoding", "").split(",")
               if c.strip() and c.strip().lower() != "identity"]
    mode, lines = response.mode, bool(data) and data[0].kind is Kind.LINE
    framed = any(r.flags & Flag.FRAMED for r in data)
    unframed = any(r.flags & Flag.UNFRAMED for r in data)
    zlib_mode = mode == "zlib" and any(r.flags & Flag.DECODED for r in data)
    if mode == "wire" or zlib_mode:
        decoded = bool(codings) and any(r.flags & Flag.DECODED for r in data)
    else:  # aiohttp-read modes decode Content-Encoding unless asked for raw bytes, and say nothing per record
        decoded = bool(codings) and not (data and _looks_coded(data[0].data or b"", codings[-1]))

    sends, pieces, cut = _sends(data, t0, lines, zlib_mode)
    final = run.final
    end_at = max(0.0, final.t - t0) if final is not None else (sends[-1].at if sends else 0.0)
    ending, cut_note = "end", None
    if final is not None and final.kind is Kind.ERROR:
        ending = "reset" if final.summary.type == "reset" else "close"
        if data and data[-1].partial and framed:
            cut_send, cut_note = _cut_chunk(records, data[-1], t0, decoded)
            sends.append(cut_send)

    count = sum(1 for send in sends if not send.raw)
    if response.status in NO_BODY:
        sends, count = [], 0
        notes.append(f"Status {response.status} and headers as recorded, no body.")
    elif framed:
        notes.append(f"Status, headers and {plural(count, 'HTTP chunk')} as recorded, each at its recorded time: "
                     "curl --raw shows the same framing.")
    elif unframed:
        notes.append(f"Status, headers and {plural(count, 'socket read')} of a body without chunk framing "
                     "(as recorded), each at its recorded time.")
    elif lines:
        notes.append(f"Status, headers and {plural(count, 'line')} at their recorded times. Lines mode keeps no "
                     "chunk boundaries: the original ones are unknown, and each line is sent as its own chunk.")
    else:
        notes.append(f"Status, headers and {plural(count, 'read')} ({mode} mode) at their recorded times, one chunk "
                     "per read: a read is what the client's socket delivered, so the original chunk boundaries "
                     "are unknown.")
    if mode == "sse":
        notes.append("Served as the event stream it was: the same events at the same times.")
    if decoded:
        notes.append(f"The capture kept the bytes decoded from Content-Encoding "
                     f"{', '.join(sanitize(coding, 40) for coding in codings)}: they are "
                     "served decoded, without Content-Encoding, so sizes on the wire differ.")
    if zlib_mode:
        notes.append("The capture kept decompressed bytes: each read is compressed again as its own zlib stream, "
                     "so sizes on the wire differ from the recorded ones.")
    if pieces:
        notes.append(f"{plural(pieces, 'chunk')} longer than --max-value came in pieces: each is sent whole "
                     "when its last piece arrived.")
    if cut:
        notes.append(f"{plural(cut, 'record')} had payloads cut to a cap when captured: only what was kept is sent.")
    if any(r.value for r in data if r.kind is Kind.CHUNK and isinstance(r.value, str)) or any(
            r.kind is Kind.TRAILERS for r in records):
        notes.append("Chunk extensions and trailers are not replayed.")
    if any(r.kind in (Kind.INFORMATIONAL, Kind.REDIRECT) for r in records):
        notes.append("Only the final response is replayed, not the 1xx responses or redirects before it.")
    _ending_notes(final, ending, notes)
    if cut_note:
        notes.append(cut_note)

    kept, dropped = _kept_headers(response, decoded or zlib_mode)
    if mode == "sse" and "content-type" not in headers:
        kept.append(("Content-Type", "text/event-stream"))
    if dropped:
        notes.append(f"{plural(dropped, 'header field')} with control characters or a bad name are left out.")
    if any("(masked)" in value for _, value in kept):
        notes.append("Masked header values are sent masked, as captured.")
    content_length = None
    if "content-length" in headers and "chunked" not in headers.get("transfer-encoding", "").lower() \
            and response.status not in NO_BODY:
        total = sum(len(s.data) for s in sends)
        content_length = total
        original = headers["content-length"].strip()
        if ending != "end" and not (decoded or zlib_mode or cut) and original.isdigit() and int(original) > total:
            content_length = int(original)  # cut short as recorded
    method = response.request.method.upper() if response.request is not None else "GET"
    methods = ("GET",) if method in ("GET", "HEAD") else ("GET", method)
    return Replay(name, mode, response.status, _reason(response.reason), tuple(kept), tuple(sends), end_at, ending,
                  content_length=content_length, methods=methods, notes=tuple(notes))


def _sends(data: list[Record], t0: float, lines: bool, recompress: bool) -> tuple[list[Send], int, int]:
    """The writes of a body: one per record (pieces of one chunk joined), partial chunks left to `_cut_chunk`."""
    sends: list[Send] = []
    pieces, cut = 0, 0
    group: list[Record] = []

    def flush() -> None:
        nonlocal pieces
        if group:
            send(group[-1].t, b"".join(r.data or b"" for r in group))
            pieces += 1
            group.clear()

    def send(at: float, payload: bytes) -> None:
        if payload:  # nothing to write (a chunk that decoded to nothing): aiohttp would send no chunk either
            sends.append(Send(max(0.0, at - t0), payload))

    for record in data:
        if record.cut:
            cut += 1
        if record.partial:
            continue
        if record.flags & Flag.PIECE:
            group.append(record)
            if record.size < group[0].size:  # pieces before the last are all --max-value long
                flush()
            continue
        flush()
        payload = record.data or b""
        if lines and not record.flags & Flag.NO_NEWLINE:
            payload += b"\r\n" if record.size - record.data_size == 2 else b"\n"
        send(record.t, zlib.compress(payload) if recompress and payload else payload)
    flush()
    return sends, pieces, cut


def _cut_chunk(records: list[Record], partial: Record, t0: float, decoded: bool) -> tuple[Send, str]:
    """The chunk the stream broke inside (size line and the bytes that arrived, written past aiohttp), and a note."""
    index = next(i for i, r in enumerate(records) if r is partial)
    size_line = next((r.data for r in reversed(records[:index]) if r.kind is Kind.FRAMING
                      and r.data and not r.data.startswith(b"\r\n")), None)
    data = b"" if decoded else partial.data or b""
    match = re.match(rb"\s*([0-9A-Fa-f]+)", size_line or b"")
    announced = int(match[1], 16) if match else 0
    if announced > len(data):
        note = f"The last chunk announced {announced} bytes and broke off after {len(data)}: so does the replay."
    else:
        announced = len(data) + 1
        note = (f"The last chunk broke off after {plural(len(data), 'byte')}; the capture has no size line (record "
                f"with --framing for it), so the replay announces {announced}.")
    if decoded and partial.data:
        note += " That chunk's bytes were still coded: they are left out."
    return Send(max(0.0, partial.t - t0), f"{announced:x}\r\n".encode() + data, raw=True), note


def _ending_notes(final: Record | None, ending: str, notes: list[str]) -> None:
    if final is None:
        notes.append("The capture stops without an end record (its run was cut short): the replay ends cleanly there.")
        return
    summary = final.summary
    if final.kind is Kind.ERROR:
        how = "resets the connection" if ending == "reset" else "closes the connection without finishing the body"
        error = sanitize(summary.error or summary.type, 160).rstrip(".")
        notes.append(f"The recording ended in an error ({error}): the replay sends what arrived, then {how} at "
                     "the recorded time.")
    elif summary.stopped:
        notes.append(f"The recording was stopped early ({sanitize(summary.stopped, 80)}): the replay ends cleanly "
                     "there.")


def _websocket(run: Run, response: Response, t0: float, name: str, notes: list[str]) -> Replay:
    messages = [r for r in run.records if r.kind is Kind.MESSAGE]
    incoming = [r for r in messages if not r.flags & Flag.OUTGOING]
    outgoing = len(messages) - len(incoming)
    sends = tuple(Send(max(0.0, r.t - t0), r.data or b"", r.binary) for r in incoming)
    final = run.final
    closes = [r for r in run.records if r.kind is Kind.CONTROL and r.value == "close"]
    code = final.summary.close_code if final is not None else None
    reason = (final.summary.close_reason or "") if final is not None else ""
    end_at = closes[0].t if closes else final.t if final is not None else (incoming[-1].t if incoming else t0)
    binary = sum(1 for r in incoming if r.binary)
    notes.append(f"The handshake, then the {plural(len(incoming), 'message')} the server sent "
                 f"({len(incoming) - binary} text, {binary} binary) at their recorded times, then ")
    if final is None:
        notes[-1] += "close 1000: the capture stops without an end record (its run was cut short)."
        code = 1000
    elif code is None:
        notes[-1] += "the connection dropped without a close frame, as recorded."
    elif code == 1005:
        notes[-1] += "close 1000: the recorded close frame carried no code (1005), which cannot be sent."
        code = 1000
    elif code not in _SENDABLE_CLOSE:
        notes[-1] += f"a dropped connection: close code {code} cannot be sent in a close frame."
        code = None
    else:
        notes[-1] += f"close {code}" + (f" {sanitize(reason, 60)!r}." if reason else ".")
    if closes and closes[0].flags & Flag.OUTGOING:
        notes.append("explorer started that close: the replay closes by itself at the recorded time.")
    if outgoing:
        notes.append(f"The {plural(outgoing, 'message')} explorer sent are neither expected nor checked.")
    if any(r.cut for r in incoming):
        notes.append(f"{plural(sum(1 for r in incoming if r.cut), 'message')} had payloads cut to a cap when "
                     "captured: only what was kept is sent.")
    protocol = _header_dict(response).get("sec-websocket-protocol", "").strip()
    return Replay(name, "ws", 101, "Switching Protocols", (), sends, max(0.0, end_at - t0), "end", websocket=True,
                  close_code=code, close_reason=reason.encode("utf-8", "replace")[:123].decode("utf-8", "ignore"),
                  protocols=(protocol,) if _TOKEN.fullmatch(protocol) else (), notes=tuple(notes))


def _header_dict(response: Response) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


def _kept_headers(response: Response, decoded: bool) -> tuple[list[tuple[str, str]], int]:
    """The recorded header fields a replay sends, and how many were left out as unsafe."""
    kept, dropped = [], 0
    for name, value in response.headers.items():
        key = name.lower()
        if key in HOP_BY_HOP or key in WS_HANDSHAKE or (decoded and key == "content-encoding"):
            continue
        if not _TOKEN.fullmatch(name) or _UNSAFE.search(value):
            dropped += 1
            continue
        kept.append((name, value))
    return kept, dropped


def _reason(reason: str) -> str:
    return "" if _UNSAFE.search(reason) or "\t" in reason else reason


def _looks_coded(data: bytes, coding: str) -> bool:
    """True when a body still starts like its Content-Encoding (the capture was read with --raw)."""
    if coding in ("gzip", "x-gzip"):
        return data[:2] == b"\x1f\x8b"
    if coding == "deflate":
        return len(data) >= 2 and data[0] & 0x0F == 8 and ((data[0] << 8) | data[1]) % 31 == 0
    if coding == "zstd":
        return data[:4] == b"\x28\xb5\x2f\xfd"
    return False  # br has no magic: taken as decoded
