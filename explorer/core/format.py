"""Human formatting of times, sizes and record previews, shared by every face."""

from __future__ import annotations

from typing import Any

from .modes.sse import llm_token
from .record import Record
from .sanitize import PREVIEW_LENGTH, sanitize


def fmt_ms(seconds: float | None) -> str:
    """Seconds as milliseconds below one second, e.g. `12.3 ms`, else seconds, e.g. `1.234 s`."""
    if seconds is None:
        return "-"
    if abs(seconds) >= 1:
        return f"{seconds:.3f} s"
    return f"{seconds * 1000:.1f} ms"


def fmt_bytes(size: float) -> str:
    """A byte count for people: `512 B`, `1.5 KiB`, `3.2 MiB`."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def hex_preview(data: bytes, limit: int = 32) -> str:
    return data[:limit].hex(" ") + (" …" if len(data) > limit else "")


def describe_value(value: Any) -> str:
    """An ijson value as a short safe string."""
    if value is None:
        return ""
    return sanitize(repr(value) if isinstance(value, str) else str(value), 80)


def preview(record: Record, limit: int = PREVIEW_LENGTH) -> str:
    """The sanitized one-line text that stands for a record in a log."""
    kind = record.kind
    if kind == "event":
        events = record.events
        head = ", ".join(f"{p or '.'} {e} {describe_value(v)}".rstrip() for p, e, v in events[:3])
        more = f" (+{len(events) - 3} more)" if len(events) > 3 else ""
        return sanitize(f"{len(events)} events: {head}{more}", limit)
    if kind == "sse":
        token = llm_token(record.get("data") or "")
        if token is not None:
            return sanitize(f"[{record.get('event')}] token {token!r}", limit)
        return sanitize(f"[{record.get('event')}] id={record.get('id')!r} {record.get('data')}", limit)
    if kind == "message" and record.get("type") == "binary":
        return "binary " + hex_preview(record.data or b"")
    if kind == "response":
        return sanitize(f"HTTP/{record.get('http_version')} {record.get('status')} {record.get('reason')}", limit)
    if kind in ("end", "error"):
        return summary_line(record)
    text = sanitize(record.data, limit)
    if record.get("decoded_size") is not None:
        text = f"({record.size} B → {record.get('decoded_size')} B) {text}"
    return text


def summary_line(record: Record) -> str:
    """`N records, B bytes in T, TTFB X` for an end or error record."""
    events = f" ({record.get('events')} events)" if record.get("events") is not None else ""
    parts = [
        f"{record.get('records', 0)} records{events}",
        fmt_bytes(record.get("bytes", 0)),
        f"in {fmt_ms(record.get('duration'))}",
        f"TTFB {fmt_ms(record.get('ttfb'))}",
    ]
    text = ", ".join(parts)
    if record.kind == "error":
        text = f"{sanitize(record.get('error'), 300)} [{record.get('type')}] after {text}"
    if record.get("close_code") is not None:
        reason = f" {sanitize(record.get('close_reason'), 80)!r}" if record.get("close_reason") else ""
        text += f", WebSocket closed {record.get('close_code')}{reason}"
    if record.get("framing"):
        text += f", framing: {record.get('framing')}"
    if record.get("stopped"):
        text += f" ({record.get('stopped')})"
    return text


def phases_line(record: Record) -> str:
    """`DNS - · connect 0.4 ms · sent at ... · total ...` from an end or error record."""
    p = record.get("phases") or {}
    parts = [
        f"DNS {fmt_ms(p.get('dns'))}",
        f"connect {fmt_ms(p.get('connect'))}",
        f"request sent at {fmt_ms(p.get('sent'))}",
        f"headers at {fmt_ms(p.get('headers'))}",
        f"first byte at {fmt_ms(p.get('first_byte'))}",
        f"last byte at {fmt_ms(p.get('last_byte'))}",
        f"total {fmt_ms(p.get('total'))}",
    ]
    return " · ".join(parts)


def gaps_line(record: Record) -> str:
    """`N gaps · p50 · p90 · p99 · max · stalls` from an end or error record."""
    return " · ".join([
        f"{record.get('gap_count', 0)} gaps",
        f"p50 {fmt_ms(record.get('gap_p50'))}",
        f"p90 {fmt_ms(record.get('gap_p90'))}",
        f"p99 {fmt_ms(record.get('gap_p99'))}",
        f"max {fmt_ms(record.get('gap_max'))}",
        f"{record.get('stalls', 0)} stalls",
    ])
