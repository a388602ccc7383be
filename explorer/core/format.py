"""Human formatting of times, sizes, values and summaries, shared by every face."""

from __future__ import annotations

import json
import math
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from .record import Flag, GapSummary, Kind, LlmSummary, Phases, Record, Summary
from .sanitize import PREVIEW_LENGTH, sanitize


def fmt_ms(seconds: float | None) -> str:
    """Seconds as milliseconds below one second, e.g. `12.3 ms`, else seconds, e.g. `1.234 s`."""
    if seconds is None:
        return "-"
    if abs(seconds) >= 1:
        return f"{seconds:.3f} s"
    return f"{seconds * 1000:.1f} ms"


def fmt_ms_up(seconds: float) -> str:
    """`fmt_ms` rounded up: a bound you can quote, never below `seconds` (read back as a float)."""
    return _fmt_ms_rounded(seconds, ROUND_CEILING)


def fmt_ms_down(seconds: float) -> str:
    """`fmt_ms` rounded down: a bound you can quote, never above `seconds` (read back as a float)."""
    return _fmt_ms_rounded(seconds, ROUND_FLOOR)


_MS_STEP, _S_STEP = Decimal("0.0001"), Decimal("0.001")


def _fmt_ms_rounded(seconds: float, rounding: str) -> str:
    """`fmt_ms`'s units and digits, rounded one way from the float's exact value (in the units after rounding)."""
    if not math.isfinite(seconds):
        return fmt_ms(seconds)
    if abs(seconds) < 1:
        ms = _bound(seconds, _MS_STEP, rounding)
        if abs(ms) < 1:
            return f"{ms * 1000:.1f} ms"
    return f"{_bound(seconds, _S_STEP, rounding):.3f} s"


def _bound(seconds: float, step: Decimal, rounding: str) -> Decimal:
    """`seconds` rounded to a multiple of `step` in the direction `rounding`, as a decimal that reads back as
    a float on that side of `seconds`: the nearer multiple when it reads back as `seconds` itself
    (0.5017 is 0.50170000000000003... in binary: its upper bound is 0.5017, not 0.5018)."""
    bound = Decimal(seconds).quantize(step, rounding=rounding)
    nearer = bound - step if rounding == ROUND_CEILING else bound + step
    return nearer if float(nearer) == seconds else bound


def fmt_bytes(size: float) -> str:
    """A byte count for people: `512 B`, `1.5 KiB`, `3.2 MiB`."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def plural(n: int, word: str, words: str | None = None) -> str:
    """`n` with thousands separators and the word in the right number: `1 record`, `3,141 records`."""
    return f"{n:,} {word if n == 1 else words or word + 's'}"


def hex_preview(data: bytes, limit: int = 32) -> str:
    return data[:limit].hex(" ") + (" …" if len(data) > limit else "")


def json_number(value: int | float | Decimal) -> str:
    """A number as exact JSON text: an int of any size in full, a Decimal as ijson read it (`1E+999`).

    A non-finite Decimal (ijson never makes one) comes out as its name, `Infinity` or `NaN`.
    """
    if isinstance(value, float):
        return json.dumps(value)
    return str(value)


def json_value(value: Any, limit: int = PREVIEW_LENGTH) -> str:
    """An ijson value as safe display text: JSON notation (strings quoted), nothing for containers' events."""
    if value is None:
        return ""
    if isinstance(value, str):  # cut first: a long string is not quoted in full to show 200 characters of it
        return sanitize(json.dumps(value[:limit], ensure_ascii=False), limit)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return sanitize(json_number(value), limit)
    return sanitize(str(value), limit)


def token_text(token: str, limit: int = PREVIEW_LENGTH) -> str:
    """An LLM token as safe display text, quoted so its spaces show."""
    return sanitize(json.dumps(token, ensure_ascii=False), limit)


def status_line(response: Record) -> str:
    """`HTTP/1.1 200 OK`, sanitized."""
    r = response.response
    return sanitize(f"HTTP/{r.http_version} {r.status} {r.reason}", PREVIEW_LENGTH)


def summary_line(record: Record) -> str:
    """`N records, B bytes, in T, TTFB X` for an end or error record (with the error sentence first)."""
    s: Summary = record.summary
    events = f" ({plural(s.events, 'event')})" if s.events is not None else ""
    text = (f"{plural(s.records, 'record')}{events}, {fmt_bytes(s.bytes)}, in {fmt_ms(s.duration)}, "
            f"TTFB {fmt_ms(s.ttfb)}")
    if record.kind is Kind.ERROR:
        text = f"{sanitize(s.error, 300)} [{s.type}] after {text}"
    if s.close_code is not None:
        reason = f" “{sanitize(s.close_reason, 80)}”" if s.close_reason else ""
        text += f", WebSocket closed {s.close_code}{reason}"
    if s.framing:
        text += f", framing: {s.framing}"
    if s.stopped:
        text += f" ({s.stopped})"
    return text


def phases_line(p: Phases) -> str:
    """`DNS - · connect 0.4 ms · request sent at ... · total ...`."""
    return " · ".join([
        f"DNS {fmt_ms(p.dns)}",
        f"connect {fmt_ms(p.connect)}",
        f"request sent at {fmt_ms(p.sent)}",
        f"headers at {fmt_ms(p.headers)}",
        f"first byte at {fmt_ms(p.first_byte)}",
        f"last byte at {fmt_ms(p.last_byte)}",
        f"total {fmt_ms(p.total)}",
    ])


def gaps_line(g: GapSummary) -> str:
    """`N gaps · p50 · p90 · p99 · max · stalls`."""
    return " · ".join([
        plural(g.gap_count, "gap"),
        f"p50 {fmt_ms(g.gap_p50)}",
        f"p90 {fmt_ms(g.gap_p90)}",
        f"p99 {fmt_ms(g.gap_p99)}",
        f"max {fmt_ms(g.gap_max)}",
        plural(g.stalls, "stall"),
    ])


def llm_lines(m: LlmSummary) -> list[str]:
    """An LLM stream's serving metrics in two lines: the request's figures, then the inter-token latency.

    Token counts counted from deltas say so: a delta may hold several tokens, or part of one.
    """
    source = "from usage" if m.tokens_source == "usage" else "deltas, not tokens"
    model = f" ({sanitize(m.model, 60)})" if m.model else ""
    rate = "-" if m.tokens_per_s is None else f"{m.tokens_per_s:,.1f}"
    first = [f"{m.shape}{model}", f"TTFT {fmt_ms(m.ttft)}", f"TPOT {fmt_ms(m.tpot)}", f"E2E {fmt_ms(m.e2e)}",
             f"{m.tokens:,} tokens ({source})", f"{rate} tokens/s"]
    if m.stop_reason:
        first.append(f"stop reason {sanitize(m.stop_reason, 40)}")
    second = [f"ITL p50 {fmt_ms(m.itl_p50)}", f"p90 {fmt_ms(m.itl_p90)}", f"p99 {fmt_ms(m.itl_p99)}",
              f"max {fmt_ms(m.itl_max)}", plural(m.deltas, "delta"), plural(m.stalls, "token stall")]
    return [" · ".join(first), " · ".join(second)]


def data_preview(record: Record, limit: int = PREVIEW_LENGTH) -> str:
    """The sanitized one-line text of a data record's payload."""
    if record.flags & Flag.BINARY:
        return "binary " + hex_preview(record.data or b"")
    return sanitize(record.data, limit)


def fmt_clock(epoch: float) -> str:
    """Epoch seconds as the local time of day to the microsecond, e.g. `14:03:27.512345`."""
    return datetime.fromtimestamp(epoch).strftime("%H:%M:%S.%f")
