"""json: the ijson push parser fed every read, with `multiple_values` so one
document, an array streamed element by element, nested documents and NDJSON
all work.

Each read yields its `chunk` record, then one `event` record carrying the batch
of ijson events that read completed, all stamped with the read's arrival time.
A record per event would cost more than ijson itself.

The events are exactly those of `ijson.parse` on the whole body: numbers stay
exact (int of any size, `Decimal`), a leading UTF-8 BOM is skipped, and a
body without a JSON value (HEAD, 204, 304, an empty or blank body) ends
cleanly with no events. `JsonGuard` stops, with a sentence, at the two spots
where the yajl2_c backend would be wrong or crash instead.
"""

from __future__ import annotations

import re
import sys
from decimal import InvalidOperation
from functools import lru_cache
from itertools import islice
from time import perf_counter
from typing import Any, AsyncIterator, NamedTuple

import ijson
from aiohttp import ClientResponse

from ..context import StreamContext
from ..errors import StreamError
from ..record import Kind, Record
from ..request import DEFAULT_MAX_VALUE, StreamRequest

BOM = b"\xef\xbb\xbf"
_BLANK = b" \t\r\n"  # JSON's whitespace

# The inside of a JSON string, stopping at a surrogate escape that is not a high-low pair, at an escape
# cut by the end of the data, and at the closing quote. Everything else is consumed at regex speed.
_STRING = (rb'(?:[^"\\]++|\\[^u]|\\u(?=[^dD]|[dD][^89a-fA-F])'
           rb'|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})*+')
_IN_STRING = re.compile(_STRING)
_SURROGATE = re.compile(rb"\\u[dD]([89a-fA-F])[0-9a-fA-F]{2}")
_ANY_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_HIGH = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")
_PAIR = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_LOW_ESCAPE_START = re.compile(rb"(?:\\(?:u(?:[dD](?:[c-fC-F][0-9a-fA-F]?)?)?)?)?")  # fullmatch: a cut `\udc00`
_DIGITS = re.compile(rb"[0-9]*")
_NOT_INTEGER = frozenset(b".eE")  # after the integer part: the number is a Decimal
_DIGIT_BYTES = frozenset(b"0123456789")
_DIGIT_MASK = bytes(0x30 if byte in _DIGIT_BYTES else 0x20 for byte in range(256))  # digits to "0", the rest " "


@lru_cache(maxsize=4)
def _outside_strings(limit: int) -> re.Pattern[bytes]:
    """JSON text outside strings (complete strings included), stopping at a string that does not end
    cleanly and at a run of more than `limit` digits (0: no limit)."""
    digits = rb"[0-9]++" if limit <= 0 else rb"[0-9]{1,%d}+(?![0-9])" % limit
    return re.compile(rb'(?:[^"0-9]++|' + digits + rb'|"' + _STRING + rb'")*+')


def _skip(pattern: re.Pattern[bytes], buf: bytes, pos: int) -> int:
    """Where `pattern` (which matches the empty string too) stops when matched at `pos`."""
    match = pattern.match(buf, pos)
    return pos if match is None else match.end()


def _run_start(buf: bytes, pos: int) -> int:
    """The start of the run of backslashes that holds `buf[pos]`."""
    while pos and buf[pos - 1] == 0x5C:
        pos -= 1
    return pos


class Problem(NamedTuple):
    """Where (offset in the JSON text) and what went wrong: the end of an "Invalid JSON" sentence, or
    for a cap (`kind` other than invalid_json) a whole sentence."""

    at: int
    what: str
    kind: str = "invalid_json"


class JsonGuard:
    """Finds, ahead of ijson's yajl2_c backend, the valid-looking JSON it gets wrong.

    - A lone surrogate escape such as `"\\ud800"`: yajl turns a lone high one
      into "?" (or fuses it with whatever escape follows) and a lone low one
      into bytes Python cannot decode.
    - An integer with more digits than Python converts from text
      (`sys.get_int_max_str_digits()`, 4300 by default): yajl2_c then crashes
      the process (it does not check the conversion's result).

    Feed it the JSON text piece by piece; it tracks strings and escapes across
    pieces at regex speed and keeps at most a few undecided bytes (a cut
    escape, a digit run that may go on).
    """

    def __init__(self, digit_limit: int | None = None, max_value: int = DEFAULT_MAX_VALUE) -> None:
        self.limit = sys.get_int_max_str_digits() if digit_limit is None else digit_limit
        self.max_value = max_value
        self._string_start = 0  # where the string the text ends in began (when `_in_string`)
        self._outside = _outside_strings(self.limit)
        self._long_run = b"0" * (self.limit + 1)  # in `_DIGIT_MASK` form
        self.fed = 0  # where the text seen so far ends (a caller that skipped a BOM starts it at 3)
        self._carry = b""  # undecided bytes at the end of the last piece, scanned again with the next
        self._prior = b""  # up to two bytes before `_carry`: what precedes a carried digit run
        self._in_string = False
        self._run: tuple[int, bool] | None = None  # a long digit run went to the end: (start, is an integer part)

    def feed(self, data: bytes) -> Problem | None:
        """The first problem in the text so far, if `data` completes one."""
        base = self.fed - len(self._carry)
        self.fed += len(data)
        buf = self._carry + data if self._carry else data
        self._carry = b""
        if self._run is None and self._quick(buf, base):
            return self._value_cap()
        return self._scan(buf, base, final=False) or self._value_cap()

    @property
    def in_string(self) -> bool:
        """Whether the text fed so far ends inside a string."""
        return self._in_string

    def _value_cap(self) -> Problem | None:
        """A string, or a digit run, held open past the value cap: ijson would keep and rescan it."""
        if self._in_string and self.fed - self._string_start > self.max_value:
            return Problem(self._string_start, f"A JSON string starting at byte {self._string_start:,} grew past "
                                               f"the {self.max_value:,} byte value cap (raise it with --max-value).",
                           "value_too_large")
        if self._run is not None and self.fed - self._run[0] > self.max_value:
            return Problem(self._run[0], f"A JSON number starting at byte {self._run[0]:,} grew past "
                                         f"the {self.max_value:,} byte value cap (raise it with --max-value).",
                           "value_too_large")
        return None

    def finish(self) -> Problem | None:
        """The problem the end of the text decides (a lone high surrogate, a long integer at the very end)."""
        buf, self._carry = self._carry, b""
        return self._scan(buf, self.fed - len(buf), final=True)

    def _quick(self, buf: bytes, base: int) -> bool:
        """The common case at memory speed: True when `buf` has nothing to look at closely (no lone
        surrogate escape, no long digit run), with the state updated as `_scan` would have; False sends
        it to `_scan`.

        It counts the quotes that are not escaped to know whether `buf` ends inside a string. That holds
        for valid JSON, where backslashes only appear in strings; in other text ijson stops at the first
        backslash outside a string, before anything found after it matters.
        """
        n = end = len(buf)
        if self.limit > 0 and self._long_run in buf.translate(_DIGIT_MASK):
            return False
        if b"\\" in buf:
            cut = buf.rfind(b"\\", max(0, n - 12))
            if cut >= 0:  # an escape this close to the end may be cut: it goes with the next piece, with
                cut = _run_start(buf, cut)  # the backslashes before it (their parity decides)
                if cut >= 6 and _HIGH.fullmatch(buf, cut - 6, cut):  # and a high surrogate before it
                    cut = _run_start(buf, cut - 6)
                if not cut:
                    return False
                end = cut
            text = buf[:end] if end < n else buf
            if b"\\\\" in text:  # a backslash run in a string starts at an escape: drop the pairs of
                text = text.replace(b"\\\\", b"")  # backslashes, and every backslash left starts an escape
            if (b"\\ud" in text or b"\\uD" in text) and _ANY_SURROGATE.search(_PAIR.sub(b"", text)):
                return False  # a surrogate escape outside a pair
            quotes = text.count(b'"') - text.count(b'\\"')
        else:
            quotes = buf.count(b'"')
        if quotes & 1:
            self._in_string = not self._in_string
            if self._in_string:
                self._string_start = base + _last_quote(buf, end)
        if end < n:
            self._keep(buf, end)
        else:
            self._ending(buf, final=False)
        return True

    def _scan(self, buf: bytes, base: int, final: bool) -> Problem | None:
        n, pos = len(buf), 0
        if self._run is not None:  # a run of more digits than the limit went on into this piece
            start, integer = self._run
            pos = _skip(_DIGITS, buf, 0)
            if pos == n:
                return self._long_integer(start) if final and integer else None
            self._run = None
            if integer and buf[pos] not in _NOT_INTEGER:
                return self._long_integer(start)
        while pos < n:
            if self._in_string:
                pos = _skip(_IN_STRING, buf, pos)
                if pos == n:
                    break
                if buf[pos] == 0x22:  # the closing quote
                    self._in_string = False
                    pos += 1
                    continue
                surrogate = _SURROGATE.match(buf, pos)  # at a backslash the string body did not take
                if surrogate is not None:
                    after = buf[pos + 6:pos + 12]
                    if surrogate[1] in b"89abAB" and len(after) < 6 and not final \
                            and _LOW_ESCAPE_START.fullmatch(after):
                        self._keep(buf, pos)  # a high surrogate: its low half may come next
                        return None
                    return Problem(base + pos, f"a lone surrogate escape {surrogate[0].decode('ascii')} "
                                               f"at byte {base + pos} cannot be decoded as text")
                if n - pos < 6:  # an escape cut by the end of the data
                    if not final:
                        self._keep(buf, pos)
                    return None
                pos += 2  # `\u` with bad hex digits: ijson reports it
            else:
                pos = _skip(self._outside, buf, pos)
                if pos == n:
                    break
                if buf[pos] == 0x22:  # a string that does not end cleanly in this piece
                    self._in_string = True
                    self._string_start = base + pos
                    pos += 1
                    continue
                end = _skip(_DIGITS, buf, pos)  # a run of more digits than the limit
                integer = _integer_part(buf[pos - 2:pos] if pos >= 2 else (self._prior + buf[:pos])[-2:])
                if end == n and not final:
                    self._run = (base + pos, integer)
                    self._prior = buf[-2:]
                    return None
                if integer and (end == n or buf[end] not in _NOT_INTEGER):
                    return self._long_integer(base + pos)
                pos = end
        self._ending(buf, final)
        return None

    def _ending(self, buf: bytes, final: bool) -> None:
        """After a piece scanned to its end: carry a digit run at the end, which may go on in the next piece."""
        if self.limit > 0 and not self._in_string and buf and buf[-1] in _DIGIT_BYTES and not final:
            start = len(buf) - 1
            while start > 0 and buf[start - 1] in _DIGIT_BYTES:
                start -= 1
            self._keep(buf, start)
        else:
            self._prior = buf[-2:] if len(buf) >= 2 else (self._prior + buf)[-2:]

    def _keep(self, buf: bytes, start: int) -> None:
        """Carry `buf[start:]` (a few bytes) over to the next piece."""
        self._prior = buf[start - 2:start] if start >= 2 else (self._prior + buf[:start])[-2:]
        self._carry = buf[start:]

    def _long_integer(self, at: int) -> Problem:
        return Problem(at, f"the integer at byte {at} has more than {self.limit:,} digits, "
                           "past Python's limit for reading an integer from text")


def _last_quote(buf: bytes, end: int) -> int:
    """Where the last quote in `buf[:end]` that is not escaped is (the text has one)."""
    pos = buf.rfind(b'"', 0, end)
    while pos > 0 and buf[pos - 1] == 0x5C and (pos - _run_start(buf, pos - 1)) & 1:
        pos = buf.rfind(b'"', 0, pos)
    return max(pos, 0)


def _integer_part(before: bytes) -> bool:
    """Whether a digit run after `before` (its two bytes before) is a number's integer part.

    The fraction follows `.`, the exponent `e`, `E`, `e+` or `e-`; a `-`
    elsewhere is the number's sign.
    """
    if not before or before[-1] not in b".eE+-":
        return True
    return before[-1] == 0x2D and before[:-1] not in (b"e", b"E")


class Nesting:
    """Sends text to ijson without letting it nest past the depth cap.

    yajl2_c builds a prefix string one level longer for every level it
    opens, so a run of `[` costs memory quadratic in its length before any
    event comes back. A piece that could not pass the cap (its opening
    brackets, strings included, fit in the levels left) goes in whole; near
    the cap it goes in slices that can open at most the levels left, or
    `SLICE`, whichever is more, and every event of a slice is checked. A
    piece wholly inside one string goes in whole.

    The depth is read off the last event of each send (its prefix and kind),
    one event per send rather than a count over all of them, which would
    cost as much as parsing. A map key holding a dot makes the prefix look
    one level deeper, so the depth is never underestimated.
    """

    SLICE = 64  # levels a slice may open past the cap: prefixes of about 2.5 * (cap + SLICE) ** 2 bytes

    def __init__(self, parser: Any, events: list[Any], cap: int) -> None:
        self._send = parser.send
        self._events = events
        self.cap = cap
        self.depth = 0

    def send(self, piece: bytes, inside_string: bool = False) -> bool:
        """Send `piece`; True when the nesting passed the cap (ijson got up to the slice that passed it).

        `inside_string`: the whole piece is in the middle of one string, so it opens nothing.
        """
        events = self._events
        opens = 0 if inside_string else piece.count(b"[") + piece.count(b"{")
        if self.depth + opens <= self.cap:
            before = len(events)
            self._send(piece)
            if len(events) > before:
                self.depth = _depth_after(events[-1])
            return False
        pos, n = 0, len(piece)
        while pos < n:
            room = self.cap - self.depth
            size = max(room, self.SLICE)
            before = len(events)
            self._send(piece[pos:pos + size])
            if len(events) > before:
                self.depth = _depth_after(events[-1])
                # a slice of `room` bytes cannot pass the cap; a longer one (near the cap) is checked event by event
                if size > room and max(map(_depth_after, islice(events, before, None))) > self.cap:
                    return True
            pos += size
        return False


_OPENING = frozenset(("start_map", "start_array", "map_key"))
_CLOSING = frozenset(("end_map", "end_array"))


def _depth_after(event: tuple[str, str, Any]) -> int:
    """How many containers are open after `event`: its prefix names the container it is in (or closes)."""
    prefix, name, _ = event
    levels = prefix.count(".") + 1 if prefix else 0
    return levels + 1 if name in _OPENING else levels


def _reason(error: Exception) -> str:
    """ijson's message, first line only, as text (yajl reports bytes when the JSON held invalid UTF-8)."""
    if isinstance(error, UnicodeDecodeError):  # JsonGuard finds these first; yajl2_c's form of a lone surrogate
        return "a string escape cannot be decoded as text"
    if isinstance(error, InvalidOperation):  # valid JSON Decimal refuses: an exponent past about 10**18
        return "a number's exponent is beyond what Python's Decimal holds"
    detail = error.args[0] if error.args else ""
    if isinstance(detail, (bytes, bytearray)):
        detail = bytes(detail).decode("utf-8", "replace")
    elif not isinstance(detail, str):
        detail = ""
    text = " ".join(str(detail).strip().split("\n")[0].split()).rstrip(" .:;,")
    return text or f"the parser gave no detail ({error.__class__.__name__})"


async def read(resp: ClientResponse, ctx: StreamContext, request: StreamRequest) -> AsyncIterator[Record]:
    t0, seq, last, event_seq, event_last, first = ctx.t0, 0, 0.0, 0, 0.0, None
    timing, chunk, event = ctx.timing, Kind.CHUNK, Kind.EVENT
    events = ijson.sendable_list()
    parser = ijson.parse_coro(events, multiple_values=True)  # no use_float: ints of any size and Decimals
    guard = JsonGuard(max_value=request.max_value)
    nesting = Nesting(parser, events, request.max_depth)
    readany = resp.content.readany
    offset = 0  # body bytes read, the BOM included: error sentences count these
    head: bytes | None = b""  # the first bytes while they may still be a BOM; None once decided
    text = False  # whether anything but whitespace reached the parser
    try:
        while data := await readany():
            t = perf_counter() - t0
            gap = t - last
            yield Record(chunk, seq, t, gap, len(data), data, None, timing.note(gap, seq))
            if first is None:
                first = t
            seq += 1
            last = t
            start = offset
            offset += len(data)
            piece = data
            if head is not None:
                head += data
                if len(head) < 3 and BOM.startswith(head):
                    continue
                skip = 3 if head.startswith(BOM) else 0  # a leading BOM is skipped
                piece, head = head[skip:], None
                guard.fed = skip  # the guard counts body bytes, so its offsets are the body's
            if not text and piece.strip(_BLANK):
                text = True
            problem = guard.feed(piece)
            if problem is not None:  # give ijson the text before it: what completes there is still shown
                piece = piece[:max(0, problem.at - (guard.fed - len(piece)))]
            error: Exception | None = None
            too_deep = False
            if piece:  # never send b"": ijson takes it for the end of the text
                try:
                    too_deep = nesting.send(piece, guard.in_string and b'"' not in piece)
                except Exception as exc:  # ijson raises IncompleteJSONError, yajl2_c others
                    error = exc
            if events:
                yield Record(event, event_seq, t, t - event_last, 0, None, tuple(events))
                event_seq += len(events)
                event_last = t
                del events[:]
            if error is not None:
                raise StreamError("invalid_json", f"Invalid JSON in bytes {start}-{offset} (read #{seq - 1}): "
                                                  f"{_reason(error)}.")
            if too_deep:
                raise StreamError("json_too_deep", f"The JSON nests deeper than the {request.max_depth:,}-level "
                                                   f"depth cap in bytes {start}-{offset} (raise it with --max-depth).")
            if problem is not None and problem.kind != "invalid_json":
                raise StreamError(problem.kind, problem.what)
            if problem is not None:
                raise StreamError("invalid_json", f"Invalid JSON in bytes {start}-{offset} (read #{seq - 1}): "
                                                  f"{problem.what}.")
        if head:  # the whole body is one or two bytes of a BOM: not JSON
            raise StreamError("invalid_json", f"Invalid JSON in bytes 0-{offset}: it holds only "
                                              f"{len(head)} byte{'s' if len(head) > 1 else ''} of a byte order mark.")
        problem = guard.finish()
        if problem is not None:  # before close(): closing on a long integer would crash
            raise StreamError("invalid_json", f"Invalid JSON at the end of the body ({offset} bytes): "
                                              f"{problem.what}.")
        if text:  # no JSON value at all (an empty body): nothing to end early
            try:
                parser.close()
            except Exception as exc:
                raise StreamError("invalid_json",
                                  f"The JSON ended early after {offset} bytes: {_reason(exc)}.") from None
        if events:
            t = perf_counter() - t0
            yield Record(event, event_seq, t, t - event_last, 0, None, tuple(events))
            event_seq += len(events)
    finally:
        ctx.tally(seq, offset, first, last)
        ctx.mode_summary["events"] = event_seq

