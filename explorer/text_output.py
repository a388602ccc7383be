"""`explorer get`'s text output: aligned, sanitized lines for people, from the shared row model."""

from __future__ import annotations

from typing import Any, Callable

from .core.format import fmt_bytes, fmt_ms, fmt_ms_down, fmt_ms_up, gaps_line, llm_lines, phases_line, plural
from .core.record import DATA_KINDS, FINAL_KINDS, Kind, Record
from .core.rows import META_KINDS, data_row, event_rows, final_line, meta_line, response_line
from .core.sanitize import PREVIEW_LENGTH, sanitize, sanitize_all
from .core.timing import TimeBuckets, TimingStage

HEADER = f"{'kind':<8}{'#':>8} {'time':>11} {'+gap':>11} {'size':>10}  preview\n"
_MESSAGE, _INCOMING, _MESSAGE_LENGTH = Kind.MESSAGE, "↓ ", PREVIEW_LENGTH - 2  # a received message's row
_PLAIN = frozenset((Kind.LINE, Kind.CHUNK))
_LABELS = {kind: f"{kind.value:<8}" for kind in _PLAIN}  # formatting the StrEnum itself goes through Python


class _Column(dict[Any, str]):
    """A column's texts, each formatted once: the records of one read share their time, most their gap and
    size. Bounded: it starts over past 4,096 texts."""

    def __init__(self, make: Callable[[Any], str]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> str:
        if len(self) >= 4096:
            self.clear()
        text = self[key] = self.make(key)
        return text


class TextPrinter:
    """Renders each record as the text `explorer get` prints: one aligned line per row, banners, and with
    `timing` (--stats) the gap statistics and rates after the stream."""

    def __init__(self, timing: TimingStage | None = None) -> None:
        self.timing = timing
        self.arrivals = TimeBuckets() if timing is not None else None
        self.times = _Column(lambda t: f"{fmt_ms(t):>11}")
        self.gaps = _Column(lambda gap: f"{'+' + fmt_ms(gap):>11}")
        self.sizes = _Column(lambda size: " " * 10 if size is None else f"{fmt_bytes(size):>10}")

    def row(self, label: str, seq: int, t: float, gap: float, size: int | None, text: str) -> str:
        """One aligned line: kind, seq, time, +gap, size and preview, under HEADER (`render_batch` writes the
        same line for many records at once)."""
        return f"{label:<8}{seq:>8,} {self.times[t]} {self.gaps[gap]} {self.sizes[size]}  {text}\n"

    def render_batch(self, records: list[Record]) -> str:
        """The text of the records of one read; plain lines and chunks (most of them) rendered in bulk."""
        if self.arrivals is None and not [record for record in records if record.kind not in _PLAIN
                                          or record.flags or record.value is not None or record.data is None]:
            times, gaps, sizes = self.times, self.gaps, self.sizes
            previews = sanitize_all([record.data for record in records])  # type: ignore[misc]
            return "".join([f"{_LABELS[record.kind]}{record.seq:>8,} {times[record.t]} {gaps[record.gap]} "
                            f"{sizes[record.size]}  {preview}\n" for record, preview in zip(records, previews)])
        render = self.render
        return "".join([render(record) for record in records])

    def render(self, record: Record) -> str:
        """The text of one record: usually one line, several for an ijson batch or the end with --stats."""
        kind = record.kind
        if kind in DATA_KINDS:
            if self.arrivals is not None:
                self.arrivals.add(record.t, record.size)
            if not record.flags and record.value is None:  # a plain line, chunk or received text message
                return self.row(kind, record.seq, record.t, record.gap, record.size,
                                _INCOMING + sanitize(record.data, _MESSAGE_LENGTH) if kind is _MESSAGE
                                else sanitize(record.data))
            row = data_row(record)
            note = f"  {row.note}" if row.note else ""
            line = self.row(row.label, row.seq, row.t, row.gap, row.size, row.text + note)
            return stall_line(row.gap) + line if row.stall else line
        if kind is Kind.EVENT or kind is Kind.SSE:
            return "".join(self.row(kind.value, event.seq, event.t, event.gap, None,
                                    f"{event.label} {event.name} {event.value}".rstrip())
                           for event in event_rows(record))
        if kind is Kind.TOKEN:  # `token   12  …  text "Hello"`
            line = self.row("token", record.seq, record.t, record.gap, None,
                            "".join(f"{event.label} {event.value}" for event in event_rows(record)))
            return stall_line(record.gap, token=True) + line if record.stall else line
        if kind is Kind.RESPONSE:
            return response_line(record) + "\n" + HEADER
        if kind in META_KINDS:
            return meta_line(record) + "\n"
        if kind is Kind.FRAMING or kind is Kind.CONTROL:
            row = data_row(record)
            note = f"  {row.note}" if row.note else ""
            return self.row(row.label, row.seq, row.t, row.gap, row.size, row.text + note)
        if kind in FINAL_KINDS:
            return self.final(record)
        return ""

    def final(self, record: Record) -> str:
        """The end or error banner, the phases, and with --stats the gaps, rates and gap histogram."""
        summary = record.summary
        lines = [final_line(record), f"phases: {phases_line(summary.phases)}"]
        if summary.llm is not None:
            first, second = llm_lines(summary.llm)
            lines += [f"llm: {first}", f"     {second}"]
        if self.arrivals is not None and self.timing is not None:
            lines.append(f"gaps: {gaps_line(summary.gaps)}")
            lines.append(f"rate: {rate_line(self.arrivals)}")
            for low, high, count in self.timing.gaps.histogram(8):  # bounds rounded outwards: quotable
                bounds = f"{fmt_ms_down(low):>10} to {fmt_ms_up(high):>10}"
                lines.append(f"  gaps {bounds}: {count:>8,} {'█' * min(50, count)}")
        return "\n".join(lines) + "\n"


def stall_line(gap: float, token: bool = False) -> str:
    """The line before a record that came after a stall: of data, or of tokens (bytes such as pings may
    have kept coming)."""
    said = f"token stall: {fmt_ms(gap)} without a token" if token else f"the server paused: {fmt_ms(gap)} without data"
    return f"{'stall':<8}{'':>8} {'':>11} {'+' + fmt_ms(gap):>11} {'':>10}  ⏸ {said}\n"


PEAK_WINDOW = 1.0  # seconds: the window of the peak rate


def rate_line(arrivals: TimeBuckets) -> str:
    """The average rate from the request to the last arrival, and the peak over 1 s windows.

    A stream shorter than the window has no peak window: its average over its
    own length is all there is to say, not a count divided by a second it never lasted.
    """
    records, sizes, width = arrivals.resample(10_000)
    count, total, span = sum(records), sum(sizes), arrivals.last
    if not count:
        return "no data records"
    if span <= 0:
        return f"{plural(count, 'record')}, {fmt_bytes(total)}, all at once: no rate"
    average = f"average {count / span:,.1f} records/s, {fmt_bytes(total / span)}/s over {fmt_ms(span)}"
    if span < PEAK_WINDOW:
        return f"{average} (too short for a {PEAK_WINDOW:g} s peak window)"
    window = max(1, round(PEAK_WINDOW / width))
    starts = range(max(1, len(records) - window + 1))
    peak_records = max(sum(records[i:i + window]) for i in starts)
    peak_bytes = max(sum(sizes[i:i + window]) for i in starts)
    seconds = window * width
    return (f"{average}; peak {seconds:g} s window {peak_records / seconds:,.1f} records/s, "
            f"{fmt_bytes(peak_bytes / seconds)}/s")
