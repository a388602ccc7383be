"""Records: the unit every face of explorer speaks.

A `Record` is one thing that happened in a stream. Its payload is typed by
kind: bytes for data records, a `Response` for `response`, `informational`
(a 1xx before the final response) and `redirect` (one hop), an `SSEEvent` for
`sse`, a tuple of ijson events for `event`, the trailer fields (a dict) for
`trailers`, the raw size line or CRLF bytes for `framing`, a `Token` for
`token` (one LLM delta, see llm/), and a `Summary` for `end` and `error`.
A wire-mode `chunk` carries its chunk extensions as sent (for example
";name=value") in `value`, None when it has none. A `control` record is
a WebSocket ping, pong or close frame: its opcode name in `value`, its
payload in `data` (for a close frame, the code and reason as text: "1000
bye"). Per-record flags (stall, partial, framed...) are bits of `flags`, read
through properties. The JSONL form lives in `jsonl.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntFlag, StrEnum
from typing import Any


class Kind(StrEnum):
    """What a record is (a StrEnum, so it prints and serializes as its name)."""

    RESPONSE = "response"
    INFORMATIONAL = "informational"
    REDIRECT = "redirect"
    CHUNK = "chunk"
    LINE = "line"
    EVENT = "event"
    SSE = "sse"
    MESSAGE = "message"
    CONTROL = "control"
    TOKEN = "token"
    TRAILERS = "trailers"
    FRAMING = "framing"
    END = "end"
    ERROR = "error"


# Records that carry bytes read off the wire: they make up gaps, TTFB and totals.
# `event` and `sse` records are derived from a read and stamped with its time.
DATA_KINDS = frozenset((Kind.CHUNK, Kind.LINE, Kind.MESSAGE))
FINAL_KINDS = frozenset((Kind.END, Kind.ERROR))


class Flag(IntFlag):
    """Per-record facts; several can hold at once."""

    NONE = 0
    STALL = 1  # the gap before this record is a stall (see timing.py)
    FRAMED = 2  # wire mode: one HTTP chunk exactly as framed
    UNFRAMED = 4  # wire mode: a socket read of a body without chunk framing
    PARTIAL = 8  # the stream broke inside this chunk: what arrived of it
    NO_NEWLINE = 16  # lines mode: the last line had no newline
    DECODED = 32  # `data` is the decoded form of `size` bytes on the wire
    UNDECODED = 64  # decoding failed in this read; `data` is what decoded before the bad bytes
    BINARY = 128  # a binary WebSocket message
    OUTGOING = 256  # a WebSocket message or control frame explorer sent
    CUT = 512  # `data` was cut to a cap; `full_size` has its real length
    PIECE = 1024  # wire mode: a piece of a chunk longer than --max-value, sent on as it arrived


# The flags as plain ints, for tests made per record: `int & IntFlag` builds an IntFlag each time (about 1.5 us).
_STALL, _FRAMED, _UNFRAMED, _PARTIAL, _BINARY, _CUT = map(
    int, (Flag.STALL, Flag.FRAMED, Flag.UNFRAMED, Flag.PARTIAL, Flag.BINARY, Flag.CUT))

JsonEvent = tuple[str, str, Any]
"""One ijson event: (prefix, event, value); numbers exact (int and Decimal)."""


@dataclass(frozen=True, slots=True)
class Response:
    """The response a stream got: status line, headers as sent, and how it is read."""

    status: int
    reason: str
    http_version: str
    headers: dict[str, str]
    url: str
    mode: str
    started_at: float  # epoch seconds when the request was sent
    request: SentRequest | None = None  # the request this answers, as it went out


@dataclass(frozen=True, slots=True)
class SentRequest:
    """A request as it went out: `${NAME}` values written as their references, credentials masked."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body_size: int | None = None
    route: str = "direct"  # how it reached the server: "direct" or which proxy


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched server-sent event."""

    event: str
    data: str
    id: str
    retry: int | None


@dataclass(frozen=True, slots=True)
class Phases:
    """DNS and connect durations, then when each later phase happened (seconds since the request).

    A phase that did not happen (no DNS for an IP literal, no new connection,
    no data) is None.
    """

    dns: float | None = None
    connect: float | None = None
    sent: float | None = None
    headers: float | None = None
    first_byte: float | None = None
    last_byte: float | None = None
    total: float | None = None


@dataclass(frozen=True, slots=True)
class Token:
    """One delta of an LLM stream: its text and the channel it belongs to.

    `channel` is "text" (the answer), "thinking" (reasoning deltas) or
    "tool:NAME" (a fragment of a tool call's arguments); `call` numbers the
    tool calls of a response in the order they started (0-based), None on
    the other channels. The stream's first token names its `shape`
    (`anthropic`...), so a consumer knows it from the start; the others say None.
    """

    text: str
    channel: str = "text"
    call: int | None = None
    shape: str | None = None


@dataclass(frozen=True, slots=True)
class LlmSummary:
    """An LLM stream's serving metrics, defined as serving benchmarks (vLLM, GuideLLM) define them.

    Times are seconds since the request was sent; None when there is nothing to
    measure (no token, a single token for `tpot`).

    - `ttft`: the first token's arrival; `e2e`: the response's last byte.
    - `itl_*`: the gaps between consecutive tokens (tokens of one read have gap 0), within 1%.
    - `tpot`: (e2e - ttft) / (tokens - 1); `tokens_per_s`: tokens / e2e.
    - `tokens`: the provider's output token count when it reported usage
      (`tokens_source` "usage"), else the deltas counted ("deltas").
    - `text`: the assembled answer (text channel), cut to the value cap; `text_length` is its full length.
    """

    shape: str
    ttft: float | None = None
    itl_p50: float | None = None
    itl_p90: float | None = None
    itl_p99: float | None = None
    itl_max: float | None = None
    tpot: float | None = None
    e2e: float | None = None
    tokens: int = 0
    tokens_source: str = "deltas"
    tokens_per_s: float | None = None
    deltas: int = 0
    stalls: int = 0
    text: str = ""
    text_length: int = 0
    model: str | None = None
    stop_reason: str | None = None


@dataclass(frozen=True, slots=True)
class GapSummary:
    """Gaps between data records (the first record's gap is TTFB, not a gap) and stalls."""

    gap_count: int = 0
    gap_p50: float | None = None
    gap_p90: float | None = None
    gap_p99: float | None = None
    gap_max: float | None = None
    stalls: int = 0


@dataclass(frozen=True, slots=True)
class Summary:
    """How a stream went: the payload of its `end` or `error` record.

    Mode-specific fields are None when the mode does not report them.
    """

    records: int
    bytes: int
    duration: float
    ttfb: float | None
    phases: Phases
    gaps: GapSummary = field(default_factory=GapSummary)
    events: int | None = None  # json: ijson events; sse: dispatched events
    comments: int | None = None  # sse: comment lines
    members: int | None = None  # zlib: complete compressed members
    framing: str | None = None  # wire: how the body was framed
    close_code: int | None = None  # ws
    close_reason: str | None = None  # ws
    stopped: str | None = None  # why the stream ended early without an error (max time)
    error: str | None = None  # error records: one human sentence
    type: str | None = None  # error records: a short stable tag
    llm: LlmSummary | None = None  # LLM streams (a shape was recognised): the serving metrics


class Record:
    """One thing that happened in a stream.

    - `kind`: a `Kind`.
    - `seq`: the 0-based index, among this stream's items of this kind, of the
      first item the record carries. Every kind carries one item per record
      except `event`, which carries the ijson events one read completed, so
      its `seq` advances by their count (and JSONL prints one line per event).
    - `t`: seconds since the request was sent, stamped the instant the read returned.
    - `gap`: seconds since the previous record of the same kind.
    - `size`: bytes this record took on the wire (0 for derived and final records).
    - `data`: payload bytes (decoded bytes when `Flag.DECODED`).
    - `value`: the typed payload of non-byte kinds (see the module docstring).
    - `flags`: `Flag` bits; `full_size`: the payload's real length when `Flag.CUT`.

    A plain slotted class: the engine creates millions of these.
    """

    __slots__ = ("kind", "seq", "t", "gap", "size", "data", "value", "flags", "full_size")

    def __init__(self, kind: Kind, seq: int, t: float, gap: float, size: int, data: bytes | None = None,
                 value: Any = None, flags: int = 0) -> None:
        self.kind = kind
        self.seq = seq
        self.t = t
        self.gap = gap
        self.size = size
        self.data = data
        self.value = value
        self.flags = flags
        self.full_size: int | None = None

    @property
    def stall(self) -> bool:
        return bool(self.flags & _STALL)

    @property
    def partial(self) -> bool:
        return bool(self.flags & _PARTIAL)

    @property
    def framed(self) -> bool | None:
        """True for a wire chunk as framed, False for a read of an unframed body, None otherwise."""
        flags = self.flags
        if flags & _FRAMED:
            return True
        return False if flags & _UNFRAMED else None

    @property
    def binary(self) -> bool:
        return bool(self.flags & _BINARY)

    @property
    def cut(self) -> bool:
        return bool(self.flags & _CUT)

    @property
    def data_size(self) -> int:
        """The payload's length before any cap."""
        if self.full_size is not None:
            return self.full_size
        return len(self.data) if self.data is not None else 0

    @property
    def response(self) -> Response:
        assert isinstance(self.value, Response), self.kind
        return self.value

    @property
    def summary(self) -> Summary:
        assert isinstance(self.value, Summary), self.kind
        return self.value

    @property
    def sse(self) -> SSEEvent:
        assert isinstance(self.value, SSEEvent), self.kind
        return self.value

    @property
    def token(self) -> Token:
        assert isinstance(self.value, Token), self.kind
        return self.value

    @property
    def events(self) -> tuple[JsonEvent, ...]:
        """For `event` records: the ijson events this read completed."""
        return self.value if self.kind is Kind.EVENT else ()

    def capped(self, limit: int) -> Record:
        """This record with at most `limit` bytes (or characters) of its payload and of every value derived
        from it (an SSE event's data, an ijson string): itself when nothing is longer, else a copy, so a
        record on its way to a capture is never cut under it. `data_size` stays true; for an SSE event
        `full_size` is its data's length, for a token its text's."""
        data, value = self.data, self.value
        long_data = data is not None and len(data) > limit
        long_sse = isinstance(value, SSEEvent) and len(value.data) > limit
        long_events = self.kind is Kind.EVENT and any(type(v) is str and len(v) > limit for _, _, v in value)
        long_token = isinstance(value, Token) and len(value.text) > limit
        if not (long_data or long_sse or long_events or long_token):
            return self
        copy = Record(self.kind, self.seq, self.t, self.gap, self.size, data, value, self.flags | _CUT)
        copy.full_size = self.full_size
        if long_data:
            copy.full_size = len(data)  # type: ignore[arg-type]
            copy.data = data[:limit]  # type: ignore[index]
        if long_sse:
            copy.full_size = len(value.data)
            copy.value = SSEEvent(value.event, value.data[:limit], value.id, value.retry)
        elif long_token:
            copy.full_size = len(value.text)
            copy.value = Token(value.text[:limit], value.channel, value.call, value.shape)
        elif long_events:
            copy.value = tuple((p, e, v[:limit] if type(v) is str and len(v) > limit else v) for p, e, v in value)
        return copy

    def __repr__(self) -> str:
        return (f"Record({self.kind.value}, seq={self.seq}, t={self.t:.4f}, gap={self.gap:.4f}, size={self.size}, "
                f"data={self.data!r:.60}, value={self.value!r:.120}, flags={Flag(self.flags)!r})")
